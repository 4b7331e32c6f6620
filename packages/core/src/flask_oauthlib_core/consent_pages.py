"""Keep the pages of an authorization endpoint out of frames and away from CORS.

A consent page framed by another site gets the user's own click on "allow": the form
inside the frame posts to its own origin, so the check of
:func:`~.consent.refuse_forged_consent` sees a same-origin POST. Both providers call
:func:`guard_consent_page` at the start of their authorization view; from then on every
answer of that request (the consent page, the redirect back to the client, an error
page) gets ``X-Frame-Options: DENY``, ``frame-ancestors 'none'`` and no CORS headers,
whatever the app's other ``after_request`` functions (flask-cors, Flask-Talisman ...)
added. Other responses of the app are left alone.

.. versionadded:: 1.1
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, Response, current_app, request

__all__ = [
    "CONSENT_PAGE_MARK",
    "guard_consent_page",
    "harden_consent_page",
    "install_hardening",
]

#: the environ key marking a request answered by an authorization view
CONSENT_PAGE_MARK = "flask_oauthlib.authorization_endpoint"
NO_FRAMING = "frame-ancestors 'none'"
CORS_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Credentials")

_INSTALLING = threading.Lock()


def harden_consent_page(response: Response) -> Response:
    """Answers of an authorization view cannot be framed and get no CORS headers:
    ``X-Frame-Options: DENY`` replaces any other, the ``Content-Security-Policy`` loses
    any ``frame-ancestors`` (its other directives stay) and ``frame-ancestors 'none'``
    comes as a policy of its own. Other responses pass unchanged."""
    if request.environ.get(CONSENT_PAGE_MARK):
        headers = response.headers
        headers["X-Frame-Options"] = "DENY"
        headers.setlist("Content-Security-Policy", _without_framing(headers))
        for key in CORS_HEADERS:
            headers.pop(key, None)
    return response


def _without_framing(headers: Any) -> list[str]:
    """The ``Content-Security-Policy`` values of ``headers`` with every
    ``frame-ancestors`` directive dropped (of each policy, a value may join several with
    commas), and ``frame-ancestors 'none'`` as a policy of its own: browsers enforce
    every policy, so it holds whatever the others say."""
    values = []
    for value in headers.getlist("Content-Security-Policy"):
        policies = []
        for policy in value.split(","):
            kept = [
                directive.strip()
                for directive in policy.split(";")
                if directive.strip() and directive.split()[0].lower() != "frame-ancestors"
            ]
            if kept:
                policies.append("; ".join(kept))
        if policies:
            values.append(", ".join(policies))
    return [*values, NO_FRAMING]


def install_hardening(app: Flask) -> None:
    """Make :func:`harden_consent_page` the last ``after_request`` function of ``app``
    (it runs after every other one, flask-cors's too, whenever they were registered);
    once per app.

    The app's list of functions is replaced, never changed in place: requests running
    it meanwhile run every function of the old one.
    """
    if harden_consent_page in app.after_request_funcs.get(None, ()):
        return
    with _INSTALLING:
        funcs = app.after_request_funcs.get(None, [])
        if harden_consent_page not in funcs:
            # Flask runs them in reverse: the first runs last
            app.after_request_funcs[None] = [harden_consent_page, *funcs]


def guard_consent_page() -> None:
    """Mark the current request as answered by an authorization view: whatever it
    answers cannot be framed and carries no CORS headers. The first call of an app
    installs :func:`harden_consent_page`, so an app that only protects resources or
    issues tokens runs no hook of ours on its responses."""
    install_hardening(current_app._get_current_object())  # type: ignore[attr-defined]
    request.environ[CONSENT_PAGE_MARK] = True
