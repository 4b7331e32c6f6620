"""``Cache``: a backend chosen by ``<PREFIX>_CACHE_*`` config keys, with 0.9.6's
werkzeug-style methods on values stored as JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask

from flask_oauthlib_core import StorageUnavailable

from .backends import (
    Backend,
    FileSystemBackend,
    MemcacheBackend,
    NullBackend,
    RedisBackend,
    SimpleBackend,
)

__all__ = ["CONFIG_KEYS", "Cache", "exact_json"]

_REQUIRED: Any = object()

#: every key read, with its default; each is looked up as ``<PREFIX>_CACHE_<KEY>`` and
#: then as ``CACHE_<KEY>``
CONFIG_KEYS: dict[str, Any] = {
    "TYPE": _REQUIRED,  # null, simple, filesystem, redis or memcache
    "DEFAULT_TIMEOUT": 100,  # seconds an entry lives
    "THRESHOLD": 500,  # simple, filesystem: entries kept at most
    "KEY_PREFIX": None,  # redis, memcache: prefix of every key
    "DIR": None,  # filesystem: the directory (required; ours alone, created 0o700)
    "MEMCACHED_SERVERS": None,  # memcache: ["host:port", ...] (default 127.0.0.1:11211)
    # redis: redis://[:password@]host:port/db, redis+cluster://host:port[,host:port...]/,
    # redis+sentinel://host:port[,host:port...]/<service>/<db>, rediss+... with TLS (wins
    # over the next four)
    "REDIS_URL": None,
    "REDIS_HOST": "localhost",
    "REDIS_PORT": 6379,
    "REDIS_PASSWORD": None,
    "REDIS_DB": 0,
    # bind_cache_token_cache: seconds a found token is kept (never past its expiry), and
    # an unknown one
    "TOKEN_CACHE_TIMEOUT": 30,
    "TOKEN_CACHE_NEGATIVE_TIMEOUT": 5,
    "TOKEN_CACHE_NAMESPACE": None,
}


def exact_json(value: Any) -> bool:
    """Whether JSON holds ``value`` exactly, so that it comes back equal and of the same
    type: ``str``, ``int``, ``bool``, ``None``, finite ``float``, and lists and dicts with
    ``str`` keys of them (a subclass comes back as its base type)."""
    if value is None or isinstance(value, str | int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(exact_json(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and exact_json(v) for k, v in value.items())
    return False


def _encode(key: str, value: Any) -> str:
    if not exact_json(value):
        raise TypeError(
            f"the cache stores JSON, which cannot hold the value for {key!r} exactly"
            f" (a {type(value).__name__}, or something in it)"
        )
    return json.dumps(value)


def _decode(text: str | None) -> Any:
    """The value of an entry; ``None`` when missing or not JSON."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


