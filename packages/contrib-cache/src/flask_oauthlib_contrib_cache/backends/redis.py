"""The ``redis`` cache, through redis-py."""

from __future__ import annotations

import re
import weakref
from typing import Any

from .base import as_text, unavailable

__all__ = ["NOT_INTEGER", "RedisBackend"]

#: how Redis refuses ``INCRBY`` on an entry that is not an integer (or would overflow)
NOT_INTEGER = re.compile(r"not an integer|overflow|WRONGTYPE")


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
                if not NOT_INTEGER.search(str(exc)):
                    raise  # OOM, READONLY ...: the cache is unavailable
                raise TypeError(f"the cache entry {key!r} is not an integer") from None
        return int(value)

    @unavailable
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
