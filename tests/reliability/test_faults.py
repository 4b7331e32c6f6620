"""Faults: PostgreSQL and Redis become unreachable mid-run, then come back.

A TCP proxy in front of the real service is cut and restored. While it is down the
provider answers ``temporarily_unavailable`` (503 JSON) and issues nothing; once it is
back the same app, not restarted, completes the flow. (A commit failing mid-flow is
``packages/contrib-sqla/tests/test_sqla.py::test_failed_commit_issues_nothing``.)
"""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
import requests
from oauth2_app import authorize_url, redeem

from flask_oauthlib_core.testing import (
    POSTGRES_HOST,
    POSTGRES_PORT,
    POSTGRES_URL,
    REDIS_PORT,
    consent,
    redirect_params,
    require_service,
)


class Proxy:
    """A TCP forwarder to ``target`` that can be cut (listener and connections closed)."""

    def __init__(self, target: int) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self.listener is not listener:
                client.close()
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()

    def cut(self) -> None:
        if self.listener is not None:
            try:
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
            except OSError:
                pass
            self.listener.close()
            self.listener = None
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            except OSError:
                pass
        self.sockets.clear()


@pytest.fixture
def proxy() -> Iterator[Callable[[int], Proxy]]:
    proxies: list[Proxy] = []

    def make(target: int) -> Proxy:
        p = Proxy(target)
        p.start()
        proxies.append(p)
        return p

    yield make
    for p in proxies:
        p.cut()


def code_flow(url: str) -> requests.Response:
    """Allow, and redeem the code; the authorization answer when it gave none."""
    answer = consent(authorize_url(url))
    code = redirect_params(answer).get("code")
    return answer if code is None else redeem(url, code)


def test_postgresql_unreachable_then_back(
    proxy: Callable[[int], Proxy], serve: Callable[..., str]
) -> None:
    from sqla_app import Base, Token, create_app, postgres_engine, postgres_schema
    from sqlalchemy import select

    with postgres_schema("fault_") as schema:
        pg = proxy(POSTGRES_PORT)
        via_proxy = POSTGRES_URL.replace(f"{POSTGRES_HOST}:{POSTGRES_PORT}", f"127.0.0.1:{pg.port}")
        engine = postgres_engine(
            schema, via_proxy, pool_pre_ping=True, connect_args={"connect_timeout": 3}
        )
        try:
            Base.metadata.create_all(engine)
            app, _, session = create_app(engine)
            url = serve(app)
            assert code_flow(url).status_code == 200
            pg.cut()
            down = requests.post(
                url + "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=("confidential", "s3cret"),
                timeout=20,
            )
            assert down.status_code == 503 and down.json()["error"] == "temporarily_unavailable"
            api = requests.get(
                url + "/api/me", headers={"Authorization": "Bearer anything"}, timeout=20
            )
            assert api.status_code == 503
            pg.start()
            assert code_flow(url).status_code == 200  # same app, no restart
            session.remove()
            with engine.connect() as conn:
                assert len(conn.execute(select(Token.id)).all()) == 2  # nothing issued while down
        finally:
            engine.dispose()
            pg.cut()


def test_redis_unreachable_then_back(
    proxy: Callable[[int], Proxy], serve: Callable[..., str]
) -> None:
    require_service("redis")
    from oauth2_app import create_app

    from flask_oauthlib_contrib_cache import bind_cache_grant

    redis_proxy = proxy(REDIS_PORT)
    app, oauth, store = create_app(
        OAUTH2_CACHE_TYPE="redis",
        OAUTH2_CACHE_REDIS_PORT=redis_proxy.port,
        OAUTH2_CACHE_REDIS_HOST="127.0.0.1",
        OAUTH2_CACHE_KEY_PREFIX="fault" + secrets.token_hex(4),
    )
    bind_cache_grant(app, oauth, lambda: store.alice)
    url = serve(app)
    assert code_flow(url).status_code == 200
    redis_proxy.cut()
    down = code_flow(url)
    assert down.status_code == 302 and "error=temporarily_unavailable" in down.headers["Location"]
    token = redeem(url, "x" * 30)
    assert token.status_code == 503 and token.json()["error"] == "temporarily_unavailable"
    assert len(store.tokens) == 1
    redis_proxy.start()
    assert code_flow(url).status_code == 200
    assert len(store.tokens) == 2
