"""How the client talks HTTP: one patchable entry point, pooled sessions without cookies.

Every request of :class:`~flask_oauthlib_client.OAuthRemoteApp` goes through
:meth:`OAuthRemoteApp.http_request(uri, headers, data, method)
<flask_oauthlib_client.OAuthRemoteApp.http_request>`, as in 0.9.6, so a test can patch
that one static method. Its real implementation is :func:`send`: ``requests`` over the
current app's pooled :class:`ClientSession`, with the calling remote app's timeout as a
total deadline (see :mod:`~flask_oauthlib_client.deadline`). The remote app hands its
name, timeout and redirect policy to :func:`send` through a context variable
(:func:`remote_call`), which keeps the 0.9.6 signature callable with four arguments.
The helpers 0.9.6 exported with it, :func:`prepare_request` and
:func:`encode_request_data`, live here too.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from http.cookiejar import Cookie
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import requests
from flask import current_app, has_app_context
from oauthlib.common import add_params_to_uri
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict

from .deadline import WatchedAdapter, bounded, too_late
from .exceptions import OAuthException

__all__ = [
    "HTTPCall",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_TIMEOUT",
    "FORM_TYPE",
    "HTTP_KEY",
    "ClientSession",
    "RemoteResponse",
    "ResponseTooLarge",
    "UnknownFormat",
    "encode_request_data",
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
#: the most bytes of an answer's body, decoded, when no remote app says otherwise
DEFAULT_MAX_RESPONSE_SIZE = 10 * 1024 * 1024
#: how many bytes of a body are read (and decoded) at a time
READ_CHUNK = 64 * 1024
#: the content type of form-encoded bodies
FORM_TYPE = "application/x-www-form-urlencoded"

log = logging.getLogger(__name__)


class HTTPCall(Protocol):
    """The signature of a remote app's ``_http``: what its flows call to talk to the
    provider (declared once for the mixins that use it)."""

    def __call__(
        self,
        uri: str,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
        method: str | None = None,
        follow_redirects: bool = True,
    ) -> tuple[Any, bytes]: ...


class NoCookieJar(RequestsCookieJar):
    """A cookie jar that keeps nothing.

    One HTTP session serves every end user of the app: a cookie a remote server sets
    during one user's call must never be sent on a later call, which may be another
    user's. Within one call ``requests`` still carries cookies across redirects, in a jar
    of its own for that call.
    """

    def set_cookie(self, cookie: Cookie, *args: Any, **kwargs: Any) -> None:
        """Drop ``cookie``."""


class ResponseTooLarge(requests.RequestException):
    """An answer's body, decoded, exceeded the size limit of the call.

    .. versionadded:: 1.1
    """


def _limit_body(limit: int) -> Any:
    """A ``requests`` response hook reading the body, decoded, up to ``limit`` bytes.

    :raises ResponseTooLarge: past ``limit``; the connection is closed.
    """

    def read(resp: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        chunks: list[bytes] = []
        size = 0
        for chunk in resp.iter_content(READ_CHUNK):
            size += len(chunk)
            if size > limit:
                resp.close()
                raise ResponseTooLarge(f"the answer is larger than {limit} bytes")
            chunks.append(chunk)
        resp._content = b"".join(chunks)
        return resp

    return read


class ClientSession(requests.Session):
    """The client's HTTP session: no cookies kept, no body re-sent, a total deadline.

    * Cookies: see :class:`NoCookieJar`.
    * Redirects: a ``307`` or ``308`` answer to a request with a body is not followed
      (following it would send the body again, to wherever ``Location`` points); it is
      returned as is, as 0.9.6's urllib did. Other redirects are followed as
      ``requests`` does: a ``POST`` answered ``302`` or ``303`` becomes a ``GET``
      without its body, and the ``Authorization`` header is dropped on the way to
      another host.
    * Timeout: a number given as ``timeout`` bounds each socket operation, as in
      ``requests``, and also the whole call: connecting, the status line and headers,
      redirects and reading the body (see :mod:`~flask_oauthlib_client.deadline`); past it
      ``requests.exceptions.ReadTimeout`` is raised. A call with ``stream=True`` leaves
      the reading of the body, and its duration, to the caller. Through a proxy only
      the per-operation bound holds until the answer's headers are in.
    * Size: :attr:`max_response_size` (or a call's ``max_size``) bounds each answer's
      body, counted decoded (after gzip) while it is read; past it
      :class:`ResponseTooLarge` is raised. ``stream=True`` leaves that to the caller.

    .. versionadded:: 1.1
    """

    #: the most bytes of an answer's body, decoded; ``None`` for no limit
    max_response_size: int | None = DEFAULT_MAX_RESPONSE_SIZE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cookies = NoCookieJar()
        self.mount("https://", WatchedAdapter())
        self.mount("http://", WatchedAdapter())

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        """Return where ``resp`` redirects to; ``None`` if following would re-send a body."""
        if resp.status_code in (307, 308) and resp.request is not None and resp.request.body:
            log.debug("not following a %s redirect, which would re-send the body", resp.status_code)
            return None
        return super().get_redirect_target(resp)

    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send a request; a number as ``timeout`` is also a total deadline.

        :param max_size: the most bytes of each answer's body, decoded;
            :attr:`max_response_size` by default, ``None`` for no limit.
        :raises ResponseTooLarge: if a body is larger.
        """
        limit = kwargs.pop("max_size", self.max_response_size)
        if limit is not None and not kwargs.get("stream"):
            hooks = dict(kwargs.get("hooks") or {})
            given = hooks.get("response", [])
            hooks["response"] = [_limit_body(int(limit)), *([given] if callable(given) else given)]
            kwargs["hooks"] = hooks
        seconds = kwargs.get("timeout")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            return super().request(method, url, *args, **kwargs)
        with bounded(seconds) as deadline:
            try:
                resp = super().request(method, url, *args, **kwargs)
            except (requests.Timeout, ResponseTooLarge):
                raise
            except Exception as exc:  # a connection cut at the deadline fails in many ways
                if deadline.missed:
                    raise too_late(seconds) from exc
                raise
        if deadline.missed:  # complete too late, or cut short at the deadline
            resp.close()
            raise too_late(seconds)
        return resp


def pooled_session() -> ClientSession:
    """Return a :class:`ClientSession`: it pools connections, keeps no cookies between
    calls, re-sends no body on a redirect, and takes a call's timeout as its deadline."""
    return ClientSession()


@dataclass(frozen=True)
class _Call:
    """Who is calling :func:`send`: a remote app's name (for messages), its timeout,
    whether redirects are followed, and the most bytes of an answer."""

    name: str
    timeout: float
    follow_redirects: bool = True
    max_size: int | None = DEFAULT_MAX_RESPONSE_SIZE


_current_call: ContextVar[_Call | None] = ContextVar("flask_oauthlib_client_call", default=None)


@contextlib.contextmanager
def remote_call(
    name: str,
    timeout: float,
    follow_redirects: bool = True,
    max_size: int | None = DEFAULT_MAX_RESPONSE_SIZE,
) -> Iterator[None]:
    """Let :func:`send` know which remote app calls it, and how.

    :param name: the remote app's name, used in error messages.
    :param timeout: seconds the whole call may take.
    :param follow_redirects: follow redirects (those that re-send no body); token
        requests follow none.
    :param max_size: the most bytes of the answer's body, decoded (``None``: no limit).
    """
    token = _current_call.set(_Call(name, timeout, follow_redirects, max_size))
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


class UnknownFormat(ValueError, TypeError):
    """:func:`encode_request_data` got a format it does not know.

    A ``ValueError``, and a ``TypeError`` as 0.9.6 raised.
    """


def encode_request_data(data: Any, format: str | None) -> tuple[Any, str | None]:
    """Encode a request body as ``format``; return ``(body, content type)``.

    :param data: the data; ``None`` encodes as an empty object or form.
    :param format: ``"urlencoded"``, ``"json"``, or ``None`` to pass ``data`` through
        with no content type.
    :raises UnknownFormat: for any other format.
    """
    if format is None:
        return data, None
    if format == "json":
        return json.dumps(data if data is not None else {}), "application/json"
    if format == "urlencoded":
        if isinstance(data, str | bytes):
            return data, FORM_TYPE
        return urlencode(data or {}, doseq=True), FORM_TYPE
    raise UnknownFormat(f"unknown format {format!r}; use 'urlencoded', 'json' or None")


def send(
    uri: str,
    headers: Mapping[str, str] | None = None,
    data: Any = None,
    method: str | None = None,
) -> tuple[RemoteResponse, bytes]:
    """Send one HTTP request and return ``(response, body)``.

    Inside an app context the app's pooled session is used (see
    :meth:`OAuth.init_app`); outside one, a session for this call only. Either way it
    is a :class:`ClientSession`: no cookie outlives the call, no redirect re-sends the
    body, and the timeout (the calling remote app's, 10 s otherwise) bounds the whole
    call. A response with an error status, or a redirect not followed, is returned like
    any other.

    :raises OAuthException: ``timeout``, ``network_error``, or ``response_too_large``
        when the body, decoded, is larger than the calling remote app's
        ``max_response_size`` (10 MiB otherwise); the message never holds the URL,
        which may carry credentials.
    :raises RuntimeError: inside an app whose ``OAuth`` was never initialised.
    """
    uri, headers, data, method = prepare_request(uri, headers, data, method)
    call = _current_call.get()
    timeout = call.timeout if call else DEFAULT_TIMEOUT
    name = call.name if call else (urlsplit(uri).hostname or "the remote server")
    follow = call.follow_redirects if call else True
    limit = call.max_size if call else DEFAULT_MAX_RESPONSE_SIZE
    with _session() as http:
        extra: dict[str, Any] = {"max_size": limit} if isinstance(http, ClientSession) else {}
        try:
            resp = http.request(
                method,
                uri,
                headers=headers,
                data=data,
                timeout=timeout,
                allow_redirects=follow,
                **extra,
            )
        except ResponseTooLarge:
            raise OAuthException(
                f"The answer of {name} is larger than {limit} bytes", type="response_too_large"
            ) from None
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
