"""``bind_cache_replay``: the one-time values of an OAuth 2 provider (DPoP proof and
client assertion ``jti``) in a cache shared by every worker.

.. versionadded:: 1.1
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from .backends import Backend, NullBackend
from .cache import Cache

__all__ = ["CacheReplayStore", "bind_cache_replay"]


class CacheReplayStore:
    """A replay store (``flask_oauthlib_provider_oauth2.ReplayStore``) on a cache
    backend: each key is added atomically (Redis ``SET key 1 NX EX``, memcached
    ``add``, a lock around the ``simple`` and ``filesystem`` caches), so of concurrent
    uses of one value, on any worker sharing the cache, exactly one is the first.

    :param backend: the backend of a :class:`~.Cache`.

    .. versionadded:: 1.1
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def first_use(self, key: str, expires_in: int) -> bool:
        """Record ``key`` for ``expires_in`` seconds (at least one); ``True`` if it was
        new.

        :raises flask_oauthlib_core.StorageUnavailable: when the cache server does not
            answer (the provider answers 503, never accepting the value unchecked).
        """
        return bool(self.backend.add(key, "1", timeout=max(1, int(expires_in))))


def bind_cache_replay(app: Flask, provider: Any, config_prefix: str = "OAUTH2") -> CacheReplayStore:
    """Keep an OAuth 2 provider's one-time values in the cache ``<PREFIX>_CACHE_TYPE``
    names (the ``<PREFIX>_CACHE_*`` keys of :class:`~.Cache`), registered with
    ``provider.replay_store``: a DPoP proof or client assertion is then accepted once
    across every process and machine using that Redis or memcached server::

        app.config["OAUTH2_CACHE_TYPE"] = "redis"
        app.config["OAUTH2_CACHE_REDIS_URL"] = "redis://cache:6379/0"
        bind_cache_replay(app, oauth)

    Keys are the provider's hashed ``replay_key`` values, kept as long as the provider
    asks (the proof's acceptance window), not ``<PREFIX>_CACHE_DEFAULT_TIMEOUT``.

    :raises ValueError: for the ``null`` cache, which records nothing and so would
        accept every replay.

    .. versionadded:: 1.1
    """
    backend = Cache(app, config_prefix).cache
    if isinstance(backend, NullBackend):
        raise ValueError(
            f"{config_prefix}_CACHE_TYPE 'null' records nothing, so it cannot refuse"
            " replays; use redis, memcache, filesystem or simple"
        )
    store = CacheReplayStore(backend)
    provider.replay_store(store)
    return store
