"""Holes an outside review found in the client, each pinned by a test over real HTTP.

The remote server is a small Flask app served on 127.0.0.1 (the ``serve`` fixture): it
records every request it gets (method, query string, form, cookies, client port), sets
cookies, and answers token requests without checking the code, so the tests can play
several end users against one client app.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask, jsonify, redirect, request
from flask.testing import FlaskClient
from login_app import CLIENT_SECRET, login_app, remote_settings

from flask_oauthlib_client import OAuthRemoteApp
from flask_oauthlib_core.testing import redirect_params


def remote_server(calls: list[dict[str, Any]]) -> Flask:
    """An OAuth 2 server that sets cookies everywhere and records what it receives."""
    app = Flask("cookie_setting_remote")

    @app.before_request
    def record() -> None:
        calls.append(
            {
                "path": request.path,
                "method": request.method,
                "query": request.query_string.decode(),
                "form": request.form.to_dict(),
                "cookies": request.cookies.to_dict(),
                "port": request.environ["REMOTE_PORT"],
            }
        )

    @app.route("/token", methods=["GET", "POST"])
    def token() -> Any:
        grant = request.values.get("code") or request.values.get("refresh_token", "")
        resp = jsonify(
            access_token=f"at-{grant}",
            refresh_token=f"rt-{grant}",
            token_type="Bearer",
            expires_in=3600,
        )
        resp.set_cookie("token_session", f"of-{grant}")
        return resp

    @app.route("/api/me")
    def me() -> Any:
        user = request.headers["Authorization"].removeprefix("Bearer at-")
        resp = jsonify(name=user)
        resp.set_cookie("api_session", f"of-{user}")
        return resp

    @app.route("/api/hop")
    def hop() -> Any:
        resp = redirect("/api/landing")
        resp.set_cookie("hop", "1")
        return resp

    @app.route("/api/landing")
    def landing() -> Any:
        return jsonify(hop=request.cookies.get("hop"))

    return app


@pytest.fixture
def calls() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def remote_url(serve: Any, calls: list[dict[str, Any]]) -> str:
    return serve(remote_server(calls))  # type: ignore[no-any-return]


@pytest.fixture
def keep_alive() -> Iterator[tuple[str, list[int]]]:
    """A plain HTTP/1.1 server that keeps connections open (werkzeug's closes them).

    It answers every ``GET`` with a cookie and records the client port of each request.
    """
    ports: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            ports.append(self.client_address[1])
            body = b'{"name": "alice"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Set-Cookie", "keep=1")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", ports
    server.shutdown()
    server.server_close()


def client_app(remote_url: str, **kwargs: Any) -> tuple[Flask, OAuthRemoteApp]:
    """A Flask app logging its users in with the remote; ``kwargs`` override settings."""
    return login_app(**remote_settings(remote_url, **kwargs))


def log_in(app: Flask, code: str) -> FlaskClient:
    """One end user's browser logs in; the remote hands back ``code``."""
    browser = app.test_client()
    state = redirect_params(browser.get("/login"))["state"]
    assert browser.get(f"/authorized?code={code}&state={state}").status_code == 200
    return browser


def token_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [call for call in calls if call["path"] == "/token"]


def get_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The client's warnings about a token request sent with ``GET``."""
    return [
        record
        for record in caplog.records
        if record.levelno == logging.WARNING and "access_token_method" in record.getMessage()
    ]


# -- SECURITY-DEFAULTS 24: no cookies kept between remote calls ----------------------------


def test_remote_cookies_of_one_user_never_reach_another(
    remote_url: str, calls: list[dict[str, Any]]
) -> None:
    app, _ = client_app(remote_url)
    alice = log_in(app, "alice")
    assert alice.get("/me").get_json() == {"name": "alice"}
    bob = log_in(app, "bob")  # the token request would carry Alice's token_session
    assert bob.get("/me").get_json() == {"name": "bob"}  # ... and this her api_session
    assert [call["cookies"] for call in calls] == [{}, {}, {}, {}]


def test_cookies_still_follow_redirects_within_one_call(
    remote_url: str, calls: list[dict[str, Any]]
) -> None:
    app, remote = client_app(remote_url)
    with app.test_request_context():
        assert remote.get("hop", token="at-alice").data == {"hop": "1"}
        assert remote.get("landing", token="at-bob").data == {"hop": None}
    assert [call["cookies"] for call in calls] == [{}, {"hop": "1"}, {}]


def test_connections_are_still_pooled(keep_alive: tuple[str, list[int]]) -> None:
    url, ports = keep_alive
    app, remote = client_app(url)
    with app.test_request_context():
        for user in ("alice", "bob", "carol"):
            assert remote.get("me", token=f"at-{user}").data == {"name": "alice"}
    app.extensions["oauthlib.client.http"].close()
    assert len(ports) == 3 and len(set(ports)) == 1


# -- token requests POST by default; credentials never in a URL ----------------------------


def test_code_exchange_posts_by_default(remote_url: str, calls: list[dict[str, Any]]) -> None:
    app, remote = client_app(remote_url)
    log_in(app, "alice")
    with app.test_request_context():
        assert remote.access_token_method == "POST"
    [call] = token_calls(calls)
    assert call["method"] == "POST"
    assert call["query"] == ""
    assert call["form"]["code"] == "alice"
    assert call["form"]["client_secret"] == CLIENT_SECRET
    assert len(call["form"]["code_verifier"]) >= 43


@pytest.mark.parametrize("method", [None, "GET"])
def test_refresh_always_posts(
    remote_url: str, calls: list[dict[str, Any]], method: str | None
) -> None:
    app, remote = client_app(remote_url, access_token_method=method)
    expired = {"access_token": "at-old", "refresh_token": "rt-old", "expires_at": 1}
    with app.test_request_context():
        assert remote.get("me", token=expired).data == {"name": "rt-old"}
    [call] = token_calls(calls)
    assert call["method"] == "POST"
    assert call["query"] == ""
    assert call["form"]["refresh_token"] == "rt-old"
    assert call["form"]["client_secret"] == CLIENT_SECRET


def test_explicit_get_still_works_and_warns_once(
    remote_url: str, calls: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    app, remote = client_app(remote_url, access_token_method="get")
    with caplog.at_level(logging.WARNING, logger="flask_oauthlib_client"):
        for user in ("alice", "bob"):
            assert log_in(app, user).get("/me").get_json() == {"name": user}
    gets = token_calls(calls)
    assert [call["method"] for call in gets] == ["GET", "GET"]
    assert "code=alice" in gets[0]["query"] and "code=bob" in gets[1]["query"]
    [warning] = get_warnings(caplog)
    message = warning.getMessage()
    assert "dev" in message and "GET" in message
    for secret in (CLIENT_SECRET, "alice", "bob"):
        assert secret not in message


def test_get_warning_is_per_remote_app(remote_url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="flask_oauthlib_client"):
        for user in ("alice", "bob"):
            app, _ = client_app(remote_url, access_token_method="GET")
            log_in(app, user)
    assert len(get_warnings(caplog)) == 2
