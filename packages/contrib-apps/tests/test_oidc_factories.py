"""The OpenID Connect factories: ``openid`` in the scope, a discovery document, a nonce on
every login, and an ID token verified on the callback.

No test reaches a real provider: the configuration of each factory is checked as it is
(its authorization URL is built without fetching anything), and logins run against a
small OpenID Provider served on 127.0.0.1, with a factory's URLs pointed at it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, redirect, request, session, url_for
from jwt.algorithms import RSAAlgorithm

import flask_oauthlib_contrib_apps as apps
from flask_oauthlib_client import OAuth, OAuthException, OAuthRemoteApp
from flask_oauthlib_core.testing import go_to_provider

Serve = Callable[[Flask], str]
DISCOVERY = "/.well-known/openid-configuration"

#: each OpenID Connect factory, the arguments it needs, and the discovery document it reads
OIDC_FACTORIES: dict[str, tuple[dict[str, Any], str]] = {
    # google keeps 0.9.6's default scope (email): OpenID Connect when asked for
    "google": (
        {"scope": ["openid", "email", "profile"]},
        "https://accounts.google.com/.well-known/openid-configuration",
    ),
    "microsoft": (
        {},
        "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration",
    ),
    "apple": ({}, "https://appleid.apple.com/.well-known/openid-configuration"),
    "okta": (
        {"domain": "dev-1.okta.com"},
        "https://dev-1.okta.com/oauth2/default/.well-known/openid-configuration",
    ),
    "auth0": (
        {"domain": "t.eu.auth0.com"},
        "https://t.eu.auth0.com/.well-known/openid-configuration",
    ),
    "gitlab": ({}, "https://gitlab.com/.well-known/openid-configuration"),
    "slack": ({}, "https://slack.com/.well-known/openid-configuration"),
}


def make_app(name: str) -> tuple[Flask, OAuth]:
    app = Flask(f"{name}_client")
    app.secret_key = "k"
    app.config[f"{name.upper()}_CONSUMER_KEY"] = "client-" + name
    app.config[f"{name.upper()}_CONSUMER_SECRET"] = "secret"
    return app, OAuth(app)


def authorize_query(app: Flask, remote: OAuthRemoteApp) -> dict[str, list[str]]:
    with app.test_request_context():
        location = remote.authorize(callback="http://localhost/authorized").headers["Location"]
    return parse_qs(urlsplit(location).query)


@pytest.mark.parametrize("name", OIDC_FACTORIES)
def test_an_openid_factory_asks_for_openid_with_a_nonce(name: str) -> None:
    params, discovery = OIDC_FACTORIES[name]
    factory = getattr(apps, name)
    app, oauth = make_app(name)
    remote = factory.register_to(oauth, **params)
    assert "openid" in factory.provider.default_scope or "openid" in params["scope"]
    assert factory.provider.server_metadata_url is not None
    with app.app_context():
        assert remote.server_metadata_url == discovery
    query = authorize_query(app, remote)  # built without fetching the document
    assert "openid" in query["scope"][0].split()
    assert len(query["nonce"][0]) >= 32 and query["state"][0] != query["nonce"][0]
    assert ("code_challenge" in query) is factory.provider.pkce
    assert factory.__doc__ and "OpenID Connect" in factory.__doc__


def test_the_tenant_and_domain_reach_the_discovery_url() -> None:
    app, oauth = make_app("microsoft")
    remote = apps.microsoft.register_to(oauth, tenant="contoso.onmicrosoft.com")
    with app.app_context():
        assert remote.server_metadata_url == (
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0"
            "/.well-known/openid-configuration"
        )


@pytest.mark.parametrize("name", ["github", "facebook", "discord", "linkedin", "twitter"])
def test_other_factories_stay_plain_oauth(name: str) -> None:
    factory = getattr(apps, name)
    app, oauth = make_app(name)
    remote = factory.register_to(oauth)
    with app.app_context():
        assert remote.server_metadata_url is None
    if not factory.provider.is_oauth1:
        assert "nonce" not in authorize_query(app, remote)


def test_openid_on_a_plain_factory_needs_a_discovery_document() -> None:
    app, oauth = make_app("linkedin")
    remote = apps.linkedin.register_to(oauth, scope=["openid", "profile", "email"])
    with app.test_request_context(), pytest.raises(OAuthException) as info:
        remote.authorize(callback="http://localhost/authorized")
    assert info.value.type == "invalid_configuration"


# -- logins against a local OpenID Provider --------------------------------------------------


def local_op(client_id: str) -> tuple[Flask, dict[str, Any]]:
    """An OpenID Provider for ``client_id``: code flow, RS256 ID tokens echoing the nonce
    of the authorization request, a key set, a userinfo endpoint. ``state["url"]`` is its
    base URL (set once served); ``state["jwks"]`` counts the key set's fetches."""
    op = Flask("local_op")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = dict(json.loads(RSAAlgorithm.to_jwk(key.public_key())), kid="op-1", use="sig")
    state: dict[str, Any] = {"url": "", "codes": {}, "jwks": 0, "aud": client_id}

    @op.route(DISCOVERY)
    def discovery() -> Any:
        url = state["url"]
        return jsonify(
            issuer=url,
            authorization_endpoint=url + "/authorize",
            token_endpoint=url + "/token",
            userinfo_endpoint=url + "/userinfo",
            jwks_uri=url + "/jwks",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
        )

    @op.route("/jwks")
    def jwks() -> Any:
        state["jwks"] += 1
        return jsonify(keys=[public])

    @op.route("/authorize")
    def authorize() -> Any:
        code = secrets.token_urlsafe(16)
        state["codes"][code] = request.args.to_dict()
        query = urlencode({"code": code, "state": request.args["state"]})
        return redirect(request.args["redirect_uri"] + "?" + query)

    @op.route("/token", methods=["POST"])
    def token() -> Any:
        asked = state["codes"].pop(request.form["code"])
        verifier = request.form.get("code_verifier", "").encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if asked.get("code_challenge") not in (None, digest.decode()):
            return jsonify(error="invalid_grant"), 400
        now = int(time.time())
        claims = {
            "iss": state["url"],
            "sub": "u-1",
            "aud": state["aud"],
            "iat": now,
            "exp": now + 300,
            "nonce": asked.get("nonce"),
            "email": "alice@example.com",
        }
        id_token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "op-1"})
        return jsonify(
            access_token=secrets.token_urlsafe(16), token_type="Bearer", id_token=id_token
        )

    @op.route("/userinfo")
    def userinfo() -> Any:
        assert request.headers["Authorization"].startswith("Bearer ")
        return jsonify(sub="u-1", name="Alice")

    return op, state


