"""Replay stores: "has this one-time value been used?", answered once, atomically.

DPoP proofs (RFC 9449), client assertions (RFC 7523) and other single-use JWTs name
themselves with a ``jti``; a provider must accept each only once, also when the copies
reach different workers at the same moment. A :class:`ReplayStore` records a key for a
while and says whether it was new. :class:`MemoryReplayStore`, the default, holds the
keys of one process: an app served by several processes or machines registers a shared
store with :meth:`~.OAuth2Provider.replay_store` (``bind_cache_replay`` of
``flask-oauthlib-contrib-cache`` keeps them in Redis or memcached,
``bind_sqlalchemy_replay`` of ``flask-oauthlib-contrib-sqla`` in the database).

Callers pass :func:`replay_key` keys: a purpose and a SHA-256 of the value, so a store
never holds a value a client sent and every key has the same short length.

.. versionadded:: 1.1
"""

from __future__ import annotations

import hashlib
import heapq
import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["MemoryReplayStore", "ReplayStore", "replay_key"]


@runtime_checkable
class ReplayStore(Protocol):
    """Where one-time values are recorded until they expire.

    .. versionadded:: 1.1
    """

    def first_use(self, key: str, expires_in: int) -> bool:
        """Record ``key`` for ``expires_in`` seconds (at least one); ``True`` if it was
        not recorded already. Atomic: of concurrent calls with one key, across every
        process sharing the store, exactly one gets ``True``."""
        ...


def replay_key(purpose: str, *parts: str) -> str:
    """The key of a one-time value: ``purpose`` (``"dpop"``, ``"client-assertion"``
    ...) and a SHA-256 of ``parts`` (the issuer and the ``jti``, say), 70 to 90
    characters whatever was sent."""
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{purpose}:{digest}"


class MemoryReplayStore:
    """The keys of one process, each until it expires; at most ``size`` at once.

    When full, a key is refused (``first_use`` is ``False``) rather than an unexpired one
    forgotten, so a flood of fresh values cannot make room for a replay.

    :param size: the most keys held at once.
    :param clock: seconds from an arbitrary start (:func:`time.monotonic`).

    .. versionadded:: 1.1
    """

    def __init__(self, size: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.clock = clock
        self._expiry: dict[str, float] = {}
        self._queue: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired(self.clock())
            return len(self._expiry)

    def _drop_expired(self, now: float) -> None:
        queue, expiry = self._queue, self._expiry
        while queue and queue[0][0] <= now:
            at, key = heapq.heappop(queue)
            if expiry.get(key) == at:
                del expiry[key]

    def first_use(self, key: str, expires_in: int) -> bool:
        """Record ``key`` for ``expires_in`` seconds; ``True`` if it was new."""
        now = self.clock()
        with self._lock:
            self._drop_expired(now)
            if key in self._expiry or len(self._expiry) >= self.size:
                return False
            at = now + max(1, int(expires_in))
            self._expiry[key] = at
            heapq.heappush(self._queue, (at, key))
            return True
