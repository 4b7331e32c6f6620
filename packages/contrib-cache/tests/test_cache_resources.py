"""Resource indicators (RFC 8707) with bind_cache_grant, on real Redis, files and memory:
the cached code keeps its resources, and the token exchange narrows them or refuses one
not granted (tokens in the test app's memory)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from cache_backends import backend_config
from flask import Flask
from oauth2_app import REDIRECT, Store
from oauth2_app import create_app as create_oauth2_app
from resource_app import keep_token_resources

from flask_oauthlib_contrib_cache import CachedGrant, SimpleBackend, bind_cache_grant
from flask_oauthlib_contrib_cache.grants import grant_key
from flask_oauthlib_core.testing import authorization_code

API = "https://api.example.com/v1"
FILES = "https://files.example.com"


def provider(serve: Callable[[Flask], str], config: dict[str, Any]) -> tuple[str, Store, Any]:
    app, oauth, store = create_oauth2_app(**config)
    cache = bind_cache_grant(
        app, oauth, lambda: store.alice, user_loader=lambda uid: store.alice if uid == 1 else None
    )
    keep_token_resources(oauth, store)
    return serve(app), store, cache


def code_for(url: str, *resources: str) -> str:
    query = [
        ("response_type", "code"),
        ("client_id", "confidential"),
        ("redirect_uri", REDIRECT),
        ("scope", "email"),
        *(("resource", resource) for resource in resources),
    ]
    return authorization_code(f"{url}/oauth/authorize?" + urlencode(query))


def redeem(url: str, code: str, *resources: str) -> requests.Response:
    data = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT)]
    data += [("resource", resource) for resource in resources]
    return requests.post(
        url + "/oauth/token", data=data, auth=("confidential", "s3cret"), timeout=10
    )


@pytest.mark.parametrize("kind", ["simple", "filesystem", "redis"])
def test_cached_code_keeps_its_resources(
    kind: str, serve: Callable[[Flask], str], tmp_path: Path
) -> None:
    url, store, cache = provider(serve, backend_config(kind, tmp_path))
    code = code_for(url, API, FILES)
    entry = json.loads(cache.cache.get(grant_key("confidential", code)))
    assert entry["resources"] == [API, FILES]

    token = redeem(url, code, API)
    assert token.status_code == 200, token.text
    assert store.token_for(token.json()["access_token"]).resources == [API]

    not_granted = redeem(url, code_for(url, API), FILES)
    assert not_granted.status_code == 400 and not_granted.json()["error"] == "invalid_target"
    everything = redeem(url, code_for(url, API, FILES))
    assert store.token_for(everything.json()["access_token"]).resources == [API, FILES]
    plain = redeem(url, code_for(url))  # a code without resources, as before
    assert store.token_for(plain.json()["access_token"]).resources == []


def test_entry_stored_before_resources_existed() -> None:
    """A code cached by 1.0 (no ``resources``) reads back as granted for no resource."""
    data = {"client_id": "c", "redirect_uri": REDIRECT, "scopes": ["email"], "expires": 2e9}
    grant = CachedGrant(SimpleBackend(), "k", "code", data, users=None)
    assert grant.resources == []
    junk = CachedGrant(SimpleBackend(), "k", "code", {**data, "resources": "x"}, users=None)
    assert junk.resources == []
