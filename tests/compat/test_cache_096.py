"""``flask_oauthlib.contrib.cache.Cache`` as 0.9.6 apps use it: werkzeug's cache methods
on every backend, with values stored as JSON (never pickled) that come back with their
type, atomic counters, and a ``clear`` that only clears this cache's entries."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from flask_oauthlib.contrib.cache import Cache
from flask_oauthlib_core.testing import (
    MEMCACHED_SERVERS,
    REDIS_URL,
    concurrently,
    free_port,
    require_service,
)

KINDS = ["null", "simple", "filesystem", "redis", "memcache"]
STORING = [kind for kind in KINDS if kind != "null"]
METHODS = (
    "get",
    "set",
    "add",
    "delete",
    "has",
    "inc",
    "dec",
    "clear",
    "get_many",
    "set_many",
    "delete_many",
    "get_dict",
)
VALUES: list[Any] = [
    True,
    False,
    0,
    1,
    -7,
    2**70,
    1.5,
    "text",
    "",
    "1",
    "true",
    [1, "a", None, [True]],
    {"user": 1, "scopes": ["email"], "nested": {"ok": False, "n": None}},
]


def config(kind: str, tmp_path: Path, prefix: str | None = None) -> dict[str, Any]:
    """``OAUTHLIB_CACHE_*`` keys for ``kind``; redis and memcache get a fresh prefix."""
    settings: dict[str, Any] = {"OAUTHLIB_CACHE_TYPE": kind}
    if kind == "redis":
        require_service("redis")
        settings["OAUTHLIB_CACHE_REDIS_URL"] = REDIS_URL
    elif kind == "memcache":
        require_service("memcached")
        settings["OAUTHLIB_CACHE_MEMCACHED_SERVERS"] = MEMCACHED_SERVERS
    elif kind == "filesystem":
        settings["OAUTHLIB_CACHE_DIR"] = str(tmp_path / (prefix or "cache"))
    if kind in ("redis", "memcache"):
        settings["OAUTHLIB_CACHE_KEY_PREFIX"] = prefix or "c096" + uuid.uuid4().hex[:8] + ":"
    return settings


def make_cache(kind: str, tmp_path: Path, prefix: str | None = None, **extra: Any) -> Cache:
    app = Flask("cache096")
    app.config.update(config(kind, tmp_path, prefix), **extra)
    return Cache(app, config_prefix="OAUTHLIB")


@pytest.fixture(params=KINDS)
def cache(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cache]:
    made = make_cache(request.param, tmp_path)
    yield made
    if request.param != "null":
        made.clear()


@pytest.mark.parametrize("kind", KINDS)
def test_cache_has_every_method_of_0_9_6(kind: str, tmp_path: Path) -> None:
    made = make_cache(kind, tmp_path)
    assert [name for name in METHODS if not callable(getattr(made, name, None))] == []


@pytest.mark.parametrize("kind", STORING)
def test_values_come_back_with_their_type(kind: str, tmp_path: Path) -> None:
    made = make_cache(kind, tmp_path)
    for number, value in enumerate(VALUES):
        key = f"value{number}"
        assert made.set(key, value, timeout=60) is True
        back = made.get(key)
        assert back == value and type(back) is type(value), (kind, value, back)
        raw = made.cache.get(key)  # the text the backend keeps: JSON, never a pickle
        assert isinstance(raw, str) and json.loads(raw) == value
    assert made.set("none", None) and made.get("none") is None and made.has("none")
    assert made.get("missing") is None and not made.has("missing")


def test_null_cache_stores_nothing(tmp_path: Path) -> None:
    made = make_cache("null", tmp_path)
    assert made.set("k", {"a": 1}) is True and made.get("k") is None
    assert made.add("k", 1) is True and not made.has("k")
    assert made.inc("n") == 1 and made.inc("n", 2) == 2 and made.dec("n") == -1
    assert made.set_many({"a": 1, "b": 2}) is True
    assert made.get_many("a", "b") == [None, None] and made.get_dict("a") == {"a": None}
    assert made.delete_many("a", "b") is True and made.clear() is True


@pytest.mark.parametrize(
    "value",
    [object(), b"bytes", (1, 2), {1, 2}, {1: "a"}, float("nan"), [1, object()], {"a": (1,)}],
    ids=["object", "bytes", "tuple", "set", "int-key", "nan", "nested-object", "nested-tuple"],
)
def test_value_json_cannot_hold_raises_type_error_naming_the_key(value: Any, cache: Cache) -> None:
    with pytest.raises(TypeError, match="my-key"):
        cache.set("my-key", value)
    with pytest.raises(TypeError, match="my-key"):
        cache.add("my-key", value)
    with pytest.raises(TypeError, match="my-key"):
        cache.set_many({"fine": 1, "my-key": value})
    assert cache.get("my-key") is None and not cache.has("my-key")


def test_add_has_delete(cache: Cache) -> None:
    stores = cache.config["OAUTHLIB_CACHE_TYPE"] != "null"
    assert cache.add("a", {"first": True}, timeout=60) is True
    assert cache.add("a", {"first": False}) is not stores
    assert cache.get("a") == ({"first": True} if stores else None)
    assert cache.has("a") is stores
    if stores:
        assert cache.delete("a") is True and cache.delete("a") is False
    assert not cache.has("a") and cache.add("a", 2) is True


def test_many(cache: Cache) -> None:
    stores = cache.config["OAUTHLIB_CACHE_TYPE"] != "null"
    assert cache.set_many({"a": 1, "b": [2]}, timeout=60) is True
    assert cache.set_many([("c", "three")]) is True
    expected = [1, [2], "three", None] if stores else [None] * 4
    assert cache.get_many("a", "b", "c", "d") == expected
    assert cache.get_dict("a", "b", "c", "d") == dict(zip("abcd", expected, strict=True))
    assert cache.delete_many("a", "b") is True
    assert cache.get_many("a", "b", "c") == [None, None, "three" if stores else None]


@pytest.mark.parametrize("kind", STORING)
def test_inc_and_dec(kind: str, tmp_path: Path) -> None:
    made = make_cache(kind, tmp_path)
    assert made.inc("n") == 1 and made.inc("n", delta=5) == 6
    assert made.dec("n") == 5 and made.dec("n", 10) == -5 and made.inc("n", 2) == -3
    assert made.get("n") == -3 and type(made.get("n")) is int
    assert made.dec("fresh", 2) == -2 and made.get("fresh") == -2
    assert made.set("big", 99) and made.dec("big", 90) == 9 and made.get("big") == 9
    for value in ("text", 1.5, True, [1]):
        made.set("word", value)
        with pytest.raises(TypeError, match="word"):
            made.inc("word")
        assert made.get("word") == value


@pytest.mark.parametrize("kind", STORING)
def test_inc_is_atomic(kind: str, tmp_path: Path) -> None:
    made = make_cache(kind, tmp_path)

    def bump() -> None:
        for _ in range(40):
            made.inc("hits")

    concurrently(bump, 8)
    assert made.get("hits") == 8 * 40


@pytest.mark.parametrize("kind", [kind for kind in STORING if kind != "memcache"])
def test_clear_only_clears_this_cache(kind: str, tmp_path: Path) -> None:
    mine = make_cache(kind, tmp_path, prefix="mine" + uuid.uuid4().hex[:6] + ":")
    theirs = make_cache(kind, tmp_path, prefix="theirs" + uuid.uuid4().hex[:6] + ":")
    for made in (mine, theirs):
        made.set_many({"a": 1, "b": "two"})
        made.cache.set("grant:abc", "{}")  # an entry of a binding
    assert mine.clear() is True
    assert mine.get_many("a", "b") == [None, None] and mine.cache.get("grant:abc") is None
    assert theirs.get_many("a", "b") == [1, "two"] and theirs.cache.get("grant:abc") == "{}"
    assert mine.set("a", 3) and mine.get("a") == 3
    theirs.clear()


def test_redis_clear_leaves_keys_outside_the_prefix(tmp_path: Path) -> None:
    import redis

    raw = redis.Redis.from_url(REDIS_URL)
    prefix = "c096" + uuid.uuid4().hex[:8]
    # a glob character in the prefix must not widen what is deleted
    made = make_cache("redis", tmp_path, prefix=prefix + "*:")
    outside = prefix + "-other:key"
    raw.set(outside, "keep", ex=60)
    made.set("k", 1)
    assert made.clear() and made.get("k") is None
    assert raw.get(outside) == b"keep"
    raw.delete(outside)
    raw.close()


def test_redis_without_a_prefix_refuses_to_clear(tmp_path: Path) -> None:
    import redis

    require_service("redis")
    raw = redis.Redis.from_url(REDIS_URL)
    sentinel = "c096-sentinel-" + uuid.uuid4().hex
    raw.set(sentinel, "someone else's", ex=60)
    app = Flask("noprefix")
    app.config.update(OAUTHLIB_CACHE_TYPE="redis", OAUTHLIB_CACHE_REDIS_URL=REDIS_URL)
    made = Cache(app)
    assert made.set("k", 1) and made.get("k") == 1
    with pytest.raises(RuntimeError, match="OAUTHLIB_CACHE_KEY_PREFIX"):
        made.clear()
    assert raw.get(sentinel) == b"someone else's" and made.get("k") == 1
    made.delete("k")
    raw.delete(sentinel)
    raw.close()


@pytest.fixture
def private_memcached() -> Iterator[str]:
    """A memcached of this test alone (``flush_all`` must not empty a shared one)."""
    binary = shutil.which("memcached")
    if binary is None:
        pytest.skip("memcached is not installed")
    port = free_port()
    server = subprocess.Popen([binary, "-u", "root", "-l", "127.0.0.1", "-p", str(port)])
    from pymemcache.client.base import Client

    probe = Client(("127.0.0.1", port), connect_timeout=1, timeout=1)
    for _ in range(50):
        try:
            probe.version()
            break
        except OSError:
            time.sleep(0.1)
    probe.close()
    yield f"127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


@pytest.mark.parametrize("prefix", [None, "mine:"])
def test_memcached_clear_flushes_the_server(private_memcached: str, prefix: str | None) -> None:
    """As 0.9.6: ``flush_all``, prefix or not (memcached cannot list its keys reliably)."""
    app = Flask("noprefix")
    app.config.update(
        OAUTHLIB_CACHE_TYPE="memcache",
        OAUTHLIB_CACHE_MEMCACHED_SERVERS=[private_memcached],
        OAUTHLIB_CACHE_KEY_PREFIX=prefix,
    )
    made = Cache(app)
    made.set_many({"a": 1, "b": 2})
    assert made.clear() is True and made.get_many("a", "b") == [None, None]


def test_the_bindings_text_values_still_work(tmp_path: Path) -> None:
    """The grant and nonce bindings keep their own JSON text in the backend."""
    made = make_cache("simple", tmp_path)
    made.cache.set("grant:x", '{"client_id": "c"}')
    assert made.cache.get("grant:x") == '{"client_id": "c"}'
    assert made.get("grant:x") == {"client_id": "c"}
    assert made.cache.take("grant:x") == '{"client_id": "c"}' and made.take("grant:x") is None
