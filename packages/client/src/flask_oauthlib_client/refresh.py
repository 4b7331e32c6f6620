"""Refreshes of one refresh token, one at a time within the process.

Two requests of one user may find the same token expired at the same time. Spending
its refresh token twice fails against a server that rotates refresh tokens (RFC 9700
section 4.14.2): the second refresh is a reuse, refused, and possibly taken for a
stolen token, which revokes the whole grant. :class:`RefreshLocks` lets the second
request wait for the first and take its result instead.

.. versionadded:: 1.1
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Flight", "RefreshLocks"]


@dataclass
class Flight:
    """The refresh of one refresh token: the threads that want it queue on :attr:`lock`."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    #: the new token, once a thread holding :attr:`lock` got one
    result: dict[str, Any] | None = None
    #: how many threads hold or wait for :attr:`lock`
    users: int = 0


class RefreshLocks:
    """One lock per refresh token being refreshed, forgotten when no thread needs it.

    Memory is bounded by the refreshes in progress; refresh tokens are kept only as
    SHA-256 digests.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._flights: dict[str, Flight] = {}

    def __len__(self) -> int:
        return len(self._flights)

    @contextlib.contextmanager
    def hold(self, refresh_token: str) -> Iterator[Flight]:
        """Hold the lock of ``refresh_token``'s refresh for the block.

        A thread that waited finds :attr:`Flight.result` set if the thread before it
        refreshed the token.
        """
        key = hashlib.sha256(refresh_token.encode("utf-8")).hexdigest()
        with self._guard:
            flight = self._flights.get(key)
            if flight is None:
                flight = self._flights[key] = Flight()
            flight.users += 1
        try:
            with flight.lock:
                yield flight
        finally:
            with self._guard:
                flight.users -= 1
                if not flight.users:
                    del self._flights[key]
