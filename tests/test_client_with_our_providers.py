"""Our client against our providers, both served over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask, jsonify, session, url_for

from flask_oauthlib.client import OAuth, OAuthException

oauth1_app = pytest.importorskip("oauth1_app")
oauth2_app = pytest.importorskip("oauth2_app")


def client_app(**remote: Any) -> Flask:
    app = Flask("our_client")
    app.secret_key = "client-secret-key"
    app.config["SERVER_NAME"] = "127.0.0.1:8000"
    me_path = remote.pop("me_path", "api/me")
    oauth = OAuth(app)
    dev = oauth.remote_app("dev", **remote)

    @app.route("/login")
    def login() -> Any:
        return dev.authorize(callback=url_for("authorized", _external=True))

    @app.route("/authorized")
    def authorized() -> Any:
        try:
            resp = dev.authorized_response()
        except OAuthException as exc:
            return jsonify(error=exc.type), 400
        if resp is None:
            return jsonify(denied=True)
        session["token"] = resp
        return jsonify(ok=True)

    @dev.tokengetter
    def token() -> Any:
        return session.get("token")

    @app.route("/me")
    def me() -> Any:
        return jsonify(dev.get(me_path).data)

    return app


def log_in(app: Flask, allow: bool = True) -> Any:
    tc = app.test_client()
    login = tc.get("/login")
    authorize = login.headers["Location"]
    assert requests.get(authorize, timeout=10).status_code == 200  # the consent page
    answer = requests.post(
        authorize, data={"confirm": "yes" if allow else "no"}, allow_redirects=False, timeout=10
    )
    callback = urlsplit(answer.headers["Location"])
    return tc, tc.get(f"{callback.path}?{callback.query}")


@pytest.mark.parametrize("method", [None, "GET"])
def test_oauth2_login_with_pkce_and_state(
    serve: Callable[[Flask], str], method: str | None
) -> None:
    app, _, _ = oauth2_app.create_app()
    url = serve(app)
    client = client_app(
        consumer_key="confidential",
        consumer_secret="s3cret",
        base_url=url + "/",
        authorize_url=url + "/oauth/authorize",
        access_token_url=url + "/oauth/token",
        access_token_method=method,  # None: the documented default, POST
        request_token_params={"scope": "email"},
    )
    tc, done = log_in(client)
    assert done.get_json() == {"ok": True}
    assert tc.get("/me").get_json() == {"username": "alice", "client": "confidential"}


def test_oauth2_public_client_needs_and_gets_pkce(serve: Callable[[Flask], str]) -> None:
    app, _, _ = oauth2_app.create_app()
    url = serve(app)
    client = client_app(
        consumer_key="public",
        base_url=url + "/",
        authorize_url=url + "/oauth/authorize",
        access_token_url=url + "/oauth/token",
        access_token_method="POST",
        request_token_params={"scope": "email"},
    )
    _, done = log_in(client)
    assert done.get_json() == {"ok": True}


def test_oauth2_denied(serve: Callable[[Flask], str]) -> None:
    app, _, _ = oauth2_app.create_app()
    url = serve(app)
    client = client_app(
        consumer_key="confidential",
        consumer_secret="s3cret",
        authorize_url=url + "/oauth/authorize",
        access_token_url=url + "/oauth/token",
        request_token_params={"scope": "email"},
    )
    _, done = log_in(client, allow=False)
    assert done.get_json() == {"denied": True}


def test_oauth1_login(serve: Callable[[Flask], str]) -> None:
    app, _, _ = oauth1_app.create_app()
    url = serve(app)
    client = client_app(
        consumer_key=oauth1_app.CLIENT_KEY,
        consumer_secret=oauth1_app.CLIENT_SECRET,
        base_url=url + "/",
        request_token_url=url + "/oauth/request_token",
        access_token_url=url + "/oauth/access_token",
        authorize_url=url + "/oauth/authorize",
        me_path="api/email",
    )

    @client.route("/me1")
    def me1() -> Any:
        pair = session["token"]
        dev = client.extensions["oauthlib.client"].dev
        return jsonify(
            dev.get("api/email", token=(pair["oauth_token"], pair["oauth_token_secret"])).data
        )

    tc, done = log_in(client)
    assert done.get_json() == {"ok": True}
    assert tc.get("/me1").get_json()["user"] == "alice"


def test_oidc_factory_logs_in_against_our_provider(serve: Callable[[Flask], str]) -> None:
    apps = pytest.importorskip("flask_oauthlib.contrib.apps")
    app, oauth, _ = oauth2_app.create_app()
    url = serve(app)
    app.config["OAUTH2_PROVIDER_ISSUER"] = url
    app.add_url_rule(
        "/.well-known/openid-configuration",
        "openid_configuration",
        oauth.metadata_handler(lambda: None),
    )
    client = Flask("oidc_client")
    client.secret_key = "k"
    client.config.update(
        SERVER_NAME="127.0.0.1:8000",
        DEMO_CONSUMER_KEY="confidential",
        DEMO_CONSUMER_SECRET="s3cret",
    )
    remote = apps.oidc("demo", url + "/.well-known/openid-configuration", scope=("email",))
    dev = remote.register_to(OAuth(client), base_url=url + "/")

    @client.route("/login")
    def login() -> Any:
        return dev.authorize(callback=url_for("authorized", _external=True))

    @client.route("/authorized")
    def authorized() -> Any:
        session["token"] = dev.authorized_response()
        return jsonify(dev.get("api/me", token=session["token"]).data)

    tc, done = log_in(client)
    assert done.get_json() == {"username": "alice", "client": "confidential"}
    with client.test_request_context():
        assert dev.issuer == url
