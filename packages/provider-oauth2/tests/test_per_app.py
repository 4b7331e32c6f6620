"""Per-app state: what one app's config decides stays with that app, and the metadata
document says what the server does (issue 17's bugs)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from flask import Flask
from oauth2_app import REDIRECT, Provider
from requests_oauthlib import OAuth2Session

from flask_oauthlib_provider_oauth2 import OAuth2Provider, OAuth2RequestValidator


def authorization_url(provider: Provider, client_id: str, **params: Any) -> str:
    sess = OAuth2Session(client_id, redirect_uri=REDIRECT, scope=["email"])
    url, _ = sess.authorization_url(provider.url + "/oauth/authorize", **params)
    return str(url)


def shared_validator(provider: Provider) -> OAuth2RequestValidator:
    """A validator an app builds itself from its storage, as 0.9.6 apps assign it."""
    store = provider.store

    def load_client(client_id: str) -> Any:
        return store.clients.get(client_id)

    def load_token(access_token: str | None = None, refresh_token: str | None = None) -> Any:
        return store.tokens.get(access_token or "")

    def load_grant(client_id: str, code: str) -> Any:
        return store.grants.get(code)

    return OAuth2RequestValidator(
        load_client, load_token, load_grant, grantsetter=store.functions["grantsetter"]
    )


def test_a_shared_validator_keeps_each_apps_pkce_policy(make_provider: Any) -> None:
    strict = make_provider(OAUTH2_PROVIDER_PKCE_REQUIRED="all")
    lax = make_provider(store=strict.store, OAUTH2_PROVIDER_PKCE_REQUIRED="none")
    validator = shared_validator(strict)
    strict.oauth._validator = validator
    lax.oauth._validator = validator

    def without_pkce(provider: Provider) -> requests.Response:
        url = authorization_url(provider, "confidential")
        return requests.get(url, allow_redirects=False, timeout=10)

    # the strict app builds its server first, the lax one last
    assert without_pkce(strict).is_redirect
    assert without_pkce(lax).status_code == 200
    # the strict app still asks a confidential client for PKCE
    answer = without_pkce(strict)
    assert answer.is_redirect
    assert "error=invalid_request" in answer.headers["Location"]
    assert "challenge" in answer.headers["Location"].lower()


def test_metadata_advertises_what_the_server_enforces(make_provider: Any) -> None:
    provider = make_provider()
    first = requests.get(provider.url + "/.well-known/oauth-authorization-server", timeout=10)
    assert first.json()["code_challenge_methods_supported"] == ["S256"]
    # the app changes its config after the first request: the server and the document
    # must still agree on whether plain is accepted
    provider.app.config["OAUTH2_PROVIDER_PKCE_ALLOW_PLAIN"] = True
    document = requests.get(
        provider.url + "/.well-known/oauth-authorization-server", timeout=10
    ).json()
    plain = authorization_url(
        provider, "public", code_challenge="p" * 43, code_challenge_method="plain"
    )
    answer = requests.get(plain, allow_redirects=False, timeout=10)
    accepted = answer.status_code == 200
    assert ("plain" in document["code_challenge_methods_supported"]) is accepted


def test_a_getter_registered_after_the_first_request_is_used(make_provider: Any) -> None:
    provider = make_provider()
    password = {"grant_type": "password", "username": "alice", "password": "wonderland"}
    token_url = provider.url + "/oauth/token"
    auth = ("confidential", "s3cret")
    assert requests.post(token_url, data=password, auth=auth, timeout=10).status_code == 200
    provider.oauth.usergetter(lambda *args, **kwargs: None)
    answer = requests.post(token_url, data=password, auth=auth, timeout=10)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_a_provider_on_an_app_it_was_not_initialised_on_says_what_to_do() -> None:
    oauth = OAuth2Provider(Flask("initialised"))

    @oauth.clientgetter
    def load_client(client_id: str) -> None:
        return None

    @oauth.tokengetter
    def load_token(access_token: str | None = None, refresh_token: str | None = None) -> None:
        return None

    other = Flask("other")
    other.testing = True

    @other.route("/api")
    @oauth.require_oauth()
    def api() -> str:
        return "secret"

    with pytest.raises(RuntimeError, match=r"init_app\(app\)"):
        other.test_client().get("/api", headers={"Authorization": "Bearer x"})
