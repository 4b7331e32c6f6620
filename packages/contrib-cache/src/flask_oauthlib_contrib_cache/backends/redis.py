"""The ``redis`` cache, through redis-py: one server, a Redis Cluster or the master of a
Sentinel group (see :mod:`.redis_urls` for their URLs).

On a cluster every operation stays atomic because each touches a single key, so a
single slot: ``GETDEL``, ``SET NX``, ``SET XX GET`` (a code and its used marker are one
key), and ``INCRBY`` + ``EXPIRE`` in one Lua script on that key. No two keys have to
live together, so none needs a hash tag; a ``key_prefix`` with one (``{oauth}:``) puts
every key in that one slot, on one master. ``clear`` scans every master and deletes
slot by slot.
"""

from __future__ import annotations

import re
import threading
import weakref
from typing import Any

from .base import as_text, unavailable
from .redis_urls import RedisTopology, connect, parse_topology

__all__ = ["INCR_EXPIRE", "NOT_INTEGER", "RedisBackend"]

#: how Redis refuses ``INCRBY`` on an entry that is not an integer (or would overflow)
NOT_INTEGER = re.compile(r"not an integer|overflow|WRONGTYPE")

#: ``INCRBY`` and ``EXPIRE`` of one key in one step, where a cluster cannot ``MULTI``
INCR_EXPIRE = """
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return value
"""


class RedisBackend:
    """Redis through redis-py: ``GETDEL`` takes, ``SET NX`` adds, ``INCRBY`` counts.

    :meth:`clear` deletes the keys under ``key_prefix`` (``SCAN`` + ``DEL``); without a
    prefix it refuses (:exc:`RuntimeError`) rather than ``FLUSHDB`` a database that
    other programs may share.

    ``url`` may name a Redis Cluster (``redis+cluster://``) or a Sentinel group
    (``redis+sentinel://``), TLS with ``rediss+``: see :mod:`.redis_urls`. Reads and
    writes go to the masters only, never to a replica.

    :raises ValueError: for a malformed URL.

    .. versionchanged:: 1.1
        Redis Cluster and Sentinel URLs.
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
        from redis.exceptions import RedisClusterException

        options: dict[str, Any] = {"socket_timeout": 2, "socket_connect_timeout": 2}
        #: the cluster or Sentinel group the URL names; ``None`` for one server
        self.topology: RedisTopology | None = parse_topology(url) if url else None
        self._options = options
        self._lock = threading.Lock()
        self._client: Any = None
        if self.topology is None and url:
            self._set_client(redis.Redis.from_url(url, **options))
        elif self.topology is None:
            self._set_client(redis.Redis(host=host, port=port, password=password, db=db, **options))
        elif self.topology.kind == "sentinel":  # connects when used
            self._set_client(connect(self.topology, **options))
        # a cluster client connects when built: on first use, as the others connect
        self.errors: tuple[type[BaseException], ...] = (
            redis.RedisError,
            RedisClusterException,
            OSError,
        )
        self._not_integer: type[BaseException] = redis.ResponseError
        self.prefix = key_prefix or ""
        self.default_timeout = default_timeout

    def _set_client(self, client: Any) -> None:
        self._client = client
        weakref.finalize(self, client.close)

    @property
    def client(self) -> Any:
        """The redis-py client (a cluster's is built, and connects, on first use)."""
        if self._client is None:
            with self._lock:
                if self._client is None and self.topology is not None:
                    self._set_client(connect(self.topology, **self._options))
        return self._client

    @property
    def cluster(self) -> bool:
        """Whether the cache is a Redis Cluster."""
        return self.topology is not None and self.topology.kind == "cluster"

    @unavailable
    def get(self, key: str) -> str | None:
        return as_text(self.client.get(self.prefix + key))

    @unavailable
    def set(self, key: str, value: str, timeout: int | None = None) -> bool:
        return bool(self.client.set(self.prefix + key, value, ex=timeout or self.default_timeout))

    @unavailable
    def delete(self, key: str) -> bool:
        return bool(self.client.delete(self.prefix + key))

    @unavailable
    def take(
        self, key: str, replacement: str | None = None, timeout: int | None = None
    ) -> str | None:
        """``GETDEL``; with ``replacement`` a ``SET ... XX GET`` (one atomic step)."""
        if replacement is None:
            return as_text(self.client.getdel(self.prefix + key))
        return as_text(
            self.client.set(
                self.prefix + key,
                replacement,
                ex=timeout or self.default_timeout,
                xx=True,
                get=True,
            )
        )

    @unavailable
    def add(self, key: str, value: str, timeout: int | None = None) -> bool:
        return bool(
            self.client.set(self.prefix + key, value, ex=timeout or self.default_timeout, nx=True)
        )

    @unavailable
    def incr(self, key: str, delta: int) -> int:
        """``INCRBY`` and ``EXPIRE`` in one transaction (on a cluster, one Lua script).

        :raises TypeError: when the entry is not an integer.
        """
        name = self.prefix + key
        try:
            if self.cluster:
                value = self.client.eval(INCR_EXPIRE, 1, name, delta, self.default_timeout)
            else:
                with self.client.pipeline(transaction=True) as pipe:
                    pipe.incrby(name, delta)
                    pipe.expire(name, self.default_timeout)
                    value, _ = pipe.execute()
        except self._not_integer as exc:
            if not NOT_INTEGER.search(str(exc)):
                raise  # OOM, READONLY ...: the cache is unavailable
            raise TypeError(f"the cache entry {key!r} is not an integer") from None
        return int(value)

    @unavailable
    def clear(self) -> bool:
        """Delete the keys under the prefix (on a cluster: ``SCAN`` on every master,
        ``DEL`` slot by slot).

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
