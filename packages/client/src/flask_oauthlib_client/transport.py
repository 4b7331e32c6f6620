"""How the client talks HTTP: one patchable entry point, pooled sessions without cookies.

Every request of :class:`~flask_oauthlib_client.OAuthRemoteApp` goes through
:meth:`OAuthRemoteApp.http_request(uri, headers, data, method)
<flask_oauthlib_client.OAuthRemoteApp.http_request>`, as in 0.9.6, so a test can patch
that one static method. Its real implementation is :func:`send`: ``requests`` over the
current app's pooled session, with the calling remote app's timeout. The remote app
hands its name and timeout to :func:`send` through a context variable
(:func:`remote_call`), which keeps the 0.9.6 signature callable with four arguments.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from http.cookiejar import Cookie
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import current_app, has_app_context
from oauthlib.common import add_params_to_uri
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict

from .exceptions import OAuthException

__all__ = [
    "DEFAULT_TIMEOUT",
    "HTTP_KEY",
    "RemoteResponse",
    "header_of",
    "pooled_session",
    "prepare_request",
    "remote_call",
    "send",
    "status_of",
]

#: where :meth:`OAuth.init_app` keeps the app's pooled HTTP session
HTTP_KEY = "oauthlib.client.http"
#: seconds to wait for a remote server when no remote app says otherwise
DEFAULT_TIMEOUT = 10.0

log = logging.getLogger(__name__)


class NoCookieJar(RequestsCookieJar):
    """A cookie jar that keeps nothing.

    One HTTP session serves every end user of the app: a cookie a remote server sets
    during one user's call must never be sent on a later call, which may be another
    user's. Within one call ``requests`` still carries cookies across redirects, in a jar
    of its own for that call.
    """

    def set_cookie(self, cookie: Cookie, *args: Any, **kwargs: Any) -> None:
        """Drop ``cookie``."""


def pooled_session() -> requests.Session:
    """Return an HTTP session that pools connections but keeps no cookies between calls."""
    http = requests.Session()
    http.cookies = NoCookieJar()
    return http


@dataclass(frozen=True)
class _Call:
    """Who is calling :func:`send`: a remote app's name (for messages) and timeout."""

    name: str
    timeout: float


_current_call: ContextVar[_Call | None] = ContextVar("flask_oauthlib_client_call", default=None)


@contextlib.contextmanager
def remote_call(name: str, timeout: float) -> Iterator[None]:
    """Let :func:`send` know which remote app calls it, and with which timeout.

    :param name: the remote app's name, used in error messages.
    :param timeout: seconds to wait for the server.
    """
    token = _current_call.set(_Call(name, timeout))
    try:
        yield
    finally:
        _current_call.reset(token)


class RemoteResponse:
    """The response half of what :meth:`OAuthRemoteApp.http_request` returns.

    0.9.6 returned urllib's response object; this carries the parts the client and
    0.9.6-era code read from it: the status as :attr:`code`, :attr:`status_code` and
    :attr:`status`, and case-insensitive :attr:`headers`. The body is the second item
    of the pair.

    .. versionadded:: 1.1
    """

    def __init__(
        self, status_code: int, headers: Mapping[str, str], url: str = "", reason: str = ""
    ) -> None:
        self.status_code = status_code
        self.headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(headers)
        self.url = url
        self.reason = reason

    @property
    def code(self) -> int:
        """The HTTP status code (the name urllib used)."""
        return self.status_code

    @property
    def status(self) -> int:
        """The HTTP status code."""
        return self.status_code

    def getcode(self) -> int:
        """Return the HTTP status code, as urllib's response did."""
        return self.status_code

    def __repr__(self) -> str:
        return f"<RemoteResponse [{self.status_code}]>"


def prepare_request(
    uri: str,
    headers: Mapping[str, str] | None = None,
    data: Any = None,
    method: str | None = None,
) -> tuple[str, dict[str, str], Any, str]:
    """Complete the arguments of one HTTP request, as 0.9.6 did.

    Headers default to ``{}``; the method to ``POST`` when there is data and to ``GET``
    otherwise; the data of a ``GET`` moves into the query string.

    :returns: ``(uri, headers, data, method)``.
    """
    headers = dict(headers or {})
    method = (method or ("POST" if data else "GET")).upper()
    if method == "GET" and data:
        items = data.items() if isinstance(data, Mapping) else data
        uri = add_params_to_uri(uri, list(items))
        data = None
    return uri, headers, data, method


def send(
    uri: str,
    headers: Mapping[str, str] | None = None,
    data: Any = None,
    method: str | None = None,
) -> tuple[RemoteResponse, bytes]:
    """Send one HTTP request and return ``(response, body)``.

    Inside an app context the app's pooled session is used (see
    :meth:`OAuth.init_app`); outside one, a session for this call only. Either way no
    cookie outlives the call. The timeout is the calling remote app's, 10 s otherwise.
    A response with an error status is returned like any other.

    :raises OAuthException: ``timeout`` or ``network_error``; the message never holds
        the URL, which may carry credentials.
    :raises RuntimeError: inside an app whose ``OAuth`` was never initialised.
    """
    uri, headers, data, method = prepare_request(uri, headers, data, method)
    call = _current_call.get()
    timeout = call.timeout if call else DEFAULT_TIMEOUT
    name = call.name if call else (urlsplit(uri).hostname or "the remote server")
    with _session() as http:
        try:
            resp = http.request(method, uri, headers=headers, data=data, timeout=timeout)
        except requests.Timeout:
            raise OAuthException(
                f"{name} did not answer within {timeout:g} s", type="timeout"
            ) from None
        except requests.RequestException as exc:
            raise OAuthException(
                f"Could not reach {name} ({type(exc).__name__})", type="network_error"
            ) from None
    log.debug("%s answered %s to a %s request", name, resp.status_code, method)
    return RemoteResponse(resp.status_code, resp.headers, resp.url, resp.reason or ""), resp.content


@contextlib.contextmanager
def _session() -> Iterator[requests.Session]:
    if not has_app_context():
        with pooled_session() as http:
            yield http
        return
    pooled: requests.Session | None = current_app.extensions.get(HTTP_KEY)
    if pooled is None:
        raise RuntimeError(
            "flask_oauthlib.client.OAuth is not initialised on this app;"
            " pass the app to OAuth(app) or call oauth.init_app(app)."
        )
    yield pooled


def status_of(resp: Any) -> int:
    """Return the HTTP status of a response from :meth:`OAuthRemoteApp.http_request`.

    Reads ``code`` (urllib, 0.9.6), then ``status_code`` (requests), then ``status``, so a
    stand-in response in a test may carry any of them.

    :raises TypeError: if none of them is an ``int``.
    """
    for attr in ("code", "status_code", "status"):
        value = getattr(resp, attr, None)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    raise TypeError(f"{resp!r} has no integer code, status_code or status attribute")


def header_of(resp: Any, name: str) -> str | None:
    """Return the header ``name`` of ``resp``, case-insensitively, or ``None``.

    Works with the headers of requests, urllib and werkzeug, and with a plain dict as a
    test's stand-in response may have.
    """
    headers = getattr(resp, "headers", None)
    items = getattr(headers, "items", None)
    if not callable(items):
        return None
    wanted = name.lower()
    for key, value in items():
        if isinstance(key, str) and key.lower() == wanted and isinstance(value, str):
            return value
    return None
