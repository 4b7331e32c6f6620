"""Where pushed authorization requests (RFC 9126) wait until the browser brings their
``request_uri`` to the authorization endpoint.

A :class:`PushedRequestStore` keeps a record (a small JSON-able dict: the client, the
checked authorization parameters, when it expires, whether a signed request object
carried them; never a client secret or assertion) under a key derived from the
``request_uri`` (:func:`pushed_request_key`, a SHA-256: the store never holds the
``request_uri`` itself). :meth:`~PushedRequestStore.peek` reads a record for the
consent page; :meth:`~PushedRequestStore.take` reads and removes it atomically when the
authorization response is created, so one ``request_uri`` yields at most one code.

:class:`MemoryPushedRequestStore`, the default, holds the records of one process: an
app served by several processes or machines registers a shared store with
:meth:`~.OAuth2Provider.pushed_request_store` (``bind_cache_pushed_requests`` of
``flask-oauthlib-contrib-cache`` keeps them in Redis, memcached or a cachelib backend,
``SQLAlchemyPushedRequestStore`` of ``flask-oauthlib-contrib-sqla`` in the database).

.. versionadded:: 1.1
"""

from __future__ import annotations

import hashlib
import heapq
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "MemoryPushedRequestStore",
    "PushedRequestStore",
    "pushed_request_key",
]

#: the prefix of the ``request_uri`` values this provider issues (RFC 9126 2.2)
URN_PREFIX = "urn:ietf:params:oauth:request_uri:"


@runtime_checkable
class PushedRequestStore(Protocol):
    """Where pushed authorization requests are kept until used or expired.

    Records are JSON-able dicts of strings, numbers and booleans (nested one level);
    keys are :func:`pushed_request_key` values, at most 80 characters.

    .. versionadded:: 1.1
    """

    def save(self, key: str, record: Mapping[str, Any], expires_in: int) -> None:
        """Keep ``record`` under ``key`` for ``expires_in`` seconds (at least one)."""
        ...

    def peek(self, key: str) -> dict[str, Any] | None:
        """The record kept under ``key``, left in place; ``None`` if there is none (never
        saved, taken, or expired)."""
        ...

    def take(self, key: str) -> dict[str, Any] | None:
        """The record kept under ``key``, removed. Atomic: of concurrent calls with one
        key, across every process sharing the store, at most one gets the record."""
        ...


def pushed_request_key(request_uri: str) -> str:
    """The store key of ``request_uri``: ``"par:"`` and its SHA-256, in hex."""
    digest = hashlib.sha256(request_uri.encode("utf-8", "surrogatepass")).hexdigest()
    return f"par:{digest}"


class MemoryPushedRequestStore:
    """The pushed requests of one process, each until it expires; at most ``size`` at
    once (a push beyond that is refused with :class:`OverflowError`, answered
    ``temporarily_unavailable``, rather than an unexpired request forgotten).

    :param size: the most records held at once.
    :param clock: seconds from an arbitrary start (:func:`time.monotonic`).

    .. versionadded:: 1.1
    """

    def __init__(self, size: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.clock = clock
        self._records: dict[str, tuple[float, dict[str, Any]]] = {}
        self._queue: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired(self.clock())
            return len(self._records)

    def _drop_expired(self, now: float) -> None:
        queue, records = self._queue, self._records
        while queue and queue[0][0] <= now:
            at, key = heapq.heappop(queue)
            found = records.get(key)
            if found is not None and found[0] == at:
                del records[key]

    def save(self, key: str, record: Mapping[str, Any], expires_in: int) -> None:
        """Keep a copy of ``record`` for ``expires_in`` seconds.

        :raises OverflowError: when ``size`` records are held already.
        """
        now = self.clock()
        with self._lock:
            self._drop_expired(now)
            if key not in self._records and len(self._records) >= self.size:
                raise OverflowError("too many pushed authorization requests are pending")
            at = now + max(1, int(expires_in))
            self._records[key] = (at, dict(record))
            heapq.heappush(self._queue, (at, key))

    def peek(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            self._drop_expired(self.clock())
            found = self._records.get(key)
            return None if found is None else dict(found[1])

    def take(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            self._drop_expired(self.clock())
            found = self._records.pop(key, None)
            return None if found is None else found[1]
