"""The five cache backends, with the operations the bindings and :class:`~.Cache` need.

Values are JSON text, stored and read back as text: no backend calls pickle, so
whoever can write to a cache cannot run code in the app. Besides
``get``/``set``/``delete`` each backend offers

- ``take(key)``: read and delete in one atomic step (a code is redeemed once, even when
  two workers race for it);
- ``add(key, value, timeout)``: store only if absent, atomically (a nonce is accepted
  once);
- ``incr(key, delta)``: add to the integer stored at ``key`` atomically (Redis
  ``INCRBY``, memcached ``gets`` + ``cas``, the lock for the others);
- ``clear()``: delete this cache's entries, and nobody else's.

A backend that cannot reach its server (or its directory) raises
:class:`StorageUnavailable`. An entry that is not UTF-8 text, or a file that is not one
of ours, reads as missing.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import stat
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

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

#: how Redis refuses ``INCRBY`` on an entry that is not an integer (or would overflow)
_NOT_INTEGER = re.compile(r"not an integer|overflow|WRONGTYPE")

FILES_UNAVAILABLE = "the filesystem cache is unavailable"


class Backend(Protocol):
    default_timeout: int

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, timeout: int | None = None) -> bool: ...

    def delete(self, key: str) -> bool: ...

    def take(
        self, key: str, replacement: str | None = None, timeout: int | None = None
    ) -> str | None: ...

    def add(self, key: str, value: str, timeout: int | None = None) -> bool: ...

    def incr(self, key: str, delta: int) -> int: ...

    def clear(self) -> bool: ...


def _text(value: Any) -> str | None:
    """A value a cache server returned, as text; ``None`` when it is not UTF-8."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def _integer(key: str, text: str | None) -> int:
    """The integer the entry ``text`` holds (``0`` when missing).

    :raises TypeError: when it holds anything else.
    """
    if text is None:
        return 0
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"the cache entry {key!r} is not an integer")
    return value


def _to_evict(
    expiries: Mapping[str, float], threshold: int, now: float, keep_live: bool = False
) -> list[str]:
    """The entries to drop before one more is stored: every expired one, then those that
    expire soonest until fewer than ``threshold`` remain (``0``: no limit).

    With ``keep_live`` (single-use records: a nonce pushed out early could be replayed)
    live entries are never dropped, and a store full of them raises
    :class:`StorageUnavailable`: refusing a request is safe, forgetting a nonce is not.
    """
    if not threshold or len(expiries) < threshold:
        return []
    live = sorted((expires, key) for key, expires in expiries.items() if expires > now)
    expired = [key for key, expires in expiries.items() if expires <= now]
    excess = max(len(live) - threshold + 1, 0)
    if excess and keep_live:
        raise StorageUnavailable("the cache is full of live single-use entries")
    return expired + [key for _, key in live[:excess]]


class _LocalBackend:
    """A store of this machine: every write runs under :meth:`_lock`, on the four
    primitives a subclass provides."""

    def __init__(self, default_timeout: int) -> None:
        self.default_timeout = default_timeout
        self._thread_lock = threading.Lock()

    def _lock(self) -> contextlib.AbstractContextManager[Any]:
        return self._thread_lock

    def _expiry(self, timeout: int | None) -> float:
        return time.time() + (timeout or self.default_timeout)

    def _read(self, key: str) -> str | None:
        raise NotImplementedError

    def _write(self, key: str, value: str, expires: float, keep_live: bool = False) -> bool:
        """Store ``value``; ``keep_live``: make room by dropping expired entries only."""
        raise NotImplementedError

    def _remove(self, key: str) -> bool:
        raise NotImplementedError

    def _clear(self) -> None:
        raise NotImplementedError

    def get(self, key: str) -> str | None:
        return self._read(key)

    def set(self, key: str, value: str, timeout: int | None = None) -> bool:
        with self._lock():
            return self._write(key, value, self._expiry(timeout))

    def delete(self, key: str) -> bool:
        with self._lock():
            return self._remove(key)

    def take(
        self, key: str, replacement: str | None = None, timeout: int | None = None
    ) -> str | None:
        """Read and delete ``key`` in one step; with ``replacement``, put that in its
        place (for ``timeout`` seconds) instead of deleting it."""
        with self._lock():
            value = self._read(key)
            if value is not None and replacement is not None:
                self._write(key, replacement, self._expiry(timeout))
            elif value is not None:
                self._remove(key)
            return value

    def add(self, key: str, value: str, timeout: int | None = None) -> bool:
        with self._lock():
            if self._read(key) is not None:
                return False
            return self._write(key, value, self._expiry(timeout), keep_live=True)

    def incr(self, key: str, delta: int) -> int:
        """Add ``delta`` to the integer at ``key`` (``0`` if missing) and keep the sum
        for ``default_timeout`` seconds.

        :raises TypeError: when the entry is not an integer.
        """
        with self._lock():
            value = _integer(key, self._read(key)) + delta
            self._write(key, str(value), self._expiry(None))
            return value

    def clear(self) -> bool:
        """Delete every entry of this store."""
        with self._lock():
            self._clear()
        return True


