"""OpenID Connect with bind_cache_grant for the codes, over real HTTP: the cached grant
keeps ``nonce``, ``auth_time`` and ``claims``, and the ID tokens, a refresh and the
userinfo endpoint get them (tokens in the OpenID test app's memory)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from cache_backends import backend_config
from flask import Flask, session
from oidc_app import REDIRECT, SECRET, Browser, make_app, pem

from flask_oauthlib_contrib_cache import CachedGrant, bind_cache_grant
from flask_oauthlib_core.testing import redirect_params
from flask_oauthlib_provider_oauth2.jwks import key_set

CLAIMS = {"userinfo": {"phone_number": None}, "id_token": {"email": None}}


class GrantSpy:
    """Stands for the provider in ``bind_cache_grant``: keeps each grant it loads."""

    def __init__(self, oauth: Any) -> None:
        self.oauth = oauth
        self.loaded: list[Any] = []

    def grantsetter(self, f: Any) -> Any:
        return self.oauth.grantsetter(f)

    def grantgetter(self, f: Any) -> Any:
        def spy(client_id: str, code: str) -> Any:
            grant = f(client_id, code)
            self.loaded.append(grant)
            return grant

        return self.oauth.grantgetter(spy)


def post_token(url: str, **data: str) -> Any:
    answer = requests.post(url + "/oauth/token", data=data, auth=("rp", SECRET), timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def userinfo(url: str, access_token: str) -> Any:
    headers = {"Authorization": "Bearer " + access_token}
    answer = requests.get(url + "/oauth/userinfo", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def id_token(url: str, token: dict[str, Any]) -> dict[str, Any]:
    claims: dict[str, Any] = key_set([pem()]).verify(token["id_token"], audience="rp")
    assert claims["iss"] == url and claims["sub"] == "1"
    return claims


@pytest.mark.parametrize("kind", ["simple", "filesystem", "redis"])
def test_openid_code_flow_with_cached_grants(
    kind: str, serve: Callable[[Flask], str], tmp_path: Path
) -> None:
    app, oauth, store = make_app(**backend_config(kind, tmp_path))
    spy = GrantSpy(oauth)
    users = {user.id: user for user in store.users.values()}
    bind_cache_grant(app, spy, lambda: store.users[session["user"]], user_loader=users.get)
    url = serve(app)

    browser = Browser(url)
    browser.login("alice", ago=5)
    login_time = int(time.time()) - 5
    nonce = secrets.token_urlsafe(16)
    params = {
        "response_type": "code",
        "client_id": "rp",
        "redirect_uri": REDIRECT,
        "scope": "openid email",
        "state": "xyz",
        "nonce": nonce,
        "claims": json.dumps(CLAIMS),
    }
    code = redirect_params(browser.authorize(url + "/oauth/authorize?" + urlencode(params)))["code"]
    token = post_token(url, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)

    (grant,) = spy.loaded
    assert isinstance(grant, CachedGrant)
    assert grant.nonce == nonce and grant.claims == CLAIMS
    assert abs(grant.auth_time - login_time) <= 2 and grant.user is store.users["alice"]

    claims = id_token(url, token)
    assert claims["nonce"] == nonce and claims["auth_time"] == grant.auth_time
    assert claims["email"] == "alice@example.com"  # the claims parameter asked for it
    assert store.tokens[0].auth_time == grant.auth_time and store.tokens[0].claims == CLAIMS

    # the claims parameter never reaches beyond the consented scopes: no phone_number
    assert userinfo(url, token["access_token"]) == {
        "sub": "1",
        "email": "alice@example.com",
        "email_verified": True,
    }

    refreshed = post_token(url, grant_type="refresh_token", refresh_token=token["refresh_token"])
    again = id_token(url, refreshed)
    assert again["auth_time"] == grant.auth_time and "nonce" not in again
    assert again["email"] == "alice@example.com"  # the stored claims parameter, carried


def test_a_plain_oauth2_code_keeps_no_openid_fields(
    serve: Callable[[Flask], str], tmp_path: Path
) -> None:
    app, oauth, store = make_app(**backend_config("simple", tmp_path))
    spy = GrantSpy(oauth)
    users = {user.id: user for user in store.users.values()}
    bind_cache_grant(app, spy, lambda: store.users[session["user"]], user_loader=users.get)
    url = serve(app)
    browser = Browser(url)
    browser.login("alice")
    params = {
        "response_type": "code",
        "client_id": "rp",
        "redirect_uri": REDIRECT,
        "scope": "email",
        "state": "xyz",
        "nonce": "unchecked",
    }
    code = redirect_params(browser.authorize(url + "/oauth/authorize?" + urlencode(params)))["code"]
    token = post_token(url, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert "id_token" not in token
    (grant,) = spy.loaded
    assert grant.nonce is None and grant.auth_time is None and grant.claims is None
