"""The OAuth 2 client against Authlib's authorization server over real HTTP."""

from __future__ import annotations

import time
from typing import Any

import pytest
from client_peers import Live, authlib_oauth2_app
from flask import Flask, jsonify
from login_app import login_app, remote_settings

from flask_oauthlib_client import OAuthException, OAuthRemoteApp
from flask_oauthlib_core.testing import go_to_provider, redirect_params, visit_provider

CALLBACK = "http://localhost/authorized"


def client_app(provider: str, **kwargs: Any) -> tuple[Flask, OAuthRemoteApp]:
    post_for_profile = {"access_token_method": "POST", "request_token_params": {"scope": "profile"}}
    return login_app(**remote_settings(provider, **{**post_for_profile, **kwargs}))


@pytest.fixture
def provider(serve: Any) -> Live:
    live = authlib_oauth2_app(CALLBACK)
    live.url = serve(live.app)
    return live


def logged_in(app: Flask) -> dict[str, Any]:
    """Log in with a fresh browser; return the token the client app kept."""
    with app.test_client() as tc:
        tc.get(go_to_provider(tc))
        with tc.session_transaction() as sess:
            token: dict[str, Any] = sess["token"]
    return token


def test_login_with_pkce_and_state(provider: Live) -> None:
    app, _ = client_app(provider.url)
    with app.test_client() as tc:
        login = tc.get("/login")
        query = redirect_params(login)
        assert query["code_challenge_method"] == "S256"
        assert len(query["state"]) >= 32
        assert query["scope"] == "profile"
        token = tc.get(visit_provider(login)).get_json()
        assert token["token_type"].lower() == "bearer"
        assert token["expires_at"] > time.time()
        assert tc.get("/me").get_json() == {"name": "alice", "scope": "profile"}
    stored = next(iter(provider.state["codes"].values()), None)
    assert stored is None  # the code was redeemed and deleted by the server


def test_pkce_verifier_is_checked_by_the_server(provider: Live) -> None:
    app, _ = client_app(provider.url)
    with app.test_client() as tc:
        path = go_to_provider(tc)
        with tc.session_transaction() as sess:
            sess["dev_oauthpending"] = [dict(sess["dev_oauthpending"][-1], pkce="x" * 64)]
        resp = tc.get(path)
    assert resp.status_code == 400
    assert resp.get_json()["data"]["error"] == "invalid_grant"


def test_forged_state_is_rejected(provider: Live) -> None:
    app, _ = client_app(provider.url)
    with app.test_client() as tc:
        path = go_to_provider(tc)
        forged = path.replace("state=", "state=forged")
        resp = tc.get(forged)
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "invalid_state"


def test_callback_without_a_started_login_is_rejected(provider: Live) -> None:
    app, _ = client_app(provider.url)
    with app.test_client() as tc:
        path = go_to_provider(tc)
    with app.test_client() as other_browser:
        resp = other_browser.get(path)
    assert resp.get_json()["error"] == "invalid_state"


def test_state_is_single_use(provider: Live) -> None:
    app, _ = client_app(provider.url)
    with app.test_client() as tc:
        path = go_to_provider(tc)
        assert tc.get(path).status_code == 200
        again = tc.get(path)
    assert again.get_json()["error"] == "invalid_state"


def test_state_can_be_switched_off(provider: Live) -> None:
    app, _ = client_app(provider.url, enforce_state=False, pkce=False)
    with app.test_client() as tc:
        login = tc.get("/login")
        query = redirect_params(login)
        assert "state" not in query and "code_challenge" not in query
        resp = tc.get(visit_provider(login))
    assert resp.status_code == 200
    assert "access_token" in resp.get_json()


def test_user_state_is_passed_through_and_checked(provider: Live) -> None:
    app, remote = client_app(provider.url)

    @app.route("/login-with-state")
    def login_with_state() -> Any:
        return remote.authorize(callback=CALLBACK, state=lambda: "my-app-state")

    with app.test_client() as tc:
        path = go_to_provider(tc, "/login-with-state")
        assert redirect_params(path)["state"] == "my-app-state"
        assert tc.get(path).status_code == 200


def test_denied_authorization_returns_none(provider: Live) -> None:
    provider.state["decision"] = "deny"
    app, _ = client_app(provider.url)
    with app.test_client() as tc:
        path = go_to_provider(tc)
        assert "error=access_denied" in path
        assert tc.get(path).get_json() == {"denied": True}


def test_replayed_code_gives_invalid_grant(provider: Live) -> None:
    app, _ = client_app(provider.url, enforce_state=False)
    with app.test_client() as tc:
        path = go_to_provider(tc)
        assert tc.get(path).status_code == 200
    with app.test_client() as tc:
        tc.get("/login")
        resp = tc.get(path)
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "invalid_response"
    assert resp.get_json()["data"]["error"] == "invalid_grant"


def test_access_token_post_and_headers(provider: Live) -> None:
    app, _ = client_app(provider.url, access_token_headers={"X-Trace": "t-1"})
    with app.test_client() as tc:
        assert tc.get(go_to_provider(tc)).status_code == 200
    token_call = [s for s in provider.state["seen"] if s["path"] == "/token"][-1]
    assert token_call["method"] == "POST"
    assert token_call["headers"]["X-Trace"] == "t-1"


def test_default_methods(provider: Live) -> None:
    # Authlib accepts only POST at its token endpoint; an explicit GET exchange runs
    # against our own provider in the cross-distribution tests.
    app, remote = client_app(provider.url, access_token_method=None)
    with app.test_client() as tc:
        assert tc.get(go_to_provider(tc)).status_code == 200
    with app.test_request_context():
        assert remote.access_token_method == "POST"
        assert remote.request_token_method == "GET"