class NullBackend(_LocalBackend):
    """Stores nothing: every code is unusable. For tests of the failure path only."""

    def __init__(self, default_timeout: int = 100) -> None:
        super().__init__(default_timeout)

    def _read(self, key: str) -> str | None:
        return None

    def _write(self, key: str, value: str, expires: float, keep_live: bool = False) -> bool:
        return True

    def _remove(self, key: str) -> bool:
        return True

    def _clear(self) -> None:
        pass


class SimpleBackend(_LocalBackend):
    """In the memory of one process, the strings kept as they are: for development and
    single-process servers. At most ``threshold`` entries (``0``: no limit)."""

    def __init__(self, default_timeout: int = 100, threshold: int = 500) -> None:
        super().__init__(default_timeout)
        self.threshold = threshold
        self._entries: dict[str, tuple[float, str]] = {}

    def _read(self, key: str) -> str | None:
        expires, value = self._entries.get(key, (0.0, None))
        return value if expires > time.time() else None

    def _write(self, key: str, value: str, expires: float, keep_live: bool = False) -> bool:
        if key not in self._entries:
            expiries = {k: entry[0] for k, entry in self._entries.items()}
            for old in _to_evict(expiries, self.threshold, time.time(), keep_live):
                del self._entries[old]
        self._entries[key] = (expires, value)
        return True

    def _remove(self, key: str) -> bool:
        return self._entries.pop(key, None) is not None

    def _clear(self) -> None:
        self._entries.clear()


class _FileLock:
    """An exclusive ``flock`` on a file: atomic across the processes of one machine."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.Lock()

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            self._thread_lock.release()
            raise StorageUnavailable(FILES_UNAVAILABLE) from exc
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._thread_lock.release()


def private_directory(path: Path) -> Path:
    """``path``, created with mode ``0o700`` if missing.

    :raises RuntimeError: when it is not a directory, belongs to another user, or its
        group or others may write to it: whoever can write there decides what the
        cache returns.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise RuntimeError(f"the cache directory {path} is not a directory")
    if info.st_uid != os.geteuid():
        raise RuntimeError(
            f"the cache directory {path} belongs to uid {info.st_uid}, not to this process"
            f" (uid {os.geteuid()}); give the app a directory of its own"
        )
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise RuntimeError(
            f"the cache directory {path} is writable by its group or by others"
            f" (mode {stat.S_IMODE(info.st_mode):o}); run chmod 700 on it or use another"
        )
    return path


