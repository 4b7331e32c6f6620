"""Our client against our providers, both served over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, jsonify, session, url_for
from login_app import login_app

from flask_oauthlib.client import OAuth
from flask_oauthlib_core.testing import go_to_provider

oauth1_app = pytest.importorskip("oauth1_app")
oauth2_app = pytest.importorskip("oauth2_app")


def client_app(url: str, me: str = "api/me", **remote: Any) -> Flask:
    """Our client app (``login_app``), its callback the URL our providers have registered."""
    app, _ = login_app(
        config={"SERVER_NAME": "127.0.0.1:8000"}, base_url=url + "/", me=me, **remote
    )
    return app


def oauth2_client(serve: Callable[[Flask], str], client_id: str, **remote: Any) -> Flask:
    """Our client app as ``client_id`` of our OAuth 2 provider, served; for ``email``."""
    app, _, _ = oauth2_app.create_app()
    url = serve(app)
    return client_app(
        url,
        consumer_key=client_id,
        consumer_secret=oauth2_app.SECRETS[client_id] or None,
        authorize_url=url + "/oauth/authorize",
        access_token_url=url + "/oauth/token",
        request_token_params={"scope": "email"},
        **remote,
    )


def log_in(app: Flask, allow: bool = True) -> Any:
    """Log in with a fresh browser that allows (or denies) on the consent page."""
    tc = app.test_client()
    return tc, tc.get(go_to_provider(tc, allow=allow))


@pytest.mark.parametrize("method", [None, "GET"])
def test_oauth2_login_with_pkce_and_state(
    serve: Callable[[Flask], str], method: str | None
) -> None:
    # None: the documented default, POST
    client = oauth2_client(serve, "confidential", access_token_method=method)
    tc, done = log_in(client)
    assert done.get_json()["token_type"] == "Bearer"
    assert tc.get("/me").get_json() == {"username": "alice", "client": "confidential"}


def test_oauth2_public_client_needs_and_gets_pkce(serve: Callable[[Flask], str]) -> None:
    client = oauth2_client(serve, "public", access_token_method="POST")
    _, done = log_in(client)
    assert "access_token" in done.get_json()


def test_oauth2_denied(serve: Callable[[Flask], str]) -> None:
    _, done = log_in(oauth2_client(serve, "confidential"), allow=False)
    assert done.get_json() == {"denied": True}


def test_oauth1_login(serve: Callable[[Flask], str]) -> None:
    app, _, _ = oauth1_app.create_app()
    url = serve(app)
    client = client_app(
        url,
        me="api/email",
        consumer_key=oauth1_app.CLIENT_KEY,
        consumer_secret=oauth1_app.CLIENT_SECRET,
        request_token_url=url + "/oauth/request_token",
        access_token_url=url + "/oauth/access_token",
        authorize_url=url + "/oauth/authorize",
    )
    tc, done = log_in(client)
    assert "oauth_token" in done.get_json()
    assert tc.get("/me").get_json()["user"] == "alice"


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
