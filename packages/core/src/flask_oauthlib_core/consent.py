"""Refuse consent that another site made the user's browser send.

A page on any site can make a signed-in user's browser POST ``confirm=yes`` to an
authorization endpoint. Both providers call :func:`refuse_forged_consent` before the
consent view runs on such a POST; it refuses

* a POST the browser marks as not started by the provider's own pages: a
  ``Sec-Fetch-Site`` other than ``same-origin`` or ``none`` (``same-site`` too: another
  origin on the same registrable domain is another site's page), or, from browsers that
  send no ``Sec-Fetch-Site``, an ``Origin`` that is not the request's own
  (``Origin: null`` included);
* a POST whose form carries a ``csrf_token`` that is not the session's (see
  :func:`consent_csrf_token`), or carries none while the app requires one.

A 0.9.6 consent form (``confirm`` only, no token) and clients that send neither header
(requests, curl) keep working unless the app requires the token.

.. versionadded:: 1.1
"""

from __future__ import annotations

import html
import inspect
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Request, Response, current_app, request, session

from .compare import equal_secrets

__all__ = [
    "CSRF_FIELD",
    "consent_csrf_token",
    "is_cross_site",
    "refuse_forged_consent",
    "takes_keyword",
    "url_origin",
]

log = logging.getLogger(__name__)

#: the form field (and view keyword argument) carrying the consent CSRF token
CSRF_FIELD = "csrf_token"
SESSION_KEY = "_flask_oauthlib_consent_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: ``Sec-Fetch-Site`` values of a request the provider's own page (or the user) started
TRUSTED_SITES = frozenset({"same-origin", "none"})
DEFAULT_PORTS = {"http": 80, "https": 443}
REFUSED = "cross-site consent refused"
CROSS_SITE = f"{REFUSED}: the consent form was sent from another site."
BAD_TOKEN = f"{REFUSED}: the csrf_token is missing or does not match this session."
REFUSAL_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}
PAGE = "<!doctype html>\n<title>Consent refused</title>\n<h1>Consent refused</h1>\n<p>{}</p>\n"

Origin = tuple[str, str, int | None]


def takes_keyword(view: Callable[..., Any], name: str) -> bool:
    """Whether ``view`` accepts the keyword argument ``name`` (by name or ``**kwargs``),
    so a provider passes :func:`consent_csrf_token` only to views that can take it: an
    authorization view written for 0.9.6 with an explicit signature keeps working.

    .. versionadded:: 1.1
    """
    try:
        parameters = inspect.signature(view).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(
        p.kind is p.VAR_KEYWORD or (p.name == name and p.kind is not p.POSITIONAL_ONLY)
        for p in parameters
    )


def consent_csrf_token() -> str:
    """The current session's consent CSRF token, created on first use.

    Put it in the consent form as a hidden ``csrf_token`` field; the providers pass it to
    the authorization view as ``kwargs["csrf_token"]``. The token lives in the Flask
    session (one per session, so several open tabs all work). An app without a
    ``secret_key`` has no session to bind it to and gets ``""``, which a form may post:
    an empty field counts as no token.

    .. versionadded:: 1.1
    """
    if current_app.session_interface.is_null_session(session):
        return ""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def is_cross_site(req: Request | None = None) -> bool:
    """Whether the browser says ``req`` was not started by a page of its own origin.

    ``Sec-Fetch-Site``, when sent, decides (it does not depend on the ``Host`` a proxy
    passes on); otherwise a present ``Origin`` must be the request's own
    ``scheme://host[:port]``. A request with neither header is not cross-site: no browser
    made it.

    :param req: the request; the current Flask request when omitted.

    .. versionadded:: 1.1
    """
    if req is None:
        req = request._get_current_object()  # type: ignore[attr-defined]
    site = req.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site.strip().lower() not in TRUSTED_SITES
    origin = req.headers.get("Origin")
    if origin is None:
        return False
    theirs = _origin(origin)
    return theirs is None or theirs != _origin(req.host_url)


def url_origin(url: str) -> Origin | None:
    """``(scheme, host, port)`` of ``url`` (lower case; the scheme's default port when it
    names none), or ``None`` without a scheme and host or with a bad port.

    .. versionadded:: 1.1
    """
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS.get(parts.scheme)


def _origin(url: str) -> Origin | None:
    """``(scheme, host, port)`` of a serialized origin, or ``None`` if ``url`` is not one
    (``null``, a path or query, user info, a bad port)."""
    parts = urlsplit(url)
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        return None
    return url_origin(url)


def _sent_csrf_token() -> str:
    """The ``csrf_token`` of the POSTed form, ``""`` if none."""
    # Cache the raw body first: the providers hand it to oauthlib after this check, and
    # parsing the form before caching would consume it.
    request.get_data(cache=True)
    return request.form.get(CSRF_FIELD, "")


def _csrf_token_ok(required: bool) -> bool:
    sent = _sent_csrf_token()
    if not sent:
        return not required
    expected = session.get(SESSION_KEY)
    if not isinstance(expected, str) or not expected:
        return False
    return equal_secrets(sent, expected)


def refuse_forged_consent(csrf_required: bool = False) -> Response | None:
    """The 403 answer to a forged consent POST, or ``None`` to let the consent go on.

    Call it on the authorization endpoint before the consent view runs; ``GET`` (the
    consent page itself) is never refused. The answer is an OAuth ``invalid_request``
    error, as an HTML page for browsers and JSON otherwise; it is not cached and cannot be
    framed. Nothing reaches the client's redirect URI.

    :param csrf_required: refuse a POST without the session's ``csrf_token`` (the
        providers pass ``OAUTH2_PROVIDER_CSRF_REQUIRED`` / ``OAUTH1_PROVIDER_CSRF_REQUIRED``);
        without it only a token that is sent is checked.

    .. versionadded:: 1.1
    """
    if request.method in SAFE_METHODS:
        return None
    if is_cross_site():
        description = CROSS_SITE
    elif not _csrf_token_ok(csrf_required):
        description = BAD_TOKEN
    else:
        return None
    log.info("consent refused: %s", description)
    return _refusal(description)


def _refusal(description: str) -> Response:
    if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
        body, mimetype = PAGE.format(html.escape(description)), "text/html"
    else:
        error = {"error": "invalid_request", "error_description": description}
        body, mimetype = json.dumps(error), "application/json"
    return Response(body, status=403, mimetype=mimetype, headers=REFUSAL_HEADERS)
