"""``bind_cache_replay``: one-time values recorded once in Redis, memcached, files or
memory, shared by every worker, and registered as the provider's replay store."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from cache_backends import backend_config
from flask import Flask
from oauth2_app import create_app

from flask_oauthlib_contrib_cache import CacheReplayStore, bind_cache_replay
from flask_oauthlib_core.testing import concurrently
from flask_oauthlib_provider_oauth2 import ReplayStore, replay_key

KINDS = ["simple", "filesystem", "redis", "memcache"]


def bound(kind: str, tmp_path: Path) -> tuple[Flask, CacheReplayStore]:
    app, oauth, _store = create_app(**backend_config(kind, tmp_path))
    return app, bind_cache_replay(app, oauth)


@pytest.mark.parametrize("kind", KINDS)
def test_a_key_is_new_once(kind: str, tmp_path: Path) -> None:
    _app, store = bound(kind, tmp_path)
    key = replay_key("dpop", "jkt", uuid.uuid4().hex)
    assert isinstance(store, ReplayStore)
    assert store.first_use(key, 60) is True
    assert store.first_use(key, 60) is False
    assert store.first_use(replay_key("dpop", "jkt", uuid.uuid4().hex), 60) is True


@pytest.mark.parametrize("kind", KINDS)
def test_concurrent_uses_of_one_key_have_one_winner(kind: str, tmp_path: Path) -> None:
    _app, store = bound(kind, tmp_path)
    key = replay_key("dpop", uuid.uuid4().hex)
    results = concurrently(lambda: store.first_use(key, 60), 20)
    assert results.count(True) == 1


@pytest.mark.parametrize("kind", ["redis", "memcache"])
def test_a_key_is_new_again_after_it_expired(kind: str, tmp_path: Path) -> None:
    _app, store = bound(kind, tmp_path)
    key = replay_key("dpop", uuid.uuid4().hex)
    assert store.first_use(key, 1)
    assert not store.first_use(key, 1)
    time.sleep(2.1)
    assert store.first_use(key, 1)


def test_the_store_is_the_validators(tmp_path: Path) -> None:
    app, oauth, _store = create_app(**backend_config("simple", tmp_path))
    store = bind_cache_replay(app, oauth)
    with app.test_request_context():
        assert oauth.server.request_validator.replay_store is store


def test_the_null_cache_is_refused(tmp_path: Path) -> None:
    app, oauth, _store = create_app(OAUTH2_CACHE_TYPE="null")
    with pytest.raises(ValueError, match="null"):
        bind_cache_replay(app, oauth)
