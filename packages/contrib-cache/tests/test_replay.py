"""A replayed code with ``bind_cache_grant``: ``invalid_grant`` always, and with
``on_replay`` the app is told which code it was, so it can revoke what that code issued."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cache_backends import backend_config
from flask import Flask
from flask.testing import FlaskClient
from oauth2_app import REDIRECT, Store, authorize_url, create_app, redeem

from flask_oauthlib_contrib_cache import Cache, bind_cache_grant, code_hash
from flask_oauthlib_contrib_cache.grants import grant_key
from flask_oauthlib_core.testing import authorization_code, concurrently
from flask_oauthlib_provider_oauth2 import OAuth2Provider

STORING = ["simple", "filesystem", "redis", "memcache"]

SaveToken = Callable[..., Any]


def create_app_and_tokensetter(**config: Any) -> tuple[Flask, OAuth2Provider, Store, SaveToken]:
    """``create_app``, and the tokensetter it registered."""
    app, oauth, store = create_app(**config)
    return app, oauth, store, store.functions["tokensetter"]


class Revoker:
    """What an app adds: its tokensetter (wrapping ``save``, the app's own) notes the code
    each token came from, and ``on_replay`` revokes those tokens."""

    def __init__(self, store: Store, save: SaveToken) -> None:
        self.store = store
        self.save = save
        self.issued: dict[str, list[str]] = {}
        self.calls: list[tuple[str, str]] = []

    def bind(self, app: Flask, oauth: OAuth2Provider, **options: Any) -> Cache:
        save = self.save

        @oauth.tokensetter
        def save_token(token: dict[str, Any], req: Any, *args: Any, **kwargs: Any) -> Any:
            saved = save(token, req, *args, **kwargs)
            grant = getattr(req, "grant", None)
            if grant is not None:
                self.issued.setdefault(grant.code_hash, []).append(token["access_token"])
            return saved

        return bind_cache_grant(
            app, oauth, lambda: self.store.alice, on_replay=self.revoke, **options
        )

    def revoke(self, client_id: str, hashed: str) -> None:
        self.calls.append((client_id, hashed))
        for access in self.issued.get(hashed, []):
            self.store.tokens[access].revoked = True


def issue_code(client: FlaskClient) -> str:
    return authorization_code(authorize_url(), browser=client)


def me(client: FlaskClient, access_token: str) -> int:
    return client.get("/api/me", headers={"Authorization": "Bearer " + access_token}).status_code


@pytest.mark.parametrize("kind", STORING)
def test_replay_calls_on_replay_which_revokes_the_tokens(kind: str, tmp_path: Path) -> None:
    app, oauth, store, save = create_app_and_tokensetter(**backend_config(kind, tmp_path))
    revoker = Revoker(store, save)
    revoker.bind(app, oauth)
    client = app.test_client()
    code = issue_code(client)
    first = redeem(client, code)
    assert first.status_code == 200 and revoker.calls == []
    access = first.json["access_token"]
    assert me(client, access) == 200
    replay = redeem(client, code)
    assert replay.status_code == 400 and replay.json["error"] == "invalid_grant"
    assert revoker.calls == [("confidential", code_hash("confidential", code))]
    assert me(client, access) == 401
    # a code never issued, and an unused one of another request, call nothing
    assert redeem(client, "never-issued").json["error"] == "invalid_grant"
    assert redeem(client, issue_code(client)).status_code == 200
    assert len(revoker.calls) == 1


@pytest.mark.parametrize("kind", STORING)
def test_used_code_is_a_marker_without_the_grant(kind: str, tmp_path: Path) -> None:
    app, oauth, store, save = create_app_and_tokensetter(**backend_config(kind, tmp_path))
    cache = Revoker(store, save).bind(app, oauth)
    client = app.test_client()
    code = issue_code(client)
    assert redeem(client, code).status_code == 200
    raw = cache.cache.get(grant_key("confidential", code))
    assert raw is not None and '"used": true' in raw
    assert "alice" not in raw and REDIRECT not in raw and code not in raw


def test_without_on_replay_a_used_code_is_deleted(tmp_path: Path) -> None:
    app, oauth, store = create_app(**backend_config("simple", tmp_path))
    cache = bind_cache_grant(app, oauth, lambda: store.alice)
    client = app.test_client()
    code = issue_code(client)
    access = redeem(client, code).json["access_token"]
    assert cache.cache.get(grant_key("confidential", code)) is None
    assert redeem(client, code).json["error"] == "invalid_grant"
    assert me(client, access) == 200  # nothing told the app: its tokens stay


def test_used_marker_lives_as_long_as_the_code(tmp_path: Path) -> None:
    app, oauth, store, save = create_app_and_tokensetter(
        **backend_config("simple", tmp_path), OAUTH2_CACHE_DEFAULT_TIMEOUT=1
    )
    revoker = Revoker(store, save)
    revoker.bind(app, oauth)
    client = app.test_client()
    code = issue_code(client)
    assert redeem(client, code).status_code == 200
    time.sleep(1.2)
    assert redeem(client, code).json["error"] == "invalid_grant"
    assert revoker.calls == []  # the code had expired: not a replay any more


def test_null_cache_never_calls_on_replay(tmp_path: Path) -> None:
    app, oauth, store, save = create_app_and_tokensetter(OAUTH2_CACHE_TYPE="null")
    revoker = Revoker(store, save)
    revoker.bind(app, oauth)
    client = app.test_client()
    code = issue_code(client)
    assert redeem(client, code).json["error"] == "invalid_grant"
    assert redeem(client, code).json["error"] == "invalid_grant"
    assert revoker.calls == []


@pytest.mark.parametrize("kind", ["filesystem", "redis", "memcache"])
def test_concurrent_redemptions_with_on_replay_have_one_winner(
    kind: str, serve: Callable[[Flask], str], tmp_path: Path
) -> None:
    app, oauth, store, save = create_app_and_tokensetter(**backend_config(kind, tmp_path))
    revoker = Revoker(store, save)
    revoker.bind(app, oauth)
    url = serve(app)
    code = issue_code(app.test_client())
    statuses = concurrently(lambda: redeem(url, code).status_code, 12)
    assert statuses.count(200) == 1 and statuses.count(400) == 11, statuses
    assert len(store.tokens) == 1
    assert set(revoker.calls) == {("confidential", code_hash("confidential", code))}
