"""The ``null`` and ``simple`` caches: nothing at all, and the memory of one process."""

from __future__ import annotations

import time

from .local import LocalBackend, to_evict

__all__ = ["NullBackend", "SimpleBackend"]


class NullBackend(LocalBackend):
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


class SimpleBackend(LocalBackend):
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
            for old in to_evict(expiries, self.threshold, time.time(), keep_live):
                del self._entries[old]
        self._entries[key] = (expires, value)
        return True

    def _remove(self, key: str) -> bool:
        return self._entries.pop(key, None) is not None

    def _clear(self) -> None:
        self._entries.clear()
