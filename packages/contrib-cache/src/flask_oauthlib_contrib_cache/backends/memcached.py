"""The ``memcache`` cache, through pymemcache."""

from __future__ import annotations

import hashlib
import re
import weakref

from .base import as_integer, as_text, unavailable

__all__ = ["MEMCACHED_KEY", "MemcacheBackend", "TextSerde"]


class TextSerde:
    """pymemcache (de)serialization of text only: bytes in, bytes out, never pickle."""

    @staticmethod
    def serialize(key: str, value: str) -> tuple[bytes, int]:
        return value.encode("utf-8"), 0

    @staticmethod
    def deserialize(key: str, value: bytes, flags: int) -> bytes:
        return value


#: what memcached takes as a key as it is (its protocol forbids spaces and control bytes)
MEMCACHED_KEY = re.compile(r"[!-~]{1,250}")
#: what starts the key of an entry stored under a hash of its key
HASHED = "h:"


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
            serde=TextSerde(),
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
        ASCII, no spaces, at most 250 bytes) and it does not start with ``h:``, else the
        prefix, ``h:`` and a hash of it, so any text is a valid key and no two keys
        collide (a key that reads like another's hash is hashed too)."""
        full = self.prefix + key
        if MEMCACHED_KEY.fullmatch(full) and not key.startswith(HASHED):
            return full
        return (
            self.prefix + HASHED + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
        )

    @unavailable
    def get(self, key: str) -> str | None:
        value = as_text(self.client.get(self._key(key)))
        return None if value == self._TAKEN else value

    @unavailable
    def set(self, key: str, value: str, timeout: int | None = None) -> bool:
        return bool(self.client.set(self._key(key), value, expire=timeout or self.default_timeout))

    @unavailable
    def delete(self, key: str) -> bool:
        return bool(self.client.delete(self._key(key), noreply=False))

    @unavailable
    def take(
        self, key: str, replacement: str | None = None, timeout: int | None = None
    ) -> str | None:
        """``gets`` + ``cas``: only one of the racers replaces the value it read (with
        ``replacement``, or a short-lived "taken" mark then deleted), and that one owns
        it."""
        raw, token = self.client.gets(self._key(key))
        value = as_text(raw)
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

    @unavailable
    def add(self, key: str, value: str, timeout: int | None = None) -> bool:
        return bool(
            self.client.add(
                self._key(key), value, expire=timeout or self.default_timeout, noreply=False
            )
        )

    @unavailable
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
                text = as_text(raw)
                value = as_integer(key, None if text == self._TAKEN else text) + delta
                stored = self.client.cas(
                    name, str(value), token, expire=self.default_timeout, noreply=False
                )
            if stored:
                return value

    @unavailable
    def clear(self) -> bool:
        """Empty the servers with ``flush_all``, as 0.9.6 did (memcached cannot list its
        keys reliably, so a key prefix cannot be cleared alone): other programs' entries
        on the same servers go too."""
        self.client.flush_all(noreply=False)
        return True
