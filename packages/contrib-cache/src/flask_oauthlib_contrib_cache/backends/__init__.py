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

One module per backend: :mod:`.base` (the :class:`Backend` protocol and the text and
integer decoding they share), :mod:`.local` (the lock every local store writes under),
:mod:`.simple` (``null`` and ``simple``, in memory), :mod:`.filesystem`, :mod:`.redis`
(with :mod:`.redis_urls`, the URLs of a Redis Cluster and of a Sentinel group) and
:mod:`.memcached`. Every public name is importable from here, as it was from the
single module this package replaces.

.. versionchanged:: 1.1
    A package of one module per backend instead of one module.
"""

from __future__ import annotations

from .base import Backend
from .filesystem import FILES_UNAVAILABLE, FileSystemBackend, private_directory
from .memcached import MemcacheBackend
from .redis import RedisBackend
from .simple import NullBackend, SimpleBackend

__all__ = [
    "FILES_UNAVAILABLE",
    "Backend",
    "FileSystemBackend",
    "MemcacheBackend",
    "NullBackend",
    "RedisBackend",
    "SimpleBackend",
    "private_directory",
]
