"""Findings of an outside attacker's review of the client, each pinned over real HTTP.

The remote is a small Flask app served on 127.0.0.1 (the ``serve`` fixture) that answers
token requests according to the code (or refresh token) it gets, and API calls according
to the path: with an unknown charset, with a redirect to a second server (the "thief", on
another port, so another origin, which records everything it receives), or dripping its
body one byte at a time. Parallel refreshes run against Authlib's server, which rotates
refresh tokens.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from client_peers import Live, authlib_oauth2_app
from flask import Flask, Response, current_app, jsonify, request
from flask.testing import FlaskClient
from login_app import CLIENT_SECRET as SECRET
from login_app import login_app, remote_settings
from werkzeug.test import TestResponse

from flask_oauthlib_client import OAuthException, OAuthRemoteApp
from flask_oauthlib_client.contrib.application import OAuth2Session
from flask_oauthlib_core.testing import (
    code_challenge,
    concurrently,
    go_to_provider,
    redirect_params,
)

CALLBACK = "http://localhost/authorized"
#: the body of a token (or API) answer, and how it is dripped: a byte every STEP s
TOKEN_JSON = b'{"access_token": "at-late", "token_type": "Bearer"}'
STEP = 0.25
SLOW_BYTES = 12  # 3 s of dripping, far beyond a 1 s timeout, each byte well within it


def drip(count: int, length: bool) -> Response:
    """Send ``count`` spaces ``STEP`` seconds apart, then a JSON token.

    :param length: send a ``Content-Length`` (else werkzeug sends the body chunked).
    """

    def chunks() -> Iterator[bytes]:
        for _ in range(count):
            time.sleep(STEP)
            yield b" "
        yield TOKEN_JSON

    headers = {"Content-Length": str(count + len(TOKEN_JSON))} if length else {}
    return Response(chunks(), content_type="application/json", headers=headers)


def token_answer(grant: str, thief: str) -> Any:
    """What the remote's token endpoint answers to the code or refresh token ``grant``."""
    kind, _, arg = grant.partition("-")
    if kind == "charset":  # a form body labelled with an unknown or non-text charset
        body = "access_token=at-x&token_type=Bearer"
        return Response(body, content_type=f"text/plain; charset={arg}")
    if kind == "xml":  # an XML body declaring an unknown encoding
        body = f'<?xml version="1.0" encoding="{arg}"?><r><access_token>x</access_token></r>'
        return Response(body, content_type="application/xml")
    if kind == "redirect":
        return Response("", status=int(arg), headers={"Location": thief + "/steal"})
    if kind == "drip":
        return drip(SLOW_BYTES if arg != "short" else 3, length=arg == "length")
    return jsonify(
        access_token=f"at-{grant}",
        refresh_token=f"rt-{grant}",
        token_type="Bearer",
        expires_in=3600,
    )