class FileSystemBackend(_LocalBackend):
    """Files in a directory shared by the workers of one machine.

    Each entry is a file of JSON, ``{"expires": <UNIX time>, "value": <text>}``, named by
    a SHA-256 of its key and written to a temporary file first, then moved into place
    (readers see the old entry or the new one, never half of one). Files that are not
    such JSON read as missing. Every write holds an ``flock``; past ``threshold`` files
    (``0``: no limit) the expired ones, then those expiring soonest, are removed.
    :meth:`clear` removes every entry of the directory: give each cache its own.

    :param cache_dir: the directory, created with mode ``0o700`` if missing.
    :raises RuntimeError: when the directory belongs to another user or others may
        write to it.
    """

    _LOCK_NAME = ".flask-oauthlib.lock"
    _TEMP_PREFIX = ".tmp-"

    def __init__(self, cache_dir: str, default_timeout: int = 100, threshold: int = 500) -> None:
        super().__init__(default_timeout)
        self.directory = private_directory(Path(cache_dir))
        self.threshold = threshold
        self._file_lock = _FileLock(self.directory / self._LOCK_NAME)

    def _lock(self) -> contextlib.AbstractContextManager[Any]:
        return self._file_lock

    def _path(self, key: str) -> Path:
        return self.directory / hashlib.sha256(key.encode("utf-8")).hexdigest()

    @contextlib.contextmanager
    def _io(self) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            raise StorageUnavailable(FILES_UNAVAILABLE) from exc

    def _read(self, key: str) -> str | None:
        with self._io():
            try:
                raw = self._path(key).read_bytes()
            except FileNotFoundError:
                return None
        return self._decode(raw)

    @staticmethod
    def _decode(raw: bytes) -> str | None:
        try:
            entry = json.loads(raw.decode("utf-8"))
        except ValueError:  # UnicodeDecodeError and JSONDecodeError included
            return None
        if not isinstance(entry, dict):
            return None
        expires, value = entry.get("expires"), entry.get("value")
        if not isinstance(expires, int | float) or not isinstance(value, str):
            return None
        return value if expires > time.time() else None

    def _write(self, key: str, value: str, expires: float, keep_live: bool = False) -> bool:
        with self._io():
            self._prune(keep_live)
            fd, temp = tempfile.mkstemp(dir=self.directory, prefix=self._TEMP_PREFIX)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as file:
                    json.dump({"expires": expires, "value": value}, file)
                os.utime(temp, (expires, expires))  # lets _prune sort without reading
                os.replace(temp, self._path(key))
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)
                raise
        return True

    def _remove(self, key: str) -> bool:
        with self._io():
            try:
                self._path(key).unlink()
            except FileNotFoundError:
                return False
        return True

    def _clear(self) -> None:
        with self._io():
            self._unlink(self._expiries())

    def _expiries(self) -> dict[str, float]:
        """The expiry of each entry file, by name (the lock and temporary files start
        with a dot)."""
        with os.scandir(self.directory) as scan:
            return {
                entry.name: entry.stat().st_mtime
                for entry in scan
                if not entry.name.startswith(".") and entry.is_file()
            }

    def _unlink(self, names: Iterable[str]) -> None:
        for name in names:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.directory / name)

    def _prune(self, keep_live: bool) -> None:
        if self.threshold:
            self._unlink(_to_evict(self._expiries(), self.threshold, time.time(), keep_live))


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
    """Redis through redis-py: ``GETDEL`` takes, ``SET NX`` adds, ``INCRBY`` counts.

    :meth:`clear` deletes the keys under ``key_prefix`` (``SCAN`` + ``DEL``); without a
    prefix it refuses (:exc:`RuntimeError`) rather than ``FLUSHDB`` a database that
    other programs may share.
    """

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
        self._not_integer: type[BaseException] = redis.ResponseError
        self.prefix = key_prefix or ""
        self.default_timeout = default_timeout

    @_unavailable
    def get(self, key: str) -> str | None:
        return _text(self.client.get(self.prefix + key))

    @_unavailable
    def set(self, key: str, value: str, timeout: int | None = None) -> bool:
        return bool(self.client.set(self.prefix + key, value, ex=timeout or self.default_timeout))

    @_unavailable
    def delete(self, key: str) -> bool:
        return bool(self.client.delete(self.prefix + key))

    @_unavailable
    def take(
        self, key: str, replacement: str | None = None, timeout: int | None = None
    ) -> str | None:
        """``GETDEL``; with ``replacement`` a ``SET ... XX GET`` (one atomic step)."""
        if replacement is None:
            return _text(self.client.getdel(self.prefix + key))
        return _text(
            self.client.set(
                self.prefix + key,
                replacement,
                ex=timeout or self.default_timeout,
                xx=True,
                get=True,
            )
        )

    @_unavailable
    def add(self, key: str, value: str, timeout: int | None = None) -> bool:
        return bool(
            self.client.set(self.prefix + key, value, ex=timeout or self.default_timeout, nx=True)
        )

    @_unavailable
    def incr(self, key: str, delta: int) -> int:
        """``INCRBY`` and ``EXPIRE`` in one transaction.

        :raises TypeError: when the entry is not an integer.
        """
        name = self.prefix + key
        with self.client.pipeline(transaction=True) as pipe:
            pipe.incrby(name, delta)
            pipe.expire(name, self.default_timeout)
            try:
                value, _ = pipe.execute()
            except self._not_integer as exc:
                if not _NOT_INTEGER.search(str(exc)):
                    raise  # OOM, READONLY ...: the cache is unavailable
                raise TypeError(f"the cache entry {key!r} is not an integer") from None
        return int(value)

    @_unavailable
    def clear(self) -> bool:
        """Delete the keys under the prefix.

        :raises RuntimeError: when there is no prefix.
        """
        if not self.prefix:
            raise RuntimeError(
                "a Redis cache without a key prefix cannot be cleared: clear() deletes the"
                " keys under the prefix and will not FLUSHDB a database other programs may"
                " share"
            )
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", self.prefix) + "*"
        batch: list[Any] = []
        for name in self.client.scan_iter(match=pattern, count=500):
            batch.append(name)
            if len(batch) == 500:
                self.client.delete(*batch)
                batch.clear()
        if batch:
            self.client.delete(*batch)
        return True


