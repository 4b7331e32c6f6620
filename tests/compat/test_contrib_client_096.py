"""flask_oauthlib.contrib.client, 0.9.6's requests-oauthlib client, over real HTTP.

The remote servers are Authlib's OAuth 2 and OAuth 1 servers (``client_peers``) served on
127.0.0.1; the client app is driven with Flask's test client and the user's browser with
``requests``. The apps are written as 0.9.6 documented the contrib client; what 1.1
adds (a login must have started in this session, PKCE, no cookies, timeouts) is checked
too.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import requests
from client_peers import Live, authlib_oauth1_app, authlib_oauth2_app
from flask import Flask, jsonify, request, session, url_for
from oauthlib.oauth2.rfc6749.errors import MismatchingStateError

from flask_oauthlib.contrib.client import OAuth, OAuthState, cached_clients, get_cached_clients
from flask_oauthlib.contrib.client.application import (
    BaseApplication,
    OAuth1Application,
    OAuth2Application,
)
from flask_oauthlib.contrib.client.descriptor import OAuthProperty, WebSessionData
from flask_oauthlib.contrib.client.exceptions import AccessTokenNotFound, OAuthException
from flask_oauthlib.contrib.client.signals import request_token_fetched
from flask_oauthlib.contrib.client.structure import OAuth1Response, OAuth2Response
from flask_oauthlib_core.testing import go_to_provider, redirect_params, visit_provider

CALLBACK = "http://localhost/authorized"


# -- OAuth 2 -----------------------------------------------------------------------------------


@pytest.fixture
def provider2(serve: Callable[[Flask], str]) -> Live:
    live = authlib_oauth2_app(CALLBACK)

    @live.app.route("/api/set-cookie")
    def set_cookie() -> Any:
        resp = jsonify(set=True)
        resp.set_cookie("remote_session", "of-the-first-user")
        return resp

    @live.app.route("/api/cookies")
    def cookies() -> Any:
        return jsonify(request.cookies.to_dict())

    live.url = serve(live.app)
    return live


def oauth2_client(provider: str, **settings: Any) -> tuple[Flask, OAuth2Application]:
    """A client app as the 0.9.6 docs wrote one, its settings in ``app.config``."""
    app = Flask("contrib_client")
    app.secret_key = "development"
    app.config.update(
        DEV_CLIENT_ID="client-1",
        DEV_CLIENT_SECRET="secret-1",
        DEV_ACCESS_TOKEN_URL=provider + "/token",
        DEV_AUTHORIZATION_URL=provider + "/authorize",
    )
    oauth = OAuth(app)
    dev = oauth.remote_app("dev", endpoint_url=provider + "/api/", scope=["profile"], **settings)
    assert isinstance(dev, OAuth2Application)

    @dev.tokengetter
    def get_token() -> Any:
        return session.get("dev_token")

    @dev.tokensaver
    def save_token(token: dict[str, Any]) -> None:
        session["dev_token"] = token
        app.config.setdefault("SAVED", []).append(token)

    @app.route("/login")
    def login() -> Any:
        return dev.authorize(callback_uri=url_for("authorized", _external=True))

    @app.route("/authorized")
    def authorized() -> Any:
        try:
            response = dev.authorized_response()
        except OAuthException as exc:
            return jsonify(error=type(exc).__name__), 400
        if response is None:
            return jsonify(denied=True)
        session["dev_token"] = response
        return jsonify(dict(response, access_token_attr=response.access_token))

    @app.route("/me")
    def me() -> Any:
        return jsonify(dev.get("me").json())

    return app, dev


def test_oauth2_login_api_call_and_pkce(provider2: Live) -> None:
    app, dev = oauth2_client(provider2.url)
    with app.test_client() as tc:
        login = tc.get("/login")
        query = redirect_params(login)
        assert query["client_id"] == "client-1" and query["scope"] == "profile"
        assert query["code_challenge_method"] == "S256" and len(query["state"]) >= 30
        token = tc.get(visit_provider(login)).get_json()
        assert token["token_type"].lower() == "bearer"
        assert token["access_token_attr"] == token["access_token"]
        with tc.session_transaction() as sess:
            assert not [key for key in sess if key.startswith("_oauth_dev_")]
        assert tc.get("/me").get_json() == {"name": "alice", "scope": "profile"}
    token_call = [s for s in provider2.state["seen"] if s["path"] == "/token"][-1]
    assert token_call["method"] == "POST" and "code" not in token_call["query"]


def test_oauth2_response_structure() -> None:
    response = OAuth2Response(access_token="a", token_type="Bearer", expires_in=10)
    assert (response.access_token, response.token_type, response.expires_in) == ("a", "Bearer", 10)
    assert response.refresh_token is None and response.expires_at is None
    assert OAuth1Response(oauth_token="t", oauth_token_secret="s").token_secret == "s"


def test_wrong_pkce_verifier_is_refused_by_the_server(provider2: Live) -> None:
    app, _ = oauth2_client(provider2.url)
    app.testing = True
    with app.test_client() as tc:
        path = go_to_provider(tc)
        with tc.session_transaction() as sess:
            sess["_oauth_dev_pkce"] = "x" * 64
        with pytest.raises(Exception, match="invalid_grant"):
            tc.get(path)


def test_forged_state_is_refused(provider2: Live) -> None:
    app, _ = oauth2_client(provider2.url)
    app.testing = True
    with app.test_client() as tc:
        path = go_to_provider(tc)
        resp = tc.get(path.replace("state=", "state=forged"))
    assert resp.get_json() == {"error": "InvalidState"}
    calls = [s for s in provider2.state["seen"] if s["path"] == "/token"]
    assert calls == []


def test_callback_without_a_login_in_this_session_is_refused(provider2: Live) -> None:
    app, dev = oauth2_client(provider2.url)
    with app.test_client() as tc:
        path = go_to_provider(tc)
    with app.test_client() as other_browser:
        assert other_browser.get(path).get_json() == {"error": "InvalidState"}
    # the refusal is also the error requests-oauthlib raises for a wrong state
    with app.test_request_context(path), pytest.raises(MismatchingStateError):
        dev.authorized_response()


def test_state_is_single_use(provider2: Live) -> None:
    app, _ = oauth2_client(provider2.url)
    with app.test_client() as tc:
        path = go_to_provider(tc)
        assert tc.get(path).status_code == 200
        assert tc.get(path).get_json() == {"error": "InvalidState"}


def test_denied_oauth2_login(provider2: Live) -> None:
    provider2.state["decision"] = "deny"
    app, _ = oauth2_client(provider2.url)
    with app.test_client() as tc:
        path = go_to_provider(tc)
        assert "error=access_denied" in path
        assert tc.get(path).get_json() == {"denied": True}


def test_expired_token_is_refreshed_and_handed_to_the_tokensaver(
    serve: Callable[[Flask], str],
) -> None:
    live = authlib_oauth2_app(CALLBACK, expires_in=1)
    live.url = serve(live.app)
    app, dev = oauth2_client(live.url)
    app.config["DEV_REFRESH_TOKEN_URL"] = live.url + "/token"
    with app.test_client() as tc:
        first = tc.get(go_to_provider(tc)).get_json()
        assert first["refresh_token"]
        with tc.session_transaction() as sess:
            sess["dev_token"] = dict(sess["dev_token"], expires_at=time.time() - 5)
        assert tc.get("/me").get_json()["name"] == "alice"
        with tc.session_transaction() as sess:
            assert sess["dev_token"]["access_token"] != first["access_token"]
    [saved] = app.config["SAVED"]
    assert saved["access_token"] != first["access_token"]
    assert saved["refresh_token"] != first["refresh_token"]
    refresh = [s for s in live.state["seen"] if s["path"] == "/token"][-1]
    assert refresh["method"] == "POST"


def test_refresh_needs_a_tokensaver(provider2: Live) -> None:
    app = Flask("no_saver")
    OAuth(app)
    dev = OAuth2Application(
        "dev", client_id="c", client_secret="s", refresh_token_url=provider2.url + "/token"
    )
    with app.app_context(), pytest.raises(RuntimeError, match="missing tokensaver"):
        dev.make_client({"access_token": "a"})


def test_sessions_are_cached_per_token_and_keep_no_cookies(provider2: Live) -> None:
    app, dev = oauth2_client(provider2.url)
    with app.test_client() as tc:
        tc.get(go_to_provider(tc))
        with tc.session_transaction() as sess:
            alice = sess["dev_token"]
    with app.test_request_context():
        assert dev.get("set-cookie", token=alice).json() == {"set": True}
        assert dev.get("cookies", token=alice).json() == {}
        assert dev._make_client_with_token(alice) is dev._make_client_with_token(alice)
        assert len(get_cached_clients()) == 1
        assert cached_clients is not None and len(cached_clients) == 1
    other = Flask("other")
    OAuth(other)
    with other.app_context():
        assert len(get_cached_clients()) == 0


def test_client_cache_forgets_the_least_recently_used() -> None:
    cache = OAuthState().cached_clients
    for n in range(300):
        cache[n] = n
    assert len(cache) == 256 and 0 not in cache and 299 in cache
    assert cache[44] == 44
    cache[300] = 300
    assert 44 in cache and 45 not in cache
    del cache[44]
    assert 44 not in cache and list(cache)[-1] == 300


def test_timeout_applies_to_every_call(provider2: Live) -> None:
    app, _ = oauth2_client(provider2.url, timeout=0.3)
    app.config["DEV_ACCESS_TOKEN_URL"] = provider2.url + "/slow/token"
    app.testing = True
    with app.test_client() as tc:
        path = go_to_provider(tc)
        started = time.monotonic()
        with pytest.raises(requests.Timeout):
            tc.get(path)
    assert time.monotonic() - started < 1.2


def test_api_calls_without_a_token(provider2: Live) -> None:
    app, dev = oauth2_client(provider2.url)
    with app.test_request_context(), pytest.raises(AccessTokenNotFound):
        dev.get("me")
    bare = OAuth2Application("bare", client_id="c")
    with app.test_request_context(), pytest.raises(RuntimeError, match="missing tokengetter"):
        bare.obtain_token()


def test_no_credentials_in_logs(provider2: Live, caplog: pytest.LogCaptureFixture) -> None:
    app, _ = oauth2_client(provider2.url)
    with caplog.at_level(logging.DEBUG), app.test_client() as tc:
        path = go_to_provider(tc)
        token = tc.get(path).get_json()
        tc.get("/me")
    client_side = ("flask_oauthlib", "requests_oauthlib", "oauthlib", "urllib3", "requests")
    records = [r for r in caplog.records if r.name.split(".")[0].startswith(client_side)]
    assert any(r.name.startswith("requests_oauthlib") for r in records)
    text = "\n".join(record.getMessage() for record in records)
    code = redirect_params(path)["code"]
    for secret in (token["access_token"], token["refresh_token"], code, "secret-1"):
        assert secret not in text


# -- settings, registry, descriptors -----------------------------------------------------------


def test_settings_from_arguments_config_and_defaults() -> None:
    app = Flask("settings")
    app.config["DOUBAN_CLIENT_ID"] = "from-config"
    douban = OAuth2Application("douban", client_secret="given", scope=["a", "b"])
    with app.app_context():
        assert douban.client_id == "from-config" and douban.client_secret == "given"
        assert douban.refresh_token_url == "" and douban.endpoint_url == ""
        assert douban.compliance_fixes is None and douban.pkce is True
        with pytest.raises(RuntimeError, match="DOUBAN_ACCESS_TOKEN_URL"):
            douban.access_token_url  # noqa: B018
        assert douban.make_oauth_session().scope == "a,b"
    with pytest.raises(TypeError, match="descriptor 'nope' not found"):
        OAuth2Application("douban", nope=1)
    assert isinstance(OAuth2Application.client_id, OAuthProperty)
    assert isinstance(OAuth2Application.__dict__["_session_state"], WebSessionData)
    assert OAuth2Application.__dict__["_session_state"].make_key(douban) == "_oauth_douban_state"


def test_custom_properties_on_a_subclass() -> None:
    class Corp(OAuth2Application):
        api_version = OAuthProperty("api_version", default="v2")

    app = Flask("corp")
    app.config["CORP_API_VERSION"] = "v3"
    with app.app_context():
        assert Corp("corp").api_version == "v3"
        assert Corp("other").api_version == "v2"
        assert Corp("other", api_version="v1").api_version == "v1"


def test_registry() -> None:
    app = Flask("registry")
    oauth = OAuth()
    oauth.init_app(app)
    assert isinstance(app.extensions["oauthlib.contrib.client"], OAuthState)
    github = oauth.remote_app("github", endpoint_url="https://api.github.com/")
    twitter = oauth.remote_app("twitter", request_token_url="https://api.twitter.com/rt")
    explicit = oauth.remote_app("explicit", version="1")
    assert isinstance(github, OAuth2Application) and isinstance(twitter, OAuth1Application)
    assert isinstance(explicit, OAuth1Application)
    assert oauth.github is github and oauth["twitter"] is twitter
    with pytest.raises(AttributeError, match="No such app: nope"):
        oauth.nope  # noqa: B018
    with pytest.raises(ValueError):
        oauth.remote_app("x", version="3")
    enterprise = oauth.add_remote_app(github, "enterprise", endpoint_url="https://ghe/")
    assert enterprise is not github and enterprise.name == "enterprise"
    with app.app_context():
        assert enterprise.endpoint_url == "https://ghe/"
        assert github.endpoint_url == "https://api.github.com/"
    same = OAuth2Application("same")
    assert oauth.add_remote_app(same) is same and same.clients is cached_clients
    assert "OAuth2Application:same" in repr(same)
    with pytest.raises(NotImplementedError):
        BaseApplication("base").authorize("http://cb")


def test_cached_clients_need_init_app() -> None:
    with Flask("uninitialised").app_context(), pytest.raises(RuntimeError, match="not initialized"):
        get_cached_clients()


def test_insecure_transport_changes_nothing_and_warns_outside_debug() -> None:
    app = Flask("transport")
    dev = OAuth2Application("dev")
    before = dict(os.environ)
    with app.app_context():
        with pytest.warns(RuntimeWarning, match="OAUTHLIB_INSECURE_TRANSPORT"):
            with dev.insecure_transport():
                assert dict(os.environ) == before
        app.testing = True
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with dev.insecure_transport():
                assert dict(os.environ) == before
    assert dict(os.environ) == before


# -- OAuth 1.0a --------------------------------------------------------------------------------


@pytest.fixture
def provider1(serve: Callable[[Flask], str]) -> Live:
    live = authlib_oauth1_app(CALLBACK)
    live.url = serve(live.app)
    return live


def oauth1_client(provider: str) -> tuple[Flask, OAuth1Application]:
    app = Flask("contrib_client1")
    app.secret_key = "development"
    app.config.update(TWIT_CONSUMER_KEY="ckey-1", TWIT_CONSUMER_SECRET="csecret-1")
    oauth = OAuth(app)
    twit = oauth.remote_app(
        "twit",
        endpoint_url=provider + "/api/",
        request_token_url=provider + "/request_token",
        access_token_url=provider + "/access_token",
        authorization_url=provider + "/authorize",
    )
    assert isinstance(twit, OAuth1Application)

    @twit.tokengetter
    def get_token() -> Any:
        return session.get("twit_token")

    @app.route("/login")
    def login() -> Any:
        return twit.authorize(callback_uri=url_for("authorized", _external=True))

    @app.route("/authorized")
    def authorized() -> Any:
        try:
            response = twit.authorized_response()
        except OAuthException as exc:
            return jsonify(error=type(exc).__name__), 400
        if response is None:
            return jsonify(denied=True)
        session["twit_token"] = (response.token, response.token_secret)
        return jsonify(response)

    @app.route("/me")
    def me() -> Any:
        return jsonify(twit.get("me").json())

    return app, twit


def test_oauth1_login_signal_and_api_call(provider1: Live) -> None:
    app, twit = oauth1_client(provider1.url)
    fetched: list[tuple[Any, dict[str, Any]]] = []

    def on_fetched(sender: Any, response: dict[str, Any]) -> None:
        fetched.append((sender, response))

    with request_token_fetched.connected_to(on_fetched), app.test_client() as tc:
        login = tc.get("/login")
        assert set(redirect_params(login)) == {"oauth_token"}
        token = tc.get(visit_provider(login)).get_json()
        assert token["oauth_token"] in provider1.state["tokens"]
        assert tc.get("/me").get_json()["name"] == "alice"
        with tc.session_transaction() as sess:
            assert "_oauth_twit_req_token" not in sess
    [(sender, response)] = fetched
    assert sender is twit and response["oauth_token"]
    with app.test_request_context():
        pair = (token["oauth_token"], token["oauth_token_secret"])
        assert twit.post("me", token=pair, data={"x": "1"}).json()["form"] == {"x": "1"}
        assert twit.get("me", token=dict(token)).json()["client"] == "ckey-1"
        assert twit.get("me", token=(pair[0], "wrong")).status_code == 401


def test_oauth1_callback_for_another_request_token_is_refused(provider1: Live) -> None:
    app, _ = oauth1_client(provider1.url)
    with app.test_client() as tc:
        verifier = redirect_params(go_to_provider(tc))["oauth_verifier"]
        resp = tc.get(f"/authorized?oauth_token=other&oauth_verifier={verifier}")
    assert resp.get_json() == {"error": "InvalidState"}


def test_oauth1_callback_without_a_login_and_denied(provider1: Live) -> None:
    app, _ = oauth1_client(provider1.url)
    with app.test_client() as tc:
        assert tc.get("/authorized?oauth_token=x&oauth_verifier=y").get_json() == {
            "error": "InvalidState"
        }
        tc.get("/login")
        assert tc.get("/authorized?denied=1").get_json() == {"denied": True}
