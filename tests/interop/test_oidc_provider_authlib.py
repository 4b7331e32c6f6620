"""Authlib's OpenID Connect client (its Flask integration) logs in to our provider over
real HTTP: it reads our discovery document, sends the user through our login and
consent pages, and checks the ID token with its own code (the signature against our
JWKS, ``iss``, ``aud``, ``exp``, ``nonce``, ``at_hash``), then reads our userinfo
endpoint. Nothing of the client side is ours."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import requests
from flask import Flask

pytest.importorskip("jwt")
from authlib.integrations.flask_client import OAuth, OAuthError  # noqa: E402
from oidc_app import SECRET, make_app, pem  # noqa: E402

from flask_oauthlib_core.testing import free_port  # noqa: E402
from flask_oauthlib_provider_oauth2.jwks import load_key  # noqa: E402


def relying_party(provider_url: str, client_url: str, **kwargs: Any) -> Flask:
    """A Flask app logging in with Authlib's OpenID client; ``/callback`` answers the
    claims Authlib validated and the userinfo it fetched."""
    app = Flask("relying_party")
    app.secret_key = secrets.token_hex(16)
    app.config["SESSION_COOKIE_NAME"] = "rp_session"
    oauth = OAuth(app)
    op = oauth.register(
        "op",
        client_id="rp",
        client_secret=SECRET,
        server_metadata_url=provider_url + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256"},
    )

    @app.route("/login")
    def login() -> Any:
        return op.authorize_redirect(client_url + "/callback", **kwargs)

    @app.route("/callback")
    def callback() -> Any:
        try:
            token = op.authorize_access_token()
        except OAuthError as exc:
            return {"error": exc.error}, 400
        return {"claims": dict(token["userinfo"]), "userinfo": dict(op.userinfo(token=token))}

    return app


def sign_in(client_url: str, browser: requests.Session | None = None) -> requests.Response:
    """Click "log in" at the client, log in as alice at the provider, consent."""
    browser = browser or requests.Session()
    page = browser.get(client_url + "/login", timeout=10)
    if "/login?" in page.url:  # the provider's login page first
        page = browser.post(page.url, data={"username": "alice"}, timeout=10)
    assert page.status_code == 200 and "wants" in page.text, page.text
    return browser.post(page.url, data={"confirm": "yes"}, timeout=10)


def test_authlib_logs_in_and_validates_the_id_token(serve: Any) -> None:
    port = free_port()
    client_url = f"http://127.0.0.1:{port}"
    provider, _, store = make_app(redirect_uri=client_url + "/callback")
    provider_url = serve(provider)
    serve(relying_party(provider_url, client_url), port=port)
    done = sign_in(client_url)
    assert done.status_code == 200, done.text
    claims, userinfo = done.json()["claims"], done.json()["userinfo"]
    assert claims["iss"] == provider_url and claims["aud"] == "rp" and claims["sub"] == "1"
    assert claims["nonce"] and claims["at_hash"] and claims["auth_time"]
    (grant,) = store.grants.values()
    assert grant.nonce == claims["nonce"]  # the nonce Authlib made, echoed
    assert userinfo == {
        "sub": "1",
        "name": "Alice Liddell",
        "email": "alice@example.com",
        "email_verified": True,
    }


def test_authlib_follows_a_key_rotation(serve: Any) -> None:
    port = free_port()
    client_url = f"http://127.0.0.1:{port}"
    old, new = pem("RS256", 11), pem("RS256", 12)
    keys = [old]
    provider, _, store = make_app(
        redirect_uri=client_url + "/callback", OAUTH2_PROVIDER_OIDC_KEYS=lambda: list(keys)
    )
    provider_url = serve(provider)
    serve(relying_party(provider_url, client_url), port=port)
    browser = requests.Session()
    assert sign_in(client_url, browser).status_code == 200  # Authlib caches the JWKS
    keys.insert(0, new)  # a new key signs; the old one stays published
    store.grants.clear()
    done = sign_in(client_url, browser)
    assert done.status_code == 200, done.text  # Authlib fetched the JWKS again
    (grant,) = store.grants.values()
    assert grant.nonce == done.json()["claims"]["nonce"]
    published = requests.get(provider_url + "/oauth/jwks", timeout=10).json()["keys"]
    assert [key["kid"] for key in published] == [load_key(new).kid, load_key(old).kid]


def test_authlib_hears_login_required_for_prompt_none(serve: Any) -> None:
    port = free_port()
    client_url = f"http://127.0.0.1:{port}"
    provider, _, store = make_app(redirect_uri=client_url + "/callback")
    provider_url = serve(provider)
    serve(relying_party(provider_url, client_url, prompt="none"), port=port)
    answer = requests.get(client_url + "/login", timeout=10)
    assert answer.status_code == 400 and answer.json() == {"error": "login_required"}
    assert not store.grants
