"""The five cache backends, with the three operations the bindings need.

Values are JSON text: nothing read back from a cache is unpickled, so a compromised
cache cannot run code in the app. Besides ``get``/``set``/``delete`` each backend offers

- ``take(key)``: read and delete in one atomic step (a code is redeemed once, even when
  two workers race for it);
- ``add(key, value, timeout)``: store only if absent, atomically (a nonce is accepted
  once).

A backend that cannot reach its server raises :class:`StorageUnavailable`.
"""

from __future__ import annotations

import fcntl
import functools
import os
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cachelib import FileSystemCache, NullCache, SimpleCache

from flask_oauthlib_core import StorageUnavailable

__all__ = [
    "Backend",
    "FileSystemBackend",
    "MemcacheBackend",
    "NullBackend",
    "RedisBackend",
    "SimpleBackend",
]

F = TypeVar("F", bound=Callable[..., Any])


class Backend(Protocol):
    default_timeout: int

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, timeout: int | None = None) -> bool: ...

    def delete(self, key: str) -> bool: ...

    def take(self, key: str) -> str | None: ...

    def add(self, key: str, value: str, timeout: int | None = None) -> bool: ...


class _CachelibBackend:
    """null, simple and filesystem on cachelib; ``take``/``add`` under a lock."""

    def __init__(self, cache: Any, default_timeout: int) -> None:
        self.cache = cache
        self.default_timeout = default_timeout
        self._lock = threading.Lock()

    def _locked(self) -> Any:
        return self._lock

    def get(self, key: str) -> str | None:
        value = self.cache.get(key)
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str, timeout: int | None = None) -> bool:
        return bool(self.cache.set(key, value, timeout=timeout or self.default_timeout))

    def delete(self, key: str) -> bool:
        return bool(self.cache.delete(key))

    def take(self, key: str) -> str | None:
        with self._locked():
            value = self.get(key)
            if value is not None:
                self.cache.delete(key)
            return value

    def add(self, key: str, value: str, timeout: int | None = None) -> bool:
        with self._locked():
            return bool(self.cache.add(key, value, timeout=timeout or self.default_timeout))


class NullBackend(_CachelibBackend):
    """Stores nothing: every code is unusable. For tests of the failure path only."""

    def __init__(self, default_timeout: int = 100) -> None:
        super().__init__(NullCache(default_timeout=default_timeout), default_timeout)


class SimpleBackend(_CachelibBackend):
    """In the memory of one process: for development and single-process servers."""

    def __init__(self, default_timeout: int = 100, threshold: int = 500) -> None:
        super().__init__(
            SimpleCache(threshold=threshold, default_timeout=default_timeout), default_timeout
        )


class _FileLock:
    """An exclusive ``flock`` on a file: atomic across the processes of one machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.Lock()

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._thread_lock.release()


class FileSystemBackend(_CachelibBackend):
    """Files in a directory shared by the workers of one machine."""

    def __init__(self, cache_dir: str, default_timeout: int = 100, threshold: int = 500) -> None:
        super().__init__(
            FileSystemCache(cache_dir, threshold=threshold, default_timeout=default_timeout),
            default_timeout,
        )
        self._file_lock = _FileLock(Path(cache_dir) / ".flask-oauthlib.lock")

    def _locked(self) -> Any:
        return self._file_lock


def _unavailable(f: F) -> F:
    """Turn a connection error of the cache client into ``StorageUnavailable``."""

    @functools.wraps(f)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return f(self, *args, **kwargs)
        except self.errors as exc:
            raise StorageUnavailable(f"the {self.name} cache is unavailable") from exc

    return wrapper  # type: ignore[return-value]


class RedisBackend:
    """Redis through redis-py: ``GETDEL`` takes, ``SET NX`` adds."""

    name = "Redis"

    def __init__(
        self,
        url: str | None = None,
        host: str = "localhost",
        port: int = 6379,
        password: str | None = None,
        db: int = 0,
        key_prefix: str | None = None,
        default_timeout: int = 100,
    ) -> None:
        import redis

        options: dict[str, Any] = {"socket_timeout": 2, "socket_connect_timeout": 2}
        if url:
            self.client = redis.Redis.from_url(url, **options)
        else:
            self.client = redis.Redis(host=host, port=port, password=password, db=db, **options)
        weakref.finalize(self, self.client.close)
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self.prefix = key_prefix or ""
        self.default_timeout = default_timeout

    @staticmethod
    def _text(value: Any) -> str | None:
        return value.decode("utf-8") if isinstance(value, bytes) else value

    @_unavailable
    def get(self, key: str) -> str | None:
        return self._text(self.client.get(self.prefix + key))

    @_unavailable
    def set(self, key: str, value: str, timeout: int | None = None) -> bool:
        return bool(self.client.set(self.prefix + key, value, ex=timeout or self.default_timeout))

    @_unavailable
    def delete(self, key: str) -> bool:
        return bool(self.client.delete(self.prefix + key))

    @_unavailable
    def take(self, key: str) -> str | None:
        return self._text(self.client.getdel(self.prefix + key))

    @_unavailable
    def add(self, key: str, value: str, timeout: int | None = None) -> bool:
        return bool(
            self.client.set(self.prefix + key, value, ex=timeout or self.default_timeout, nx=True)
        )


class MemcacheBackend:
    """memcached through pymemcache: ``gets`` + ``cas`` takes, ``add`` adds."""

    name = "memcached"
    _TAKEN = "\x00taken"

    def __init__(
        self,
        servers: list[str] | str | None = None,
        key_prefix: str | None = None,
        default_timeout: int = 100,
    ) -> None:
        from pymemcache.client.hash import HashClient
        from pymemcache.exceptions import MemcacheError

        if isinstance(servers, str):
            servers = [servers]
        nodes = []
        for server in servers or ["127.0.0.1:11211"]:
            host, _, port = server.rpartition(":")
            nodes.append((host or server, int(port or 11211)))
        self.client = HashClient(
            nodes,
            connect_timeout=2,
            timeout=2,
            retry_attempts=1,
            ignore_exc=False,
            use_pooling=True,
            max_pool_size=64,
        )
        weakref.finalize(self, self.client.close)
        self.errors: tuple[type[BaseException], ...] = (MemcacheError, OSError)
        self.prefix = key_prefix or ""
        self.default_timeout = default_timeout

    def _key(self, key: str) -> str:
        return (self.prefix + key).replace(" ", "_")

    @staticmethod
    def _text(value: Any) -> str | None:
        return value.decode("utf-8") if isinstance(value, bytes) else value

    @_unavailable
    def get(self, key: str) -> str | None:
        value = self._text(self.client.get(self._key(key)))
        return None if value == self._TAKEN else value

    @_unavailable
    def set(self, key: str, value: str, timeout: int | None = None) -> bool:
        return bool(self.client.set(self._key(key), value, expire=timeout or self.default_timeout))

    @_unavailable
    def delete(self, key: str) -> bool:
        return bool(self.client.delete(self._key(key), noreply=False))

    @_unavailable
    def take(self, key: str) -> str | None:
        value, token = self.client.gets(self._key(key))
        value = self._text(value)
        if value is None or value == self._TAKEN:
            return None
        # only one of the racers replaces the value it read: that one owns the code
        if not self.client.cas(self._key(key), self._TAKEN, token, expire=30, noreply=False):
            return None
        self.client.delete(self._key(key), noreply=False)
        return value

    @_unavailable
    def add(self, key: str, value: str, timeout: int | None = None) -> bool:
        return bool(
            self.client.add(
                self._key(key), value, expire=timeout or self.default_timeout, noreply=False
            )
        )