class Cache:
    """The cache selected by ``<PREFIX>_CACHE_TYPE``, configured from ``app.config``.

    :param app: the Flask app whose config is read.
    :param config_prefix: ``OAUTH2`` reads ``OAUTH2_CACHE_TYPE`` and so on, falling back
        to the unprefixed ``CACHE_TYPE``.

    It offers 0.9.6's (werkzeug's) cache methods on every backend: :meth:`get`,
    :meth:`set`, :meth:`add`, :meth:`delete`, :meth:`has`, :meth:`inc`, :meth:`dec`,
    :meth:`clear`, :meth:`get_many`, :meth:`set_many`, :meth:`delete_many` and
    :meth:`get_dict`. Values are stored as JSON, never pickled: whatever JSON holds
    exactly (see :func:`exact_json`) comes back with its type, anything else raises
    :exc:`TypeError`. A ``timeout`` of ``None`` or ``0`` means ``DEFAULT_TIMEOUT``: every
    entry expires. The ``null`` cache stores nothing.

    The backend, which stores text, is :attr:`cache` (the bindings keep their entries
    there); its other attributes are reachable on this object too.

    :raises RuntimeError: for a missing or unknown ``TYPE``, or a ``filesystem`` cache
        whose ``DIR`` belongs to another user or is writable by its group or others.
    :raises ValueError: for a malformed ``REDIS_URL`` (the message names the key).

    .. versionchanged:: 1.1
        The werkzeug methods are back, on JSON values; 1.0 passed values to the backend
        as they were, which kept only text.
    """

    def __init__(self, app: Flask, config_prefix: str = "OAUTHLIB", **kwargs: Any) -> None:
        self.config_prefix = config_prefix
        self.config = app.config
        cache_type = str(self._config("TYPE")).lower()
        builders = {
            "null": self._null,
            "simple": self._simple,
            "filesystem": self._filesystem,
            "redis": self._redis,
            "memcache": self._memcache,
            "memcached": self._memcache,
        }
        if cache_type not in builders:
            raise RuntimeError(
                f"{config_prefix}_CACHE_TYPE={cache_type!r} is not a cache type; use one of"
                " null, simple, filesystem, redis, memcache"
            )
        self.cache: Backend = builders[cache_type](int(self._config("DEFAULT_TIMEOUT")))
        app.extensions[config_prefix.lower() + "_cache"] = self.cache

    def __getattr__(self, key: str) -> Any:
        return getattr(self.__dict__["cache"], key)

    # -- werkzeug's methods, on JSON values -------------------------------------------------

    def get(self, key: str) -> Any:
        """The value of ``key``; ``None`` when missing, expired or not JSON."""
        return _decode(self.cache.get(key))

    def take(self, key: str) -> Any:
        """Get and delete ``key`` in one atomic step."""
        return _decode(self.cache.take(key))

    def has(self, key: str) -> bool:
        """Whether ``key`` has an entry (one holding ``None`` included)."""
        return self.cache.get(key) is not None

    def set(self, key: str, value: Any, timeout: int | None = None) -> bool:
        """Store ``value`` for ``timeout`` seconds.

        :raises TypeError: when JSON cannot hold ``value`` exactly.
        """
        return self.cache.set(key, _encode(key, value), timeout)

    def add(self, key: str, value: Any, timeout: int | None = None) -> bool:
        """Store ``value`` only if ``key`` has no entry, atomically: ``False`` if it has.

        :raises TypeError: when JSON cannot hold ``value`` exactly.
        """
        return self.cache.add(key, _encode(key, value), timeout)

    def delete(self, key: str) -> bool:
        """Delete ``key``: ``False`` if it had no entry."""
        return self.cache.delete(key)

    def inc(self, key: str, delta: int = 1) -> int:
        """Add ``delta`` to the integer at ``key`` (``0`` if missing), atomically; keep
        the result for ``DEFAULT_TIMEOUT`` seconds and return it.

        :raises TypeError: when the entry holds something other than an integer.
        """
        return self.cache.incr(key, delta)

    def dec(self, key: str, delta: int = 1) -> int:
        """Subtract ``delta``, as :meth:`inc` adds it (the result may be negative)."""
        return self.cache.incr(key, -delta)

    def get_many(self, *keys: str) -> list[Any]:
        """The values of ``keys``, in order."""
        return [self.get(key) for key in keys]

    def get_dict(self, *keys: str) -> dict[str, Any]:
        """The values of ``keys``, by key."""
        return dict(zip(keys, self.get_many(*keys), strict=True))

    def set_many(
        self, mapping: Mapping[str, Any] | Iterable[tuple[str, Any]], timeout: int | None = None
    ) -> bool:
        """Store each value of ``mapping`` (a dict or ``(key, value)`` pairs); nothing is
        stored if one cannot be: ``True`` when all were.

        :raises TypeError: when JSON cannot hold one of the values exactly.
        """
        items = mapping.items() if isinstance(mapping, Mapping) else mapping
        encoded = [(key, _encode(key, value)) for key, value in items]
        return all([self.cache.set(key, text, timeout) for key, text in encoded])

    def delete_many(self, *keys: str) -> bool:
        """Delete each key: ``True`` when every one had an entry."""
        return all([self.cache.delete(key) for key in keys])

    def clear(self) -> bool:
        """Delete this cache's entries: on Redis the keys under ``KEY_PREFIX``;
        ``filesystem`` empties ``DIR``; memcached runs ``flush_all`` (as 0.9.6 did: it
        cannot list its keys reliably), which empties the whole server.

        Redis without a prefix refuses rather than ``FLUSHDB`` a database that other
        programs may share. Clearing an OAuth 1 nonce cache forgets which requests were seen:
        one still inside its timestamp window could then be replayed.

        :raises RuntimeError: on Redis without ``KEY_PREFIX``.
        """
        try:
            return self.cache.clear()
        except StorageUnavailable:
            raise
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}; set {self.config_prefix}_CACHE_KEY_PREFIX") from None

    # -- configuration ----------------------------------------------------------------------

    def _config(self, key: str) -> Any:
        prefixed = f"{self.config_prefix}_CACHE_{key}"
        if prefixed in self.config:
            return self.config[prefixed]
        if f"CACHE_{key}" in self.config:
            return self.config[f"CACHE_{key}"]
        default = CONFIG_KEYS[key]
        if default is _REQUIRED:
            raise RuntimeError(f"{prefixed} is missing from the app config")
        return default

    def _null(self, timeout: int) -> Backend:
        return NullBackend(timeout)

    def _simple(self, timeout: int) -> Backend:
        return SimpleBackend(timeout, int(self._config("THRESHOLD")))

    def _filesystem(self, timeout: int) -> Backend:
        directory = self._config("DIR")
        if not directory:
            raise RuntimeError(f"{self.config_prefix}_CACHE_DIR is needed for the filesystem cache")
        try:
            return FileSystemBackend(str(directory), timeout, int(self._config("THRESHOLD")))
        except RuntimeError as exc:
            raise RuntimeError(f"{self.config_prefix}_CACHE_DIR: {exc}") from None

    def _config_key(self, key: str) -> str:
        """The name under which ``key`` is read: the prefixed one unless only the
        unprefixed one is set."""
        prefixed = f"{self.config_prefix}_CACHE_{key}"
        return (
            f"CACHE_{key}"
            if prefixed not in self.config and f"CACHE_{key}" in self.config
            else prefixed
        )

    def _redis(self, timeout: int) -> Backend:
        url = self._config("REDIS_URL")
        if url is not None and not isinstance(url, str):
            raise ValueError(f"{self._config_key('REDIS_URL')} is a URL, not {url!r}")
        options: dict[str, Any] = {
            "host": self._config("REDIS_HOST"),
            "port": int(self._config("REDIS_PORT")),
            "password": self._config("REDIS_PASSWORD"),
            "db": int(self._config("REDIS_DB")),
            "key_prefix": self._config("KEY_PREFIX"),
            "default_timeout": timeout,
        }
        try:
            return RedisBackend(url=url, **options)
        except ValueError as exc:
            if not url:
                raise
            raise ValueError(f"{self._config_key('REDIS_URL')}: {exc}") from None

    def _memcache(self, timeout: int) -> Backend:
        return MemcacheBackend(
            servers=self._config("MEMCACHED_SERVERS"),
            key_prefix=self._config("KEY_PREFIX"),
            default_timeout=timeout,
        )
