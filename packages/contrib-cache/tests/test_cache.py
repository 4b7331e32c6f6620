"""bind_cache_grant and bind_cache_nonce on real Redis, real memcached, files and memory."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from cache_backends import backend_config, check_code_flow
from flask import Flask
from oauth1_app import CALLBACK, CLIENT_KEY, CLIENT_SECRET
from oauth1_app import create_app as create_oauth1_app
from oauth2_app import REDIRECT, authorize_url, redeem
from oauth2_app import create_app as create_oauth2_app
from requests_oauthlib import OAuth1, OAuth2Session

from flask_oauthlib_contrib_cache import (
    Cache,
    FileSystemBackend,
    SimpleBackend,
    UserRef,
    UserSnapshot,
    bind_cache_grant,
    bind_cache_nonce,
)
from flask_oauthlib_contrib_cache.nonces import nonce_lifetime
from flask_oauthlib_core import StorageUnavailable
from flask_oauthlib_core.testing import (
    REDIS_URL,
    authorization_code,
    concurrently,
    consent,
    redirect_params,
    require_service,
)


def provider(serve: Callable[[Flask], str], config: dict[str, Any]) -> tuple[str, Any]:
    app, oauth, store = create_oauth2_app(**config)
    bind_cache_grant(
        app, oauth, lambda: store.alice, user_loader=lambda uid: store.alice if uid == 1 else None
    )
    return serve(app), store


def get_code(url: str) -> str:
    return authorization_code(authorize_url(url))


@pytest.mark.parametrize("kind", ["simple", "filesystem", "redis", "memcache"])
def test_authorization_code_flow(kind: str, serve: Callable[[Flask], str], tmp_path: Path) -> None:
    url, _ = provider(serve, backend_config(kind, tmp_path))
    check_code_flow(url)


def test_null_cache_makes_codes_unusable(serve: Callable[[Flask], str], tmp_path: Path) -> None:
    url, _ = provider(serve, backend_config("null", tmp_path))
    assert redeem(url, get_code(url)).json()["error"] == "invalid_grant"


def test_expiry_is_honoured(serve: Callable[[Flask], str], tmp_path: Path) -> None:
    config = backend_config("redis", tmp_path) | {"OAUTH2_CACHE_DEFAULT_TIMEOUT": 1}
    url, _ = provider(serve, config)
    code = get_code(url)
    time.sleep(1.5)
    assert redeem(url, code).json()["error"] == "invalid_grant"


@pytest.mark.parametrize("kind", ["redis", "memcache", "filesystem"])
def test_concurrent_redemptions_have_one_winner(
    kind: str, serve: Callable[[Flask], str], tmp_path: Path
) -> None:
    url, store = provider(serve, backend_config(kind, tmp_path))
    code = get_code(url)
    statuses = concurrently(lambda: redeem(url, code).status_code, 20)
    assert statuses.count(200) == 1, statuses
    assert len(store.tokens) == 1


def test_redis_down_is_temporarily_unavailable(serve: Callable[[Flask], str]) -> None:
    url, _ = provider(serve, {"OAUTH2_CACHE_TYPE": "redis", "OAUTH2_CACHE_REDIS_PORT": 1})
    sess = OAuth2Session("confidential", redirect_uri=REDIRECT, scope=["email"], pkce="S256")
    auth_url, _ = sess.authorization_url(url + "/oauth/authorize")
    assert redirect_params(consent(auth_url))["error"] == "temporarily_unavailable"
    resp = redeem(url, "some-code")
    assert resp.status_code == 503 and resp.json()["error"] == "temporarily_unavailable"


def test_grants_store_no_pickles_and_no_plain_codes(tmp_path: Path) -> None:
    require_service("redis")
    import redis

    app, oauth, store = create_oauth2_app(**backend_config("redis", tmp_path))
    cache = bind_cache_grant(app, oauth, lambda: store.alice)
    client = app.test_client()
    code = authorization_code(authorize_url(), browser=client)
    raw = redis.Redis.from_url(REDIS_URL)
    keys = [k.decode() for k in raw.keys(cache.cache.prefix + "*")]
    assert len(keys) == 1 and code not in keys[0]
    stored = raw.get(keys[0]).decode()
    assert stored.startswith("{") and '"kind": "snapshot"' in stored and code not in stored
    # the grant read back from the snapshot gives the token its user and scopes
    answer = redeem(client, code)
    assert answer.status_code == 200, answer.json
    token = store.token_for(answer.json["access_token"])
    assert isinstance(token.user, UserSnapshot)
    assert token.user == UserRef(1) and token.user.username == "alice"
    assert token.scopes == ["email"]


def test_config_keys_fall_back_to_unprefixed(tmp_path: Path) -> None:
    app = Flask("cfg")
    app.config.update(
        CACHE_TYPE="filesystem", CACHE_DIR=str(tmp_path), OAUTH2_CACHE_DEFAULT_TIMEOUT=7
    )
    cache = Cache(app, "OAUTH2")
    assert cache.default_timeout == 7 and app.extensions["oauth2_cache"] is cache.cache
    cache.set("k", "v")
    assert cache.take("k") == "v" and cache.take("k") is None
    with pytest.raises(RuntimeError, match="OAUTH2_CACHE_TYPE"):
        Cache(Flask("none"), "OAUTH2")
    bad = Flask("bad")
    bad.config["OAUTH2_CACHE_TYPE"] = "mongo"
    with pytest.raises(RuntimeError, match="not a cache type"):
        Cache(bad, "OAUTH2")
    broken = Flask("broken")
    broken.config.update(OAUTH2_CACHE_TYPE="redis", OAUTH2_CACHE_REDIS_PORT=1)
    with pytest.raises(StorageUnavailable):
        Cache(broken, "OAUTH2").get("x")


def test_nonce_replay_rejected_across_two_app_instances(serve: Callable[[Flask], str]) -> None:
    require_service("redis")
    prefix = "n" + uuid.uuid4().hex[:8] + ":"
    urls = []
    for _ in range(2):
        app, oauth, _ = create_oauth1_app(
            OAUTH1_CACHE_TYPE="redis",
            OAUTH1_CACHE_REDIS_URL=REDIS_URL,
            OAUTH1_CACHE_KEY_PREFIX=prefix,
        )
        bind_cache_nonce(app, oauth)
        urls.append(serve(app))
    from oauthlib.oauth1 import Client

    once = {"nonce": "x" * 30, "timestamp": str(int(time.time()))}
    signed = [
        Client(CLIENT_KEY, CLIENT_SECRET, callback_uri=CALLBACK, **once).sign(
            url + "/oauth/request_token", http_method="POST"
        )
        for url in urls
    ]
    first = requests.post(signed[0][0], headers=signed[0][1], timeout=10)
    assert first.status_code == 200
    # the same signed request replayed to the other worker (same path, other port)
    assert requests.post(signed[1][0], headers=signed[1][1], timeout=10).status_code == 401
    fresh = requests.post(
        urls[1] + "/oauth/request_token",
        auth=OAuth1(CLIENT_KEY, CLIENT_SECRET, callback_uri=CALLBACK),
        timeout=10,
    )
    assert fresh.status_code == 200


# -- the local backends: JSON files and plain strings, expiry, threshold, atomic add --------


def local_backend(kind: str, tmp_path: Path, **options: Any) -> Any:
    if kind == "filesystem":
        return FileSystemBackend(str(tmp_path / "cache"), **options)
    return SimpleBackend(**options)


@pytest.mark.parametrize("kind", ["simple", "filesystem"])
def test_local_backends_expire_and_add_once(kind: str, tmp_path: Path) -> None:
    backend = local_backend(kind, tmp_path, default_timeout=1)
    assert backend.add("nonce", "1") and not backend.add("nonce", "1")
    assert backend.set("code", "{}", timeout=5) and backend.get("code") == "{}"
    time.sleep(1.2)
    assert backend.get("nonce") is None and backend.add("nonce", "1")
    assert backend.take("code") == "{}" and backend.take("code") is None
    assert not backend.delete("code")


@pytest.mark.parametrize("kind", ["simple", "filesystem"])
def test_local_backends_keep_at_most_threshold_entries(kind: str, tmp_path: Path) -> None:
    backend = local_backend(kind, tmp_path, threshold=3)
    for n in range(6):
        backend.set(f"k{n}", str(n), timeout=10 + n)  # k0 expires first
    assert [backend.get(f"k{n}") for n in range(6)] == [None, None, None, "3", "4", "5"]
    if kind == "filesystem":
        assert len([p for p in (tmp_path / "cache").iterdir() if p.name[0] != "."]) == 3


def test_filesystem_entries_are_json_and_anything_else_reads_as_missing(tmp_path: Path) -> None:
    backend = FileSystemBackend(str(tmp_path / "cache"))
    backend.set("key", "value")
    (path,) = [p for p in (tmp_path / "cache").iterdir() if p.name[0] != "."]
    entry = json.loads(path.read_text())
    assert entry["value"] == "value" and entry["expires"] > time.time()
    assert path.stat().st_mode & 0o777 == 0o600
    for junk in (b"\x80\x04K\x01.", b"[]", b'{"value": 1, "expires": 9e9}', b"{"):
        path.write_bytes(junk)
        assert backend.get("key") is None and backend.take("key") is None
    path.write_text(json.dumps({"expires": time.time() - 1, "value": "old"}))
    assert backend.get("key") is None and backend.add("key", "new")


def test_filesystem_cache_that_vanished_is_unavailable(tmp_path: Path) -> None:
    backend = FileSystemBackend(str(tmp_path / "cache"))
    (tmp_path / "cache").rmdir()
    assert backend.get("key") is None
    with pytest.raises(StorageUnavailable):
        backend.set("key", "value")


ADD_RACE = """
import sys
from flask_oauthlib_contrib_cache import FileSystemBackend
backend = FileSystemBackend(sys.argv[1])
print(" ".join(str(n) for n in range(100) if backend.add(f"nonce{n}", "1", timeout=60)))
"""


def test_filesystem_add_is_atomic_across_processes(tmp_path: Path) -> None:
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", ADD_RACE, str(tmp_path / "cache")],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    won = [racer.communicate(timeout=60)[0].split() for racer in racers]
    assert sorted(int(n) for wins in won for n in wins) == list(range(100))


def test_nonce_lifetime_covers_the_window_from_the_timestamp() -> None:
    now = int(time.time())
    assert nonce_lifetime(str(now - 30), 600, 60) == 661
    assert 690 <= nonce_lifetime(str(now + 30), 600, 60) <= 692
    assert nonce_lifetime(str(now), 3, 60, floor=100) == 100
    assert nonce_lifetime("not a timestamp", 600, 60) == 661
