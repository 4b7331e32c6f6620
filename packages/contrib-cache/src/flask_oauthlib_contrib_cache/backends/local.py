"""The stores of this machine (``null``, ``simple``, ``filesystem``): every operation on
four primitives, every write under one lock, and which entries make room for a new one."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Mapping
from typing import Any

from flask_oauthlib_core import StorageUnavailable

from .base import as_integer

__all__ = ["LocalBackend", "to_evict"]


def to_evict(
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


class LocalBackend:
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
            value = as_integer(key, self._read(key)) + delta
            self._write(key, str(value), self._expiry(None))
            return value

    def clear(self) -> bool:
        """Delete every entry of this store."""
        with self._lock():
            self._clear()
        return True
