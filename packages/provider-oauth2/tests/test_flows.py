"""Every grant, driven by requests-oauthlib and Authlib over real HTTP.

The flows an old app relies on run on both kinds of storage (``on_both_storages``): the
modern one and grants and tokens as 0.9.6 apps stored them.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
from oauth2_app import REDIRECT, Provider, on_both_storages, token_request
from oauthlib.oauth2 import (
    BackendApplicationClient,
    LegacyApplicationClient,
    MobileApplicationClient,
)
from requests_oauthlib import OAuth2Session

from flask_oauthlib_core.testing import code_verifier


def code_flow(provider: Provider, client_id: str = "confidential", **kwargs: Any) -> dict[str, Any]:
    sess = OAuth2Session(client_id, redirect_uri=REDIRECT, scope=["email"], pkce="S256")
    url, state = sess.authorization_url(provider.url + "/oauth/authorize")
    params = provider.callback_params(url)
    assert params["state"] == state
    secret = provider.store.clients[client_id].client_secret
    return sess.fetch_token(  # type: ignore[no-any-return]
        provider.url + "/oauth/token",
        code=params["code"],
        client_secret=secret or None,
        include_client_id=not secret,
        **kwargs,
    )


def api(provider: Provider, token: str, path: str = "/api/me") -> requests.Response:
    return requests.get(
        provider.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


@on_both_storages
def test_authorization_code_with_pkce_requests_oauthlib(provider: Provider) -> None:
    token = code_flow(provider)
    assert token["token_type"] == "Bearer" and token["scope"] == ["email"]
    assert "refresh_token" in token
    me = api(provider, token["access_token"])
    assert me.json() == {"username": "alice", "client": "confidential"}


@on_both_storages
def test_authorization_code_with_pkce_authlib(provider: Provider) -> None:
    client = AuthlibSession(
        "confidential",
        "s3cret",
        scope="email profile",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )
    verifier = code_verifier(48)
    url, _state = client.create_authorization_url(
        provider.url + "/oauth/authorize", code_verifier=verifier
    )
    answer = provider.consent(url)
    token = client.fetch_token(
        provider.url + "/oauth/token",
        authorization_response=answer.headers["Location"],
        code_verifier=verifier,
    )
    assert token["scope"] == "email profile"
    resp = client.get(provider.url + "/api/profile")
    assert resp.json() == {"scopes": ["email", "profile"], "token": "confidential"}


@on_both_storages
def test_public_client_with_pkce(provider: Provider) -> None:
    token = code_flow(provider, "public")
    assert api(provider, token["access_token"]).status_code == 200


@on_both_storages
def test_client_credentials_with_basic_auth(provider: Provider) -> None:
    sess = OAuth2Session(client=BackendApplicationClient(client_id="machine"))
    token = sess.fetch_token(
        provider.url + "/oauth/token", client_id="machine", client_secret="m-secret"
    )
    assert "refresh_token" not in token
    assert api(provider, token["access_token"]).json()["username"] == "alice"
    wrong = requests.post(
        provider.url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("machine", "wrong"),
        timeout=10,
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


@on_both_storages
def test_client_credentials_authlib(provider: Provider) -> None:
    client = AuthlibSession("machine", "m-secret", scope="email")
    token = client.fetch_token(provider.url + "/oauth/token", grant_type="client_credentials")
    assert client.get(provider.url + "/api/me").status_code == 200
    assert token["token_type"] == "Bearer"


@on_both_storages
def test_password_grant(provider: Provider) -> None:
    sess = OAuth2Session(client=LegacyApplicationClient(client_id="confidential"))
    token = sess.fetch_token(
        provider.url + "/oauth/token",
        username="alice",
        password="wonderland",
        client_id="confidential",
        client_secret="s3cret",
    )
    assert api(provider, token["access_token"]).status_code == 200
    bad = token_request(provider.url, grant_type="password", username="alice", password="x")
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"


def test_password_grant_can_be_switched_off(make_provider: Any) -> None:
    provider = make_provider(OAUTH2_PROVIDER_ALLOW_PASSWORD=False)
    resp = token_request(
        provider.url, grant_type="password", username="alice", password="wonderland"
    )
    assert resp.status_code == 400 and resp.json()["error"] == "unsupported_grant_type"


def test_password_grant_needs_a_usergetter(make_provider: Any) -> None:
    provider = make_provider(with_usergetter=False)
    resp = token_request(
        provider.url, grant_type="password", username="alice", password="wonderland"
    )
    assert resp.status_code == 400
    assert resp.json()["error"] == "unsupported_grant_type"  # and not advertised


@on_both_storages
def test_implicit_grant(provider: Provider) -> None:
    sess = OAuth2Session(
        client=MobileApplicationClient(client_id="confidential"),
        redirect_uri=REDIRECT,
        scope=["email"],
    )
    url, state = sess.authorization_url(provider.url + "/oauth/authorize")
    params = provider.callback_params(url)
    assert params["state"] == state and params["token_type"] == "Bearer"
    assert api(provider, params["access_token"]).status_code == 200


def test_implicit_grant_can_be_switched_off(make_provider: Any) -> None:
    provider = make_provider(OAUTH2_PROVIDER_ALLOW_IMPLICIT=False)
    url = (
        f"{provider.url}/oauth/authorize?response_type=token&client_id=confidential"
        f"&redirect_uri={REDIRECT}&state=s1"
    )
    params = provider.callback_params(url)
    assert params["error"] == "unsupported_response_type" and params["state"] == "s1"


@on_both_storages
def test_refresh_rotates_and_detects_reuse(provider: Provider) -> None:
    token = code_flow(provider)
    sess = OAuth2Session("confidential", token=token)
    new = sess.refresh_token(
        provider.url + "/oauth/token", client_id="confidential", client_secret="s3cret"
    )
    assert new["refresh_token"] != token["refresh_token"]
    assert api(provider, new["access_token"]).status_code == 200
    reuse = token_request(
        provider.url, grant_type="refresh_token", refresh_token=token["refresh_token"]
    )
    assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
    # the whole family is revoked, the token issued by the rotation included
    assert api(provider, new["access_token"]).status_code == 401


@on_both_storages
def test_refresh_with_authlib_keeps_scope(provider: Provider) -> None:
    token = code_flow(provider)
    client = AuthlibSession("confidential", "s3cret", token=token)
    new = client.refresh_token(provider.url + "/oauth/token")
    assert new["scope"] == "email"


@on_both_storages
def test_refresh_token_of_another_client_is_refused(provider: Provider) -> None:
    token = code_flow(provider)
    resp = token_request(
        provider.url, "machine", grant_type="refresh_token", refresh_token=token["refresh_token"]
    )
    assert resp.status_code in (400, 401)
    assert resp.json()["error"] in ("invalid_grant", "unauthorized_client")


@on_both_storages
def test_revocation(provider: Provider) -> None:
    token = code_flow(provider)
    resp = requests.post(
        provider.url + "/oauth/revoke",
        data={"token": token["access_token"], "token_type_hint": "access_token"},
        auth=("confidential", "s3cret"),
        timeout=10,
    )
    assert resp.status_code == 200
    assert api(provider, token["access_token"]).status_code == 401


@on_both_storages
def test_revocation_with_authlib(provider: Provider) -> None:
    token = code_flow(provider)
    client = AuthlibSession("confidential", "s3cret", token=token)
    resp = client.revoke_token(provider.url + "/oauth/revoke", token=token["refresh_token"])
    assert resp.status_code == 200
    refreshed = token_request(
        provider.url, grant_type="refresh_token", refresh_token=token["refresh_token"]
    )
    assert refreshed.json()["error"] == "invalid_grant"


@on_both_storages
def test_introspection(provider: Provider) -> None:
    token = code_flow(provider)
    client = AuthlibSession("confidential", "s3cret")
    active = client.introspect_token(
        provider.url + "/oauth/introspect", token=token["access_token"]
    )
    claims = active.json()
    assert claims["active"] is True and claims["client_id"] == "confidential"
    assert claims["scope"] == "email" and claims["username"] == "alice" and claims["exp"] > 0
    unknown = client.introspect_token(provider.url + "/oauth/introspect", token="nope")
    assert unknown.json() == {"active": False}
    anonymous = requests.post(
        provider.url + "/oauth/introspect", data={"token": token["access_token"]}, timeout=10
    )
    assert anonymous.status_code == 401


def test_metadata(make_provider: Any) -> None:
    provider = make_provider(OAUTH2_PROVIDER_ISSUER="https://issuer.example")
    doc = requests.get(provider.url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert doc["issuer"] == "https://issuer.example"
    assert doc["authorization_endpoint"] == provider.url + "/oauth/authorize"
    assert doc["token_endpoint"] == provider.url + "/oauth/token"
    assert doc["revocation_endpoint"] == provider.url + "/oauth/revoke"
    assert doc["introspection_endpoint"] == provider.url + "/oauth/introspect"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert doc["scopes_supported"] == ["email", "profile"]
    assert set(doc["grant_types_supported"]) == {
        "authorization_code",
        "client_credentials",
        "implicit",
        "password",
        "refresh_token",
    }
    assert doc["response_types_supported"] == ["code", "token"]
    assert doc["response_modes_supported"] == ["query", "fragment"]


def test_metadata_without_issuer_uses_the_host(provider: Provider) -> None:
    doc = requests.get(provider.url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert doc["issuer"] == provider.url
    assert doc["authorization_response_iss_parameter_supported"] is False


def test_iss_on_authorization_responses(make_provider: Any) -> None:
    provider = make_provider(OAUTH2_PROVIDER_ISSUER="https://issuer.example")
    sess = OAuth2Session("confidential", redirect_uri=REDIRECT, scope=["email"], pkce="S256")
    url, _ = sess.authorization_url(provider.url + "/oauth/authorize")
    assert provider.callback_params(url)["iss"] == "https://issuer.example"
    denied = provider.callback_params(url, allow=False)
    assert denied["error"] == "access_denied" and denied["iss"] == "https://issuer.example"


@on_both_storages
def test_get_token_request_of_the_old_client(provider: Provider) -> None:
    sess = OAuth2Session("confidential", redirect_uri=REDIRECT, scope=["email"])
    url, _ = sess.authorization_url(provider.url + "/oauth/authorize")
    code = provider.callback_params(url)["code"]
    resp = requests.get(
        provider.url + "/oauth/token",
        params={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "confidential",
            "client_secret": "s3cret",
            "redirect_uri": REDIRECT,
        },
        timeout=10,
    )
    assert resp.status_code == 200 and "access_token" in resp.json()


def test_token_generator_from_config(make_provider: Any) -> None:
    provider = make_provider(
        OAUTH2_PROVIDER_TOKEN_GENERATOR="oauth2_app.hex_token",
        OAUTH2_PROVIDER_TOKEN_EXPIRES_IN=120,
    )
    sess = OAuth2Session(client=BackendApplicationClient(client_id="machine"))
    token = sess.fetch_token(
        provider.url + "/oauth/token", client_id="machine", client_secret="m-secret"
    )
    assert token["expires_in"] == 120
    int(token["access_token"], 16)


def test_custom_validator_assignment(provider: Provider) -> None:
    from flask_oauthlib_provider_oauth2 import OAuth2RequestValidator

    getters = provider.store.functions

    class NoMachines(OAuth2RequestValidator):
        def validate_client_id(
            self, client_id: str, request: Any, *args: Any, **kwargs: Any
        ) -> bool:
            return client_id != "confidential" and super().validate_client_id(client_id, request)

    provider.oauth._validator = NoMachines(
        getters["clientgetter"],
        getters["tokengetter"],
        getters["grantgetter"],
        tokensetter=getters["tokensetter"],
        grantsetter=getters["grantsetter"],
    )
    sess = OAuth2Session("confidential", redirect_uri=REDIRECT, scope=["email"], pkce="S256")
    url, _ = sess.authorization_url(provider.url + "/oauth/authorize")
    resp = requests.get(url, allow_redirects=False, timeout=10)
    location = resp.headers["Location"]
    assert location.startswith("/oauth/errors?error=invalid_") and "client_id" in location


@pytest.mark.parametrize("provider", ["0.9.6"], indirect=True)
def test_legacy_grant_storage_still_logs_in_with_pkce(
    provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        token = code_flow(provider, "public")
    assert api(provider, token["access_token"]).status_code == 200
    assert any("code_challenge" in r.getMessage() for r in caplog.records)


@on_both_storages
def test_storage_down_is_temporarily_unavailable(provider: Provider) -> None:
    token = code_flow(provider)
    provider.store.fail_storage = True
    resp = token_request(provider.url, "machine", grant_type="client_credentials")
    assert resp.status_code == 503 and resp.json()["error"] == "temporarily_unavailable"
    assert resp.headers["Retry-After"] == "5"
    assert api(provider, token["access_token"]).status_code == 503
    provider.store.fail_storage = False
    assert api(provider, token["access_token"]).status_code == 200


def test_secret_comparison_for_unknown_client(provider: Provider) -> None:
    resp = requests.post(
        provider.url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("nobody", secrets.token_hex(8)),
        timeout=10,
    )
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
