"""The HTTP half of the test stub: a ``requests`` transport adapter that answers every
call of an app's remote apps in memory, and records it.

:class:`StubTransport` is mounted on an app's HTTP session
(:meth:`OAuth.http_session <flask_oauthlib_client.OAuth.http_session>`) for ``http://``
and ``https://``, so no call reaches the network: each one is recorded as a
:class:`RecordedRequest` and offered to the stubs of the transport in turn; the first
that knows the URL answers with a :class:`StubResponse`. A call no stub knows fails as
an unreachable server does (``requests.ConnectionError``, which the client turns into
``OAuthException(type="network_error")``), and is kept in :attr:`StubTransport.unmatched`.

.. versionadded:: 1.1
"""

from __future__ import annotations

import io
import json as jsonlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.response import HTTPResponse

__all__ = ["Answerer", "RecordedRequest", "StubResponse", "StubTransport", "origin_and_path"]

log = logging.getLogger(__name__)


def origin_and_path(url: str) -> str:
    """``url`` without its query and fragment, scheme and host in lower case and without a
    default port, and ``/`` for an empty path: what routes are matched on."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    netloc = host if port in (None, default) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path or '/'}"


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the app sent, as it would have gone on the wire.

    :ivar method: the HTTP method, upper case.
    :ivar url: the full URL, query included.
    :ivar headers: the request headers (case-insensitive).
    :ivar body: the body, ``b""`` without one.
    """

    method: str
    url: str
    headers: CaseInsensitiveDict[str]
    body: bytes = b""

    @property
    def path(self) -> str:
        """The path of :attr:`url`."""
        return urlsplit(self.url).path or "/"

    @property
    def query(self) -> dict[str, str]:
        """The query parameters of :attr:`url` (the last value of each)."""
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))

    @property
    def form(self) -> dict[str, str]:
        """The body's parameters when it is form-encoded, else ``{}``."""
        kind = self.headers.get("Content-Type", "")
        if not kind.startswith("application/x-www-form-urlencoded"):
            return {}
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def json(self) -> Any:
        """The body parsed as JSON.

        :raises ValueError: if it is not JSON.
        """
        return jsonlib.loads(self.body.decode("utf-8"))

    def matches(self, method: str | None = None, url: str | None = None) -> bool:
        """Whether this request has ``method`` (any if ``None``) and goes to ``url``
        (compared without the query; any if ``None``)."""
        if method is not None and self.method != method.upper():
            return False
        return url is None or origin_and_path(self.url) == origin_and_path(url)


@dataclass(frozen=True)
class StubResponse:
    """What a stub answers to one request.

    :ivar status: the HTTP status.
    :ivar body: the body.
    :ivar headers: the response headers.
    """

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of_json(
        cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None
    ) -> StubResponse:
        """A JSON answer: ``data`` serialised, ``Content-Type: application/json``."""
        merged = {"Content-Type": "application/json", **(headers or {})}
        return cls(status, jsonlib.dumps(data).encode("utf-8"), merged)

    @classmethod
    def of_form(
        cls, data: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
    ) -> StubResponse:
        """A form-encoded answer, as OAuth 1 servers give tokens."""
        merged = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        return cls(status, urlencode(dict(data)).encode("utf-8"), merged)


class Answerer(Protocol):
    """What a transport asks to answer a request: a
    :class:`~flask_oauthlib_client.testing.RemoteStub`."""

    def answer(self, request: RecordedRequest) -> StubResponse | None:
        """The answer to ``request``, or ``None`` if it is not for this stub."""


class StubTransport(HTTPAdapter):
    """A transport adapter answering from stubs, never from the network.

    :ivar stubs: who is asked, in order (the first answer wins).
    :ivar requests: every request sent through it, answered or not.
    :ivar unmatched: the requests no stub answered.
    """

    def __init__(self) -> None:
        super().__init__(max_retries=0)
        self.stubs: list[Answerer] = []
        self.requests: list[RecordedRequest] = []
        self.unmatched: list[RecordedRequest] = []
        self._saved: list[tuple[requests.Session, dict[str, Any]]] = []
        self._listeners: list[Callable[[RecordedRequest], None]] = []

    def install(self, session: requests.Session) -> None:
        """Mount this adapter on ``session`` for ``http://`` and ``https://``; the
        adapters it replaces come back with :meth:`uninstall`."""
        if any(saved is session for saved, _ in self._saved):
            return
        self._saved.append((session, dict(session.adapters)))
        session.mount("https://", self)
        session.mount("http://", self)

    def uninstall(self) -> None:
        """Give every session back the adapters it had before :meth:`install`."""
        while self._saved:
            session, adapters = self._saved.pop()
            session.adapters.clear()
            for prefix, adapter in adapters.items():
                session.mount(prefix, adapter)

    def listen(self, listener: Callable[[RecordedRequest], None]) -> None:
        """Call ``listener`` with every request sent through this adapter."""
        self._listeners.append(listener)

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, **kwargs: Any
    ) -> requests.Response:
        """Answer ``request`` from the stubs.

        :raises requests.ConnectionError: when no stub knows its URL.
        """
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif body is not None and not isinstance(body, bytes):
            body = b"".join(body)  # an iterable of chunks
        recorded = RecordedRequest(
            str(request.method or "GET").upper(),
            str(request.url),
            CaseInsensitiveDict(dict(request.headers)),
            body or b"",
        )
        self.requests.append(recorded)
        for listener in self._listeners:
            listener(recorded)
        for stub in list(self.stubs):
            answer = stub.answer(recorded)
            if answer is not None:
                return self._response(request, answer)
        self.unmatched.append(recorded)
        log.warning(
            "no oauth_remote_stub answers %s %s: failing it as a network error",
            recorded.method,
            origin_and_path(recorded.url),
        )
        raise requests.ConnectionError(
            f"no network in tests: no stub answers {recorded.method}"
            f" {origin_and_path(recorded.url)}",
            request=request,
        )

    def _response(
        self, request: requests.PreparedRequest, answer: StubResponse
    ) -> requests.Response:
        try:
            reason = HTTPStatus(answer.status).phrase
        except ValueError:
            reason = ""
        raw = HTTPResponse(
            body=io.BytesIO(answer.body),
            headers=dict(answer.headers),
            status=answer.status,
            reason=reason,
            preload_content=False,
            decode_content=False,
        )
        return self.build_response(request, raw)

    def close(self) -> None:
        """Nothing to close: no connection was opened."""
