"""The error page both providers send users to when the app has none of its own.

Authorization errors that must not go back to the client (a bad ``client_id`` or
``redirect_uri``, a refused consent, storage down) are shown at the provider's error URI,
``/oauth/errors`` unless configured. An app that defines a view there (or configures
another URI) keeps its own page; otherwise this one answers: a short HTML page for
people, JSON for clients that ask for it.
"""

from __future__ import annotations

import html
import json

from flask import Flask, Response, request

__all__ = ["DEFAULT_ERROR_PATH", "register_error_page"]

DEFAULT_ERROR_PATH = "/oauth/errors"
ENDPOINT = "flask_oauthlib_error_page"
#: a rule with a converter ranks below the app's own static ``/oauth/errors`` rule, so a
#: view the app defines there, before or after the provider is set up, always wins
RULE = "/oauth/<any(errors):_page>"

MESSAGES = {
    "access_denied": "The authorization was denied.",
    "denied": "The authorization was denied.",
    "invalid_client": "This application is not known to the server.",
    "unauthorized_client": "This application may not ask for that kind of authorization.",
    "invalid_scope": "This application asked for access that cannot be granted.",
    "server_error": "The server could not complete the authorization.",
    "temporarily_unavailable": "The server cannot complete the authorization right now."
    " Please try again in a moment.",
}
#: seconds a user is asked to wait before trying again when storage is down
RETRY_AFTER = "5"
DEFAULT_MESSAGE = "The authorization request is not valid, so it cannot be completed."
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Authorization failed</title>
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1f2328; }}
main {{ max-width: 32rem; margin: 12vh auto; padding: 2rem; background: #fff;
        border-radius: 12px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }}
h1 {{ font-size: 1.4rem; margin: 0 0 .75rem; color: #b42318; }}
details {{ color: #656d76; font-size: .875rem; }}
</style>
</head>
<body>
<main role="alert">
<h1>Authorization failed</h1>
<p>{message}</p>
{details}
</main>
</body>
</html>
"""


def error_page(_page: str = "errors") -> Response:
    """Show the ``error`` and ``error_description`` of the query string (400; 503 with
    ``Retry-After`` for ``temporarily_unavailable``)."""
    error = request.args.get("error") or "invalid_request"
    description = request.args.get("error_description")
    message = MESSAGES.get(error, DEFAULT_MESSAGE)
    # storage down: a 503 the user may retry; any other error: the request was bad
    status, headers = 400, HEADERS
    if error == "temporarily_unavailable":
        status, headers = 503, {**HEADERS, "Retry-After": RETRY_AFTER}
    wants = request.accept_mimetypes.best_match(["text/html", "application/json"])
    if wants == "application/json":
        body = json.dumps({"error": error, "error_description": description or message})
        return Response(body, status, headers, mimetype="application/json")
    # the headline is ours: the query's free text (anyone can link to this page) is only
    # shown, labelled, under the technical details
    details = f"Error code: <code>{html.escape(error)}</code>"
    if description:
        details += f"<br>{html.escape(description)}"
    page = PAGE.format(
        message=html.escape(message),
        details=f"<details><summary>Technical details</summary>{details}</details>",
    )
    return Response(page, status, headers, mimetype="text/html")


def register_error_page(app: Flask) -> None:
    """Serve :func:`error_page` at ``/oauth/errors`` on ``app`` unless the app has its own
    view there (which wins whenever it is defined). Safe to call from both providers.

    .. versionadded:: 1.1
    """
    if ENDPOINT not in app.view_functions:
        app.add_url_rule(RULE, ENDPOINT, error_page)