def test_request_bodies_and_methods(provider: Live) -> None:
    app, remote = client_app(provider.url)
    token = logged_in(app)
    with app.test_request_context():
        form = remote.post("echo", data={"a": "1"}, token=token).data
        assert form["form"] == {"a": "1"}
        assert form["content_type"] == "application/x-www-form-urlencoded"
        as_json = remote.put("echo", data={"a": [1, 2]}, format="json", token=token).data
        assert as_json["json"] == {"a": [1, 2]} and as_json["method"] == "PUT"
        raw = remote.patch("echo", data="<x/>", content_type="application/xml", token=token).data
        assert raw["content_type"] == "application/xml" and raw["method"] == "PATCH"
        got = remote.get("echo", data={"q": "v"}, token=token)
        assert got.status == 200 and got.data["args"] == {"q": "v"}
        assert got.headers["content-type"] == "application/json"
        assert remote.delete("echo", token=token).data["method"] == "DELETE"
        text = remote.get("text", token=token)
        assert text.data == "name=alice&role=admin"
        assert text.raw == b"name=alice&role=admin"
        unauthenticated = remote.get("me", token={"access_token": "nope"})
        assert unauthenticated.status == 401
        assert unauthenticated.data["error"] == "invalid_token"


def test_forced_content_type(provider: Live) -> None:
    app, remote = client_app(provider.url, content_type="application/json")
    token = logged_in(app)
    with app.test_request_context():
        assert remote.get("mislabelled", token=token).data == {"name": "alice"}


def test_expired_token_is_refreshed_and_saved(serve: Any) -> None:
    live = authlib_oauth2_app(CALLBACK, expires_in=1)
    live.url = serve(live.app)
    app, remote = client_app(live.url)
    saved: list[dict[str, Any]] = []
    remote.tokensaver(saved.append)
    with app.test_client() as tc:
        tc.get(go_to_provider(tc))
        with tc.session_transaction() as sess:
            first = sess["token"]
            sess["token"] = dict(first, expires_at=int(time.time()) - 1)
        assert tc.get("/me").get_json()["name"] == "alice"
    assert len(saved) == 1
    assert saved[0]["access_token"] != first["access_token"]
    assert saved[0]["refresh_token"] != first["refresh_token"]


def test_refresh_failure_is_a_clear_error(provider: Live) -> None:
    app, remote = client_app(provider.url)
    with app.test_request_context(), pytest.raises(OAuthException) as info:
        remote.get("me", token={"access_token": "a", "refresh_token": "bad", "expires_at": 1})
    assert info.value.type == "refresh_failed"
    assert info.value.data["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/crash/token", "invalid_response"), ("/broken/token", "invalid_response")],
)
def test_token_endpoint_failures(provider: Live, path: str, kind: str) -> None:
    app, _ = client_app(provider.url, access_token_url=provider.url + path)
    with app.test_client() as tc:
        resp = tc.get(go_to_provider(tc))
    assert resp.status_code == 400
    assert resp.get_json()["error"] == kind


def test_timeout(provider: Live) -> None:
    app, _ = client_app(provider.url, access_token_url=provider.url + "/slow/token", timeout=0.3)
    with app.test_client() as tc:
        resp = tc.get(go_to_provider(tc))
    assert resp.get_json()["error"] == "timeout"


def test_unreachable_server_is_a_network_error(provider: Live) -> None:
    app, remote = client_app("http://127.0.0.1:9")
    with app.test_request_context(), pytest.raises(OAuthException) as info:
        remote.get("me", token={"access_token": "a"})
    assert info.value.type == "network_error"
    assert "a" not in info.value.message.split()


def test_no_token_raises_token_missing(provider: Live) -> None:
    app, remote = client_app(provider.url)
    with app.test_request_context(), pytest.raises(OAuthException) as info:
        remote.get("me")
    assert info.value.type == "token_missing"


def test_server_metadata_and_issuer(provider: Live) -> None:
    url = provider.url + "/.well-known/oauth-authorization-server"
    app, remote = client_app(
        provider.url, access_token_url=None, authorize_url=None, server_metadata_url=url
    )
    with app.test_client() as tc:
        path = go_to_provider(tc)
        with app.test_request_context():
            assert remote.authorize_url == provider.url + "/authorize"
            assert remote.issuer == provider.url
        assert tc.get(path + "&iss=" + provider.url).status_code == 200


def test_issuer_mismatch_is_rejected(provider: Live) -> None:
    app, _ = client_app(provider.url, issuer="https://right.example")
    with app.test_client() as tc:
        path = go_to_provider(tc)
        resp = tc.get(path + "&iss=https://attacker.example")
    assert resp.get_json()["error"] == "invalid_issuer"


def test_authorized_handler_is_deprecated(provider: Live) -> None:
    app, remote = client_app(provider.url)
    with pytest.warns(DeprecationWarning):

        @app.route("/old-callback")
        @remote.authorized_handler
        def old_callback(resp: Any) -> Any:
            return jsonify(resp or {})

    with app.test_client() as tc:
        tc.get("/login")
        resp = tc.get("/old-callback?error=access_denied")
    assert resp.get_json() == {}


def test_tokens_travel_in_the_header_never_in_the_url(provider: Live) -> None:
    app, _ = client_app(provider.url)
    with app.test_client() as tc:
        tc.get(go_to_provider(tc))
        token = tc.get("/me")
    assert token.status_code == 200
    api_calls = [s for s in provider.state["seen"] if s["path"].startswith("/api/")]
    assert api_calls
    for call in api_calls:
        assert call["headers"]["Authorization"].startswith("Bearer ")
        assert "token" not in call["query"]
