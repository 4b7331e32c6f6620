"""How the client talks HTTP: one patchable entry point, pooled sessions without cookies.

Every request of :class:`~flask_oauthlib_client.OAuthRemoteApp` goes through
:meth:`OAuthRemoteApp.http_request(uri, headers, data, method)
<flask_oauthlib_client.OAuthRemoteApp.http_request>`, as in 0.9.6, so a test can patch
that one static method. Its real implementation is :func:`send`: ``requests`` over the
current app's pooled :class:`ClientSession`, with the calling remote app's timeout as a
total deadline. The remote app hands its name, timeout and redirect policy to
:func:`send` through a context variable (:func:`remote_call`), which keeps the 0.9.6
signature callable with four arguments.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
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
    "ClientSession",
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


class _Deadline:
    """A total time budget for one request: its redirects and the reading of the answers.

    ``requests`` bounds each socket operation by its timeout, so a server that sends a
    byte now and then holds a call as long as it likes. :meth:`watch`, a ``requests``
    response hook, arms a timer on each answer; at the deadline the timer shuts the
    answer's connection down (urllib3's ``HTTPResponse.shutdown()``, 2.3 and later),
    which ends any read blocked on it. The status line and headers are bound by the
    per-read timeout only: the connection is known once they are in. With an older
    urllib3 nothing is cut, but an answer completed after the deadline is still refused.
    """

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self._cut = False
        self._lock = threading.Lock()
        self._timers: list[threading.Timer] | None = []

    @property
    def missed(self) -> bool:
        """Whether the deadline cut a connection or has passed."""
        return self._cut or time.monotonic() > self.at

    def watch(self, resp: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        """Cut the connection of ``resp`` at the deadline unless its body is read by then."""
        if not callable(getattr(resp.raw, "shutdown", None)):
            return resp
        timer = threading.Timer(max(self.at - time.monotonic(), 0.0), self._expire, (resp,))
        timer.daemon = True
        with self._lock:
            if self._timers is not None:
                self._timers.append(timer)
                timer.start()
        return resp

    def _expire(self, resp: requests.Response) -> None:
        """Shut down the connection of ``resp``, unless the request is over."""
        with self._lock:
            if self._timers is None:
                return
            try:
                resp.raw.shutdown()
            except (RuntimeError, ValueError, OSError):  # read and back in the pool
                return
            self._cut = True

    def stop(self) -> None:
        """Disarm every timer: the request is over."""
        with self._lock:
            timers, self._timers = self._timers or [], None
        for timer in timers:
            timer.cancel()


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
      ``requests``, and also the whole call, redirects and reading the body included;
      past it ``requests.exceptions.ReadTimeout`` is raised. A call with
      ``stream=True`` leaves the reading of the body, and its duration, to the caller.

    .. versionadded:: 1.1
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cookies = NoCookieJar()

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        """Return where ``resp`` redirects to; ``None`` if following would re-send a body."""
        if resp.status_code in (307, 308) and resp.request is not None and resp.request.body:
            log.debug("not following a %s redirect, which would re-send the body", resp.status_code)
            return None
        return super().get_redirect_target(resp)

    def request(  # type: ignore[override]
        self, method: str, url: str, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send a request; a number as ``timeout`` is also a total deadline."""
        seconds = kwargs.get("timeout")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            return super().request(method, url, *args, **kwargs)
        deadline = _Deadline(seconds)
        hooks = dict(kwargs.get("hooks") or {})
        given = hooks.get("response", [])
        hooks["response"] = [deadline.watch, *([given] if callable(given) else given)]
        kwargs["hooks"] = hooks
        try:
            resp = super().request(method, url, *args, **kwargs)
        except requests.Timeout:
            raise
        except Exception as exc:  # a connection cut at the deadline fails in many ways
            if deadline.missed:
                raise _too_late(seconds) from exc
            raise
        finally:
            deadline.stop()
        if deadline.missed:  # complete too late, or cut short at the deadline
            resp.close()
            raise _too_late(seconds)
        return resp


def _too_late(seconds: float) -> requests.exceptions.ReadTimeout:
    """The error of a call that missed its deadline of ``seconds``."""
    return requests.exceptions.ReadTimeout(f"Timed out: no complete answer within {seconds:g} s")


def pooled_session() -> ClientSession:
    """Return a :class:`ClientSession`: it pools connections, keeps no cookies between
    calls, re-sends no body on a redirect, and takes a call's timeout as its deadline."""
    return ClientSession()


@dataclass(frozen=True)
class _Call:
    """Who is calling :func:`send`: a remote app's name (for messages), its timeout, and
    whether redirects are followed."""

    name: str
    timeout: float
    follow_redirects: bool = True


_current_call: ContextVar[_Call | None] = ContextVar("flask_oauthlib_client_call", default=None)


@contextlib.contextmanager
def remote_call(name: str, timeout: float, follow_redirects: bool = True) -> Iterator[None]:
    """Let :func:`send` know which remote app calls it, and how.

    :param name: the remote app's name, used in error messages.
    :param timeout: seconds the whole call may take.
    :param follow_redirects: follow redirects (those that re-send no body); token
        requests follow none.
    """
    token = _current_call.set(_Call(name, timeout, follow_redirects))
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
    :meth:`OAuth.init_app`); outside one, a session for this call only. Either way it
    is a :class:`ClientSession`: no cookie outlives the call, no redirect re-sends the
    body, and the timeout (the calling remote app's, 10 s otherwise) bounds the whole
    call. A response with an error status, or a redirect not followed, is returned like
    any other.

    :raises OAuthException: ``timeout`` or ``network_error``; the message never holds
        the URL, which may carry credentials.
    :raises RuntimeError: inside an app whose ``OAuth`` was never initialised.
    """
    uri, headers, data, method = prepare_request(uri, headers, data, method)
    call = _current_call.get()
    timeout = call.timeout if call else DEFAULT_TIMEOUT
    name = call.name if call else (urlsplit(uri).hostname or "the remote server")
    follow = call.follow_redirects if call else True
    with _session() as http:
        try:
            resp = http.request(
                method, uri, headers=headers, data=data, timeout=timeout, allow_redirects=follow
            )
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