class _TextSerde:
    """pymemcache (de)serialization of text only: bytes in, bytes out, never pickle."""

    @staticmethod
    def serialize(key: str, value: str) -> tuple[bytes, int]:
        return value.encode("utf-8"), 0

    @staticmethod
    def deserialize(key: str, value: bytes, flags: int) -> bytes:
        return value


#: what memcached takes as a key as it is (its protocol forbids spaces and control bytes)
_MEMCACHED_KEY = re.compile(r"[!-~]{1,250}")


class MemcacheBackend:
    """memcached through pymemcache: ``gets`` + ``cas`` takes and counts, ``add`` adds.

    Counting uses ``cas`` rather than ``incr``/``decr``, which stop at zero and cannot
    hold a negative number. :meth:`clear` empties the servers with ``flush_all``, entries
    of other programs included.
    """

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
        nodes: list[tuple[str, int]] = []
        for server in servers or ["127.0.0.1:11211"]:
            host, _, port = server.rpartition(":")
            nodes.append((host or server, int(port or 11211)))
        self.client = HashClient(
            nodes,
            serde=_TextSerde(),
            connect_timeout=2,
            timeout=2,
            retry_attempts=1,
            ignore_exc=False,
            use_pooling=True,
            max_pool_size=64,
        )
        weakref.finalize(self, self.client.close)
        self.errors: tuple[type[BaseException], ...] = (MemcacheError, OSError)
        self.servers = nodes
        self.prefix = key_prefix or ""
        self.default_timeout = default_timeout

    def _key(self, key: str) -> str:
        """The memcached key of ``key``: as it is when memcached can hold it (printable
        ASCII, no spaces, at most 250 bytes), else the prefix and a hash of it, so any
        text is a valid key and no two keys collide."""
        full = self.prefix + key
        if _MEMCACHED_KEY.fullmatch(full):
            return full
        return self.prefix + "h:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

    @_unavailable
    def get(self, key: str) -> str | None:
        value = _text(self.client.get(self._key(key)))
        return None if value == self._TAKEN else value

    @_unavailable
    def set(self, key: str, value: str, timeout: int | None = None) -> bool:
        return bool(self.client.set(self._key(key), value, expire=timeout or self.default_timeout))

    @_unavailable
    def delete(self, key: str) -> bool:
        return bool(self.client.delete(self._key(key), noreply=False))

    @_unavailable
    def take(
        self, key: str, replacement: str | None = None, timeout: int | None = None
    ) -> str | None:
        """``gets`` + ``cas``: only one of the racers replaces the value it read (with
        ``replacement``, or a short-lived "taken" mark then deleted), and that one owns
        it."""
        raw, token = self.client.gets(self._key(key))
        value = _text(raw)
        if value is None or value == self._TAKEN:
            return None
        new, expire = (
            (self._TAKEN, 30)
            if replacement is None
            else (replacement, timeout or self.default_timeout)
        )
        if not self.client.cas(self._key(key), new, token, expire=expire, noreply=False):
            return None
        if replacement is None:
            self.client.delete(self._key(key), noreply=False)
        return value

    @_unavailable
    def add(self, key: str, value: str, timeout: int | None = None) -> bool:
        return bool(
            self.client.add(
                self._key(key), value, expire=timeout or self.default_timeout, noreply=False
            )
        )

    @_unavailable
    def incr(self, key: str, delta: int) -> int:
        """Add ``delta`` with ``gets`` + ``cas`` (``add`` when missing), again until no
        other client wrote in between.

        :raises TypeError: when the entry is not an integer.
        """
        name = self._key(key)
        while True:
            raw, token = self.client.gets(name)
            if raw is None:
                stored = self.client.add(
                    name, str(delta), expire=self.default_timeout, noreply=False
                )
                value = delta
            else:
                text = _text(raw)
                value = _integer(key, None if text == self._TAKEN else text) + delta
                stored = self.client.cas(
                    name, str(value), token, expire=self.default_timeout, noreply=False
                )
            if stored:
                return value

    @_unavailable
    def clear(self) -> bool:
        """Empty the servers with ``flush_all``, as 0.9.6 did (memcached cannot list its
        keys reliably, so a key prefix cannot be cleared alone): other programs' entries
        on the same servers go too."""
        self.client.flush_all(noreply=False)
        return True
