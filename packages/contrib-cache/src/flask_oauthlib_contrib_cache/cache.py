"""``Cache``: a backend chosen by ``<PREFIX>_CACHE_*`` config keys, as in 0.9.6."""

from __future__ import annotations

from typing import Any

from flask import Flask

from .backends import (
    Backend,
    FileSystemBackend,
    MemcacheBackend,
    NullBackend,
    RedisBackend,
    SimpleBackend,
)

__all__ = ["CONFIG_KEYS", "Cache"]

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
    "REDIS_URL": None,  # redis: redis://[:password@]host:port/db (wins over the next four)
    "REDIS_HOST": "localhost",
    "REDIS_PORT": 6379,
    "REDIS_PASSWORD": None,
    "REDIS_DB": 0,
}


class Cache:
    """The cache selected by ``<PREFIX>_CACHE_TYPE``, configured from ``app.config``.

    :param app: the Flask app whose config is read.
    :param config_prefix: ``OAUTH2`` reads ``OAUTH2_CACHE_TYPE`` and so on, falling back
        to the unprefixed ``CACHE_TYPE``.

    The backend is :attr:`cache`; its methods are reachable on this object too.

    :raises RuntimeError: for a missing or unknown ``TYPE``, or a ``filesystem`` cache
        whose ``DIR`` belongs to another user or is writable by its group or others.
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

    def _redis(self, timeout: int) -> Backend:
        return RedisBackend(
            url=self._config("REDIS_URL"),
            host=self._config("REDIS_HOST"),
            port=int(self._config("REDIS_PORT")),
            password=self._config("REDIS_PASSWORD"),
            db=int(self._config("REDIS_DB")),
            key_prefix=self._config("KEY_PREFIX"),
            default_timeout=timeout,
        )

    def _memcache(self, timeout: int) -> Backend:
        return MemcacheBackend(
            servers=self._config("MEMCACHED_SERVERS"),
            key_prefix=self._config("KEY_PREFIX"),
            default_timeout=timeout,
        )