def client_app(app: Flask, remote: OAuthRemoteApp) -> None:
    """``/login``, and ``/authorized`` answering the token (or the refusal's type) and
    ``remote.userinfo()``."""

    @app.route("/login")
    def login() -> Any:
        return remote.authorize(callback=url_for("authorized", _external=True))

    @app.route("/authorized")
    def authorized() -> Any:
        try:
            token = remote.authorized_response()
            session["token"] = token
            return jsonify(token=token, userinfo=remote.userinfo(token))
        except OAuthException as exc:
            return jsonify(error=exc.type), 400


def test_the_google_factory_logs_in_against_a_local_provider(serve: Serve) -> None:
    op, state = local_op("client-google")
    state["url"] = url = serve(op)
    app, oauth = make_app("google")
    remote = apps.google.register_to(
        oauth,
        scope=["openid", "email", "profile"],
        authorize_url=url + "/authorize",
        access_token_url=url + "/token",
        server_metadata_url=url + DISCOVERY,
    )
    client_app(app, remote)
    browser = app.test_client()
    answer = browser.get(go_to_provider(browser))
    assert answer.status_code == 200, answer.get_json()
    claims = answer.get_json()["token"]["id_token_claims"]
    assert claims["sub"] == "u-1" and claims["aud"] == "client-google"
    assert claims["email"] == "alice@example.com"
    assert answer.get_json()["userinfo"] == {"sub": "u-1", "name": "Alice"}
    assert state["jwks"] == 1

    state["aud"] = "another-client"  # the same provider, a token for someone else
    answer = browser.get(go_to_provider(browser))
    assert answer.status_code == 400 and answer.get_json() == {"error": "invalid_audience"}


def test_the_oidc_factory_verifies_by_default(serve: Serve) -> None:
    op, state = local_op("client-corp")
    state["url"] = url = serve(op)
    app, oauth = make_app("corp")
    remote = apps.oidc("corp", url + DISCOVERY).register_to(oauth)
    client_app(app, remote)
    browser = app.test_client()
    answer = browser.get(go_to_provider(browser))
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["token"]["id_token_claims"]["iss"] == url
