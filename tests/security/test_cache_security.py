"""Regression tests for two holes an outside review found in the cache bindings.

- SECURITY-DEFAULTS item 23: nothing read from a cache is unpickled (a pickle planted
  where the cache keeps a code must never run), and a cache directory others can write
  to is refused when the binding is built.
- SECURITY-DEFAULTS item 29: an OAuth 1 nonce is kept as long as its timestamp would
  still be accepted, and a timestamp far ahead of the server clock is refused.
"""

from __future__ import annotations

import os
import pickle
import struct
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import oauth1_app
import oauth2_app
import pytest
from flask import Flask
from flask.testing import FlaskClient
from oauthlib.oauth1 import Client as OAuth1Client

from flask_oauthlib_contrib_cache import SimpleBackend, bind_cache_grant, bind_cache_nonce
from flask_oauthlib_contrib_cache.grants import grant_key
from flask_oauthlib_core.testing import (
    MEMCACHED_HOST,
    MEMCACHED_PORT,
    MEMCACHED_SERVERS,
    REDIS_URL,
    authorization_code,
    require_service,
)


class Payload:
    """Unpickling this creates the directory ``marker``: proof that a pickle was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (self.marker,))


def pickles(marker: Path) -> list[bytes]:
    """The payload as cachelib's file cache writes entries (a 4-byte expiry, then the
    pickle), and as a bare pickle."""
    bare = pickle.dumps(Payload(marker))
    return [struct.pack("I", 0) + bare, bare]


# -- item 23: no pickles ----------------------------------------------------------------------


def grant_app(**config: Any) -> tuple[Flask, FlaskClient]:
    app, oauth, store = oauth2_app.create_app(**config)
    bind_cache_grant(app, oauth, lambda: store.alice)
    return app, app.test_client()


def issue_code(client: FlaskClient) -> str:
    return authorization_code(oauth2_app.authorize_url(), browser=client)


def entries(directory: Path) -> set[Path]:
    return {p for p in directory.iterdir() if not p.name.startswith(".")}


def issue_code_and_find_its_file(client: FlaskClient, directory: Path) -> tuple[str, Path]:
    """A new code and the one file the cache wrote for it (the name an attacker computes
    from the code they pick)."""
    before = entries(directory)
    code = issue_code(client)
    (path,) = entries(directory) - before
    return code, path


def test_pickle_planted_in_the_filesystem_cache_is_never_loaded(tmp_path: Path) -> None:
    directory = tmp_path / "grants"
    _, client = grant_app(OAUTH2_CACHE_TYPE="filesystem", OAUTH2_CACHE_DIR=str(directory))
    for number, payload in enumerate(pickles(tmp_path / "marker")):
        code, path = issue_code_and_find_its_file(client, directory)
        path.write_bytes(payload)
        answer = oauth2_app.redeem(client, code)
        assert not (tmp_path / "marker").exists(), f"payload {number} was unpickled"
        assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"
    code, path = issue_code_and_find_its_file(client, directory)
    text = path.read_text()
    assert text.startswith("{") and code not in text  # JSON, and no usable code


def plant_in_redis(client: FlaskClient, prefix: str, payload: bytes) -> str:
    import redis

    raw = redis.Redis.from_url(REDIS_URL)
    before = set(raw.keys(prefix + "*"))
    code = issue_code(client)
    (key,) = set(raw.keys(prefix + "*")) - before
    raw.set(key, payload)
    raw.close()
    return code


def plant_in_memcache(client: FlaskClient, prefix: str, payload: bytes) -> str:
    from pymemcache.client.base import Client

    code = issue_code(client)
    raw = Client((MEMCACHED_HOST, MEMCACHED_PORT))
    raw.set(prefix + grant_key("confidential", code), payload)
    raw.close()
    return code


@pytest.mark.parametrize(
    ("kind", "plant"),
    [("redis", plant_in_redis), ("memcache", plant_in_memcache)],
    ids=["redis", "memcache"],
)
def test_pickle_planted_in_a_cache_server_is_never_loaded(
    kind: str, plant: Any, tmp_path: Path
) -> None:
    require_service(kind)
    prefix = "sec" + uuid.uuid4().hex[:8] + ":"
    config = {"OAUTH2_CACHE_TYPE": kind, "OAUTH2_CACHE_KEY_PREFIX": prefix}
    if kind == "redis":
        config["OAUTH2_CACHE_REDIS_URL"] = REDIS_URL
    else:
        config["OAUTH2_CACHE_MEMCACHED_SERVERS"] = MEMCACHED_SERVERS
    _, client = grant_app(**config)
    for payload in pickles(tmp_path / "marker"):
        answer = oauth2_app.redeem(client, plant(client, prefix, payload))
        assert not (tmp_path / "marker").exists()
        assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_grant"


def test_simple_cache_keeps_the_strings_as_they_are() -> None:
    backend = SimpleBackend()
    value = '{"client_id": "confidential"}' * 10
    backend.set("k", value)
    assert backend.get("k") is value  # not a copy that went through a serializer
    assert backend.take("k") is value and backend.get("k") is None


def bind_all(directory: Path) -> None:
    """Build each binding that can use a cache directory."""
    app, oauth2, store = oauth2_app.create_app(
        OAUTH2_CACHE_TYPE="filesystem", OAUTH2_CACHE_DIR=str(directory)
    )
    with pytest.raises(RuntimeError, match="cache directory") as grant_error:
        bind_cache_grant(app, oauth2, lambda: store.alice)
    app1, oauth1, _ = oauth1_app.create_app(
        OAUTH1_CACHE_TYPE="filesystem", OAUTH1_CACHE_DIR=str(directory)
    )
    with pytest.raises(RuntimeError, match="cache directory"):
        bind_cache_nonce(app1, oauth1)
    assert str(directory) in str(grant_error.value)


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o770, 0o720, 0o702], ids=oct)
def test_cache_directory_writable_by_others_is_refused(mode: int, tmp_path: Path) -> None:
    directory = tmp_path / "shared"
    directory.mkdir()
    directory.chmod(mode)
    bind_all(directory)


def test_cache_directory_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a directory to another user")
    directory = tmp_path / "theirs"
    directory.mkdir(mode=0o700)
    os.chown(directory, 65534, 65534)
    bind_all(directory)


def test_missing_cache_directory_is_created_private(tmp_path: Path) -> None:
    directory = tmp_path / "new" / "grants"
    grant_app(OAUTH2_CACHE_TYPE="filesystem", OAUTH2_CACHE_DIR=str(directory))
    assert directory.is_dir() and directory.stat().st_mode & 0o777 == 0o700


# -- item 29: nonces outlive their timestamps ---------------------------------------------------


def request_token(client: FlaskClient, timestamp: int, nonce: str) -> Any:
    signer = OAuth1Client(
        oauth1_app.CLIENT_KEY,
        oauth1_app.CLIENT_SECRET,
        callback_uri=oauth1_app.CALLBACK,
        nonce=nonce,
        timestamp=str(timestamp),
    )
    _, headers, _ = signer.sign("http://localhost/oauth/request_token", http_method="POST")
    return client.post("/oauth/request_token", headers=headers)


def test_nonce_with_a_future_timestamp_is_kept_until_the_timestamp_expires() -> None:
    require_service("redis")
    window = 3
    app, oauth, _ = oauth1_app.create_app(
        OAUTH1_PROVIDER_TIMESTAMP_WINDOW=window,
        OAUTH1_CACHE_TYPE="redis",
        OAUTH1_CACHE_REDIS_URL=REDIS_URL,
        OAUTH1_CACHE_KEY_PREFIX="sec" + uuid.uuid4().hex[:8] + ":",
        OAUTH1_CACHE_DEFAULT_TIMEOUT=1,
    )
    bind_cache_nonce(app, oauth)
    client = app.test_client()
    timestamp = int(time.time()) + 2  # ahead of the server, inside the window
    nonce = uuid.uuid4().hex
    assert request_token(client, timestamp, nonce).status_code == 200
    time.sleep(window + 0.3)  # 1.0 kept the nonce max(window, DEFAULT_TIMEOUT) from now
    assert abs(time.time() - timestamp) < window  # the timestamp is still accepted ...
    replay = request_token(client, timestamp, nonce)
    assert replay.status_code == 401, "a replay inside the timestamp window was accepted"


def resource(client: FlaskClient, store: oauth1_app.Store, timestamp: int) -> Any:
    token = oauth1_app.AccessToken(
        store.clients[oauth1_app.CLIENT_KEY], store.alice, "t" * 24, "s" * 24, ["email"]
    )
    store.tokens[token.token] = token
    signer = OAuth1Client(
        oauth1_app.CLIENT_KEY,
        oauth1_app.CLIENT_SECRET,
        token.token,
        token.secret,
        nonce=uuid.uuid4().hex,
        timestamp=str(timestamp),
    )
    _, headers, _ = signer.sign("http://localhost/api/email")
    return client.get("/api/email", headers=headers)


def test_timestamp_too_far_ahead_is_refused() -> None:
    app, _, store = oauth1_app.create_app()
    client = app.test_client()
    now = int(time.time())
    ahead = request_token(client, now + 300, uuid.uuid4().hex)
    assert ahead.status_code == 400
    assert parse_qs(ahead.get_data(as_text=True))["error"] == ["invalid_request"]
    assert resource(client, store, now + 300).status_code == 400
    assert resource(client, store, now).status_code == 200
    assert request_token(client, now + 30, uuid.uuid4().hex).status_code == 200
    assert request_token(client, now - 300, uuid.uuid4().hex).status_code == 200
    tolerant, _, _ = oauth1_app.create_app(OAUTH1_PROVIDER_TIMESTAMP_SKEW=600)
    assert request_token(tolerant.test_client(), now + 300, uuid.uuid4().hex).status_code == 200


@pytest.mark.parametrize("kind", ["simple", "filesystem"])
def test_flooded_nonce_store_never_forgets_a_live_nonce(kind: str, tmp_path: Path) -> None:
    """A bounded store full of live nonces (signed requests of real clients) refuses more
    (503) instead of pushing out a live nonce that could then be replayed."""
    from flask_oauthlib_contrib_cache.backends import FileSystemBackend, SimpleBackend
    from flask_oauthlib_core import StorageUnavailable

    backend = (
        SimpleBackend(default_timeout=600, threshold=5)
        if kind == "simple"
        else FileSystemBackend(str(tmp_path / "nonces"), default_timeout=600, threshold=5)
    )
    assert backend.add("nonce:victim", "1")
    for n in range(4):
        assert backend.add(f"nonce:flood{n}", "1")
    with pytest.raises(StorageUnavailable):
        backend.add("nonce:flood-more", "1")
    assert backend.add("nonce:victim", "1") is False
    # codes (set) may still push out the oldest live entry: losing a code is safe
    assert backend.set("grant:x", "{}")