def odd_remote(thief: str) -> Flask:
    """An OAuth 2 server whose answers are odd on purpose (see :func:`token_answer`)."""
    app = Flask("odd_remote")
    app.config["ISS_SUPPORTED"] = None

    @app.route("/token", methods=["GET", "POST"])
    def token() -> Any:
        grant = request.values.get("code") or request.values.get("refresh_token", "")
        return token_answer(grant.removeprefix("rt-"), thief)

    @app.route("/.well-known/oauth-authorization-server")
    def metadata() -> Any:
        base = request.host_url.rstrip("/")
        document = {
            "issuer": base,
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": base + "/token",
        }
        supported = current_app.config["ISS_SUPPORTED"]
        if supported is not None:
            document["authorization_response_iss_parameter_supported"] = supported
        return jsonify(document)

    @app.route("/api/charset/<charset>")
    def charset(charset: str) -> Any:
        body = "héllo wörld".encode()
        return Response(body, content_type=f"text/plain; charset={charset}")

    @app.route("/api/form/<charset>")
    def form(charset: str) -> Any:
        return Response(
            "name=alice", content_type=f"application/x-www-form-urlencoded; charset={charset}"
        )

    @app.route("/api/xml/<encoding>")
    def xml(encoding: str) -> Any:
        body = f'<?xml version="1.0" encoding="{encoding}"?><user>alice</user>'
        return Response(body, content_type="application/xml")

    @app.route("/api/redirect/<int:status>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def redirect_away(status: int) -> Any:
        return Response("", status=status, headers={"Location": thief + "/steal"})

    @app.route("/api/drip/<mode>")
    def api_drip(mode: str) -> Any:
        return drip(SLOW_BYTES if mode != "short" else 3, length=mode == "length")

    return app


def thief_app(seen: list[dict[str, Any]]) -> Flask:
    """Another origin, recording every request it receives."""
    app = Flask("thief")

    @app.route("/steal", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def steal() -> Any:
        seen.append(
            {
                "method": request.method,
                "body": request.get_data(as_text=True),
                "authorization": request.headers.get("Authorization"),
            }
        )
        return jsonify(access_token="stolen", token_type="Bearer", where="thief")

    return app


@pytest.fixture
def stolen() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def odd(serve: Any, stolen: list[dict[str, Any]]) -> Flask:
    return odd_remote(serve(thief_app(stolen)))


@pytest.fixture
def remote_url(serve: Any, odd: Flask) -> str:
    return serve(odd)  # type: ignore[no-any-return]


def client_app(remote_url: str, **kwargs: Any) -> tuple[Flask, OAuthRemoteApp]:
    """A client app logging in with the remote (``login_app``)."""
    return login_app(**remote_settings(remote_url, **kwargs))


def call_back(app: Flask, code: str, extra: str = "") -> TestResponse:
    """Start a login and come back with ``code`` (and ``extra`` query parameters)."""
    browser = app.test_client()
    return browser.get(f"/authorized?code={code}&state={start(browser)}{extra}")


def start(browser: FlaskClient) -> str:
    """Start a login in ``browser``; return its state."""
    return redirect_params(browser.get("/login"))["state"]


# -- 1. an unknown charset is decoded leniently, never a LookupError ------------------------


@pytest.mark.parametrize("charset", ["bogus", "base64", "rot13", "idna"])
def test_token_response_with_an_unknown_charset_is_decoded_leniently(
    remote_url: str, charset: str
) -> None:
    app, _ = client_app(remote_url)
    resp = call_back(app, f"charset-{charset}")
    assert resp.status_code == 200
    assert resp.get_json() == {"access_token": "at-x", "token_type": "Bearer"}


def test_token_response_in_an_unknown_xml_encoding_is_an_oauth_exception(
    remote_url: str,
) -> None:
    app, _ = client_app(remote_url)
    resp = call_back(app, "xml-bogus")
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "invalid_response"


@pytest.mark.parametrize("charset", ["bogus", "base64", "idna"])
def test_api_response_with_an_unknown_charset_is_decoded_leniently(
    remote_url: str, charset: str
) -> None:
    app, remote = client_app(remote_url)
    with app.test_request_context():
        text = remote.get(f"charset/{charset}", token="t")
        assert text.status == 200
        assert text.data == "héllo wörld"
        assert remote.get(f"form/{charset}", token="t").data == {"name": "alice"}
        xml = remote.get("xml/bogus", token="t")
        assert xml.data.startswith('<?xml version="1.0" encoding="bogus"?>')


# -- 2. no request body or credentials ever follow a redirect to another origin -------------


@pytest.mark.parametrize("status", [302, 303, 307, 308])
def test_code_exchange_does_not_follow_redirects(
    remote_url: str, stolen: list[dict[str, Any]], status: int
) -> None:
    app, _ = client_app(remote_url)
    resp = call_back(app, f"redirect-{status}")
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "invalid_response"
    message = resp.get_json()["message"]
    assert f"redirect ({status})" in message and SECRET not in message
    assert stolen == []


@pytest.mark.parametrize("status", [302, 307])
def test_refresh_does_not_follow_redirects(
    remote_url: str, stolen: list[dict[str, Any]], status: int
) -> None:
    app, remote = client_app(remote_url)
    expired = {"access_token": "a", "refresh_token": f"rt-redirect-{status}", "expires_at": 1}
    with app.test_request_context(), pytest.raises(OAuthException) as info:
        remote.get("me", token=expired)
    assert info.value.type == "refresh_failed"
    assert stolen == []


def test_oauth1_token_requests_do_not_follow_redirects(
    remote_url: str, stolen: list[dict[str, Any]]
) -> None:
    app, remote = client_app(
        remote_url, request_token_url=remote_url + "/api/redirect/302", base_url=None
    )
    with app.test_request_context(), pytest.raises(OAuthException) as info:
        remote.authorize(callback="/authorized")
    assert info.value.type == "token_generation_failed"
    assert stolen == []


@pytest.mark.parametrize("status", [307, 308])
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_api_calls_never_resend_a_body_elsewhere(
    remote_url: str, stolen: list[dict[str, Any]], method: str, status: int
) -> None:
    app, remote = client_app(remote_url)
    with app.test_request_context():
        resp = getattr(remote, method)(f"redirect/{status}", data={"secret": "s"}, token="t")
    assert resp.status == status  # answered as is, as 0.9.6's urllib did
    assert stolen == []


def test_api_redirects_without_a_body_are_followed_without_credentials(
    remote_url: str, stolen: list[dict[str, Any]]
) -> None:
    app, remote = client_app(remote_url)
    with app.test_request_context():
        for status in (302, 307):
            assert remote.get(f"redirect/{status}", token="t").data["where"] == "thief"
        # a POST answered 303 (or 302) becomes a GET without the body, as browsers do
        assert remote.post("redirect/303", data={"secret": "s"}, token="t").status == 200
    assert [(seen["method"], seen["body"]) for seen in stolen] == [("GET", "")] * 3
    assert {seen["authorization"] for seen in stolen} == {None}


def test_contrib_sessions_never_resend_a_body_elsewhere(
    remote_url: str, stolen: list[dict[str, Any]]
) -> None:
    url = remote_url + "/api/redirect/307"
    with OAuth2Session("client-1", token={"access_token": "t", "token_type": "Bearer"}) as oauth:
        assert oauth.post(url, data={"secret": "s"}).status_code == 307
        assert oauth.get(url).json()["where"] == "thief"
    assert [(seen["method"], seen["authorization"]) for seen in stolen] == [("GET", None)]


# -- 3. RFC 9207: a server that advertises iss must send it ----------------------------------


def metadata_client(url: str) -> Flask:
    app, _ = client_app(
        url,
        access_token_url=None,
        authorize_url=None,
        server_metadata_url=url + "/.well-known/oauth-authorization-server",
    )
    return app


@pytest.mark.parametrize("supported", [False, None])
def test_callback_without_iss_is_accepted_when_not_advertised(
    odd: Flask, remote_url: str, supported: bool | None
) -> None:
    odd.config["ISS_SUPPORTED"] = supported
    app = metadata_client(remote_url)
    assert call_back(app, "alice").get_json()["access_token"] == "at-alice"


def test_callback_without_iss_is_rejected_when_advertised(odd: Flask, remote_url: str) -> None:
    odd.config["ISS_SUPPORTED"] = True
    app = metadata_client(remote_url)
    missing = call_back(app, "alice")
    assert missing.status_code == 400
    assert missing.get_json()["error"] == "invalid_issuer"
    wrong = call_back(app, "alice", "&iss=https://evil.example")
    assert wrong.get_json()["error"] == "invalid_issuer"
    right = call_back(app, "alice", "&iss=" + remote_url)
    assert right.get_json()["access_token"] == "at-alice"


# -- 4. parallel refreshes of one refresh token: one refresh, both calls succeed -------------


@pytest.fixture
def rotating(serve: Any) -> Live:
    """Authlib's server, which rotates refresh tokens; refreshes take 0.3 s."""
    live = authlib_oauth2_app(CALLBACK)
    live.state["grants"] = []

    @live.app.before_request
    def slow_refresh() -> None:
        if request.path == "/token":
            live.state["grants"].append(request.form.get("grant_type"))
            if request.form.get("grant_type") == "refresh_token":
                time.sleep(0.3)

    live.url = serve(live.app)
    return live


def logged_in(live: Live) -> tuple[Flask, OAuthRemoteApp, dict[str, Any]]:
    """A client app of ``live`` and a real token of it, already expired."""
    app, remote = client_app(
        live.url, access_token_method="POST", request_token_params={"scope": "profile"}
    )
    browser = app.test_client()
    token = browser.get(go_to_provider(browser)).get_json()
    assert "refresh_token" in token
    return app, remote, dict(token, expires_at=int(time.time()) - 10)


def refreshes(live: Live) -> int:
    return sum(grant == "refresh_token" for grant in live.state["grants"])


def test_parallel_calls_refresh_an_expired_token_once(rotating: Live) -> None:
    app, remote, expired = logged_in(rotating)
    store = {"token": expired}
    saved: list[dict[str, Any]] = []

    @remote.tokengetter
    def get_token() -> Any:
        return store["token"]

    @remote.tokensaver
    def save_token(token: dict[str, Any]) -> None:
        saved.append(token)
        store["token"] = token

    def call() -> Any:
        with app.test_request_context():
            try:
                return remote.get("me").data
            except OAuthException as exc:
                return exc.type

    results = concurrently(call, 2)
    assert results == [{"name": "alice", "scope": "profile"}] * 2
    assert refreshes(rotating) == 1
    assert {token["access_token"] for token in saved} == {store["token"]["access_token"]}
    assert store["token"]["refresh_token"] != expired["refresh_token"]
    assert len(remote._refresh_locks) == 0  # nothing kept once the refreshes are done


def test_a_token_refreshed_meanwhile_is_read_again_not_refreshed(rotating: Live) -> None:
    app, remote, expired = logged_in(rotating)
    with app.test_request_context():
        fresh = remote.refresh_token(expired)  # another thread (or worker) got in first
    first_read = [expired]

    @remote.tokengetter
    def get_token() -> Any:
        return first_read.pop() if first_read else fresh

    with app.test_request_context():
        assert remote.get("me").data == {"name": "alice", "scope": "profile"}
    assert refreshes(rotating) == 1


# -- 5. the timeout is a total deadline, not a per-read one ----------------------------------


@pytest.mark.parametrize("mode", ["chunked", "length"])
def test_token_request_has_a_total_deadline(remote_url: str, mode: str) -> None:
    app, _ = client_app(remote_url, timeout=1)
    started = time.monotonic()
    resp = call_back(app, f"drip-{mode}")
    assert resp.get_json()["error"] == "timeout"
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("mode", ["chunked", "length"])
def test_api_call_has_a_total_deadline(remote_url: str, mode: str) -> None:
    app, remote = client_app(remote_url, timeout=1)
    started = time.monotonic()
    with app.test_request_context(), pytest.raises(OAuthException) as info:
        remote.get(f"drip/{mode}", token="t")
    assert info.value.type == "timeout" and "1 s" in info.value.message
    assert time.monotonic() - started < 2


def test_answers_within_the_deadline_are_untouched(remote_url: str) -> None:
    app, remote = client_app(remote_url, timeout=2)
    assert call_back(app, "drip-short").get_json()["access_token"] == "at-late"
    with app.test_request_context():
        assert remote.get("drip/short", token="t").data["access_token"] == "at-late"
        time.sleep(2.2)  # the watch over the last call is over: nothing cuts the next
        assert remote.get("charset/utf-8", token="t").data == "héllo wörld"


def test_contrib_sessions_have_a_total_deadline(remote_url: str) -> None:
    with OAuth2Session("client-1", token={"access_token": "t", "token_type": "Bearer"}) as oauth:
        oauth.timeout = 1
        started = time.monotonic()
        with pytest.raises(requests.Timeout, match="within 1 s"):
            oauth.get(remote_url + "/api/drip/chunked")
    assert time.monotonic() - started < 2


# == second review: bad answers, oversized answers, parallel logins, dripped headers =========

DEEP = "[" * 100000 + "]" * 100000
#: token endpoint answers by code, API answers by path, of :func:`bad_remote`
BAD_TOKENS: dict[str, Any] = {
    "deep": DEEP,
    "junk-at": {"access_token": "at", "refresh_token": "rt", "expires_at": "soon"},
    "list-at": {"access_token": "at", "refresh_token": "rt", "expires_at": [1]},
    "huge-in": '{"access_token": "at", "refresh_token": "rt", "expires_in": 1' + "0" * 400 + "}",
    "nan-in": '{"access_token": "at", "refresh_token": "rt", "expires_in": NaN}',
    "bool-in": {"access_token": "at", "refresh_token": "rt", "expires_in": True},
    "none": {"foo": 1},
    "null": {"access_token": None},
    "empty": {"access_token": ""},
    "crlf": {"access_token": "a\r\nX-Evil: 1"},
    "type": {"access_token": "at", "token_type": 5},
}
GOOD_TOKENS: dict[str, Any] = {
    "str-in": {"access_token": "at", "token_type": "Bearer", "expires_in": "3600"},
    "float-in": {"access_token": "at", "token_type": "Bearer", "expires_in": 3600.5},
}
BOMB_SIZE = 32 * 1024 * 1024


def bad_remote() -> Flask:
    """An OAuth 2 server with the answers of :data:`BAD_TOKENS` and some API oddities."""
    import gzip
    import json as _json

    app = Flask("bad_remote")
    bomb = gzip.compress(b" " * BOMB_SIZE, compresslevel=9)

    @app.route("/token", methods=["POST"])
    def token() -> Any:
        body = {**BAD_TOKENS, **GOOD_TOKENS}.get(request.form["code"], {"access_token": "at"})
        text = body if isinstance(body, str) else _json.dumps(body)
        return Response(text, content_type="application/json")

    @app.route("/api/deep")
    def deep() -> Any:
        return Response(DEEP, content_type="application/json")

    @app.route("/api/ok")
    def ok() -> Any:
        return jsonify(name="alice")

    @app.route("/api/bomb")
    def gzip_bomb() -> Any:
        return Response(bomb, content_type="application/json", headers={"Content-Encoding": "gzip"})

    @app.route("/api/big/<int:size>")
    def big(size: int) -> Any:
        return Response(b"x" * size, content_type="text/plain")

    return app


@pytest.fixture
def bad_url(serve: Any) -> str:
    return serve(bad_remote())  # type: ignore[no-any-return]


@pytest.mark.parametrize("code", sorted(BAD_TOKENS))
def test_bad_token_responses_are_invalid_response(bad_url: str, code: str) -> None:
    app, _ = client_app(bad_url)
    resp = call_back(app, code)
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "invalid_response"
    assert "at" not in resp.get_json()["message"].split()  # no token in the message


@pytest.mark.parametrize("code", sorted(GOOD_TOKENS))
def test_numeric_expires_in_is_accepted(bad_url: str, code: str) -> None:
    app, _ = client_app(bad_url)
    token = call_back(app, code).get_json()
    assert token["access_token"] == "at"
    assert 3500 < token["expires_at"] - time.time() < 3700


def test_bad_refresh_responses_are_refresh_failed(bad_url: str) -> None:
    app, remote = client_app(bad_url)
    expired = {"access_token": "a", "refresh_token": "deep", "expires_at": 1}
    with app.test_request_context(), pytest.raises(OAuthException) as info:
        remote.refresh_token(expired)
    assert info.value.type == "refresh_failed"


@pytest.mark.parametrize("expires_at", ["soon", [1], 10**400, float("nan"), None, True, "1e999"])
def test_a_stored_token_with_a_bad_expiry_does_not_crash(bad_url: str, expires_at: Any) -> None:
    app, remote = client_app(bad_url)
    token = {"access_token": "at", "refresh_token": "rt", "expires_at": expires_at}
    with app.test_request_context():
        assert remote.get("ok", token=token).data == {"name": "alice"}


def test_deeply_nested_api_json_is_text(bad_url: str) -> None:
    app, remote = client_app(bad_url)
    with app.test_request_context():
        resp = remote.get("deep", token="t")
    assert resp.status == 200
    assert resp.data == DEEP


def test_a_gzip_bomb_is_response_too_large(bad_url: str) -> None:
    app, remote = client_app(bad_url)
    with app.test_request_context(), pytest.raises(OAuthException) as info:
        remote.get("bomb", token="t")
    assert info.value.type == "response_too_large"


def test_max_response_size_is_a_setting(bad_url: str) -> None:
    app, remote = client_app(bad_url, max_response_size=1000)
    assert remote.max_response_size == 1000
    with app.test_request_context():
        assert remote.get("big/1000", token="t").data == "x" * 1000
        with pytest.raises(OAuthException) as info:
            remote.get("big/1001", token="t")
        assert info.value.type == "response_too_large"
        remote.max_response_size = 10 * BOMB_SIZE
        assert len(remote.get("bomb", token="t").raw_data) == BOMB_SIZE
    # the default
    assert client_app(bad_url)[1].max_response_size == 10 * 1024 * 1024


def test_an_oversized_token_response_is_response_too_large(bad_url: str) -> None:
    app, _ = client_app(bad_url, max_response_size=100)
    resp = call_back(app, "deep")
    assert resp.get_json()["error"] == "response_too_large"


# -- several logins pending in one session -------------------------------------------------


def test_two_tabs_both_log_in(bad_url: str) -> None:
    app, _ = client_app(bad_url)
    browser = app.test_client()
    first, second = start(browser), start(browser)
    assert first != second
    assert browser.get(f"/authorized?code=a&state={second}").get_json()["access_token"] == "at"
    assert browser.get(f"/authorized?code=a&state={first}").get_json()["access_token"] == "at"
    # single use
    replay = browser.get(f"/authorized?code=a&state={first}")
    assert replay.get_json()["error"] == "invalid_state"


def test_a_foreign_callback_does_not_abort_a_login(bad_url: str) -> None:
    app, _ = client_app(bad_url)
    browser = app.test_client()
    state = start(browser)
    assert browser.get("/authorized?code=x&state=y").get_json()["error"] == "invalid_state"
    assert browser.get("/authorized?code=x").get_json()["error"] == "invalid_state"
    assert browser.get("/authorized?error=access_denied&state=y").get_json() == {"denied": True}
    assert browser.get(f"/authorized?code=a&state={state}").get_json()["access_token"] == "at"


def test_each_pending_login_keeps_its_own_verifier_and_redirect_uri(bad_url: str) -> None:
    app, remote = client_app(bad_url)
    sent: list[str] = []
    real = remote.http_request

    def spy(uri: str, headers: Any = None, data: Any = None, method: Any = None) -> Any:
        sent.append(data.decode() if isinstance(data, bytes) else "")
        return real(uri, headers, data, method)

    remote.http_request = spy  # type: ignore[method-assign]
    browser = app.test_client()
    queries = [redirect_params(browser.get("/login")) for _ in range(2)]
    for query in reversed(queries):
        browser.get(f"/authorized?code=a&state={query['state']}")
    for query, body in zip(reversed(queries), sent, strict=True):
        verifier = parse_qs(body)["code_verifier"][0]
        assert code_challenge(verifier) == query["code_challenge"]
        assert parse_qs(body)["redirect_uri"] == [query["redirect_uri"]]


def test_pending_logins_are_bounded(bad_url: str) -> None:
    app, _ = client_app(bad_url)
    browser = app.test_client()
    states = [start(browser) for _ in range(7)]
    oldest = browser.get(f"/authorized?code=a&state={states[0]}")
    assert oldest.get_json()["error"] == "invalid_state"
    assert browser.get(f"/authorized?code=a&state={states[-1]}").get_json()["access_token"] == "at"
    assert browser.get(f"/authorized?code=a&state={states[2]}").get_json()["access_token"] == "at"


# -- the deadline covers the status line and the headers ----------------------------------


@pytest.fixture
def header_dripper() -> Iterator[str]:
    """A raw HTTP server sending its status line, then a header line every 0.4 s."""
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                for i in range(15):
                    if done.wait(0.4):
                        return
                    conn.sendall(b"X-Drip: %d\r\n" % i)
                conn.sendall(b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
            except OSError:
                pass

    def accept() -> None:
        while not done.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    done.set()
    listener.close()


def test_dripped_headers_are_cut_at_the_deadline(header_dripper: str) -> None:
    app, remote = client_app(header_dripper, timeout=1)
    with app.test_request_context():
        started = time.monotonic()
        with pytest.raises(OAuthException) as info:
            remote.get("me", token="t")
        assert info.value.type == "timeout"
        assert time.monotonic() - started < 2
    started = time.monotonic()
    resp = call_back(app, "a")
    assert resp.get_json()["error"] == "timeout"
    assert time.monotonic() - started < 2
