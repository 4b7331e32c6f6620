"""The OAuth 1.0a client against Authlib's OAuth 1 server over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from client_peers import Live, authlib_oauth1_app
from flask import Flask
from login_app import login_app

from flask_oauthlib_client import OAuthException, OAuthRemoteApp
from flask_oauthlib_core.testing import go_to_provider, redirect_params, visit_provider

CALLBACK = "http://localhost/authorized"


@pytest.fixture
def provider(serve: Any) -> Live:
    live = authlib_oauth1_app(CALLBACK)
    live.url = serve(live.app)
    return live


def client_app(provider: str, **kwargs: Any) -> tuple[Flask, OAuthRemoteApp]:
    settings: dict[str, Any] = {
        "consumer_key": "ckey-1",
        "consumer_secret": "csecret-1",
        "base_url": provider + "/api/",
        "request_token_url": provider + "/request_token",
        "request_token_method": "POST",
        "access_token_url": provider + "/access_token",
        "access_token_method": "POST",
        "authorize_url": provider + "/authorize",
    }
    return login_app("twit", **{**settings, **kwargs})


def test_full_oauth1_flow(provider: Live) -> None:
    app, remote = client_app(provider.url)
    with app.test_client() as tc:
        login = tc.get("/login")
        assert set(redirect_params(login)) == {"oauth_token"}
        token = tc.get(visit_provider(login)).get_json()
        assert token["oauth_token"] in provider.state["tokens"]
        with tc.session_transaction() as sess:
            kept = sess["token"]
            pair = (kept["oauth_token"], kept["oauth_token_secret"])
            assert "twit_oauthtok" not in sess
    with app.test_request_context():
        got = remote.get("me", token=pair)
        assert got.status == 200
        assert got.data == {"name": "alice", "client": "ckey-1", "method": "GET", "form": {}}
        posted = remote.post("me", data={"x": "1"}, token=pair)
        assert posted.data["form"] == {"x": "1"} and posted.data["method"] == "POST"
        as_dict = remote.get("me", token=dict(token)).data
        assert as_dict["name"] == "alice"
        forged = remote.get("me", token=(pair[0], "wrong-secret"))
        assert forged.status == 401


def test_callback_for_another_request_token_is_rejected(provider: Live) -> None:
    app, _ = client_app(provider.url)
    with app.test_client() as tc:
        verifier = redirect_params(go_to_provider(tc))["oauth_verifier"]
        resp = tc.get(f"/authorized?oauth_token=other&oauth_verifier={verifier}")
    assert resp.get_json()["error"] == "invalid_state"


def test_callback_without_a_started_login(provider: Live) -> None:
    app, _ = client_app(provider.url)
    with app.test_client() as tc:
        resp = tc.get("/authorized?oauth_token=x&oauth_verifier=y")
    assert resp.get_json()["error"] == "token_not_found"


def test_wrong_consumer_secret_fails_to_get_a_request_token(provider: Live) -> None:
    app, remote = client_app(provider.url, consumer_secret="wrong")
    with app.test_request_context(), pytest.raises(OAuthException) as info:
        remote.authorize(callback=CALLBACK)
    assert info.value.type == "token_generation_failed"
    assert info.value.data["error"] == "invalid_signature"


def test_denied_oauth1_authorization(provider: Live) -> None:
    app, _ = client_app(provider.url)
    with app.test_client() as tc:
        tc.get("/login")
        assert tc.get("/authorized?denied=1").get_json() == {"denied": True}
