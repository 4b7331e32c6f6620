"""``bind_cache_pushed_requests``: an OAuth 2 provider's pushed authorization requests
(RFC 9126) in a cache shared by every worker.

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Flask

from .backends import Backend, NullBackend
from .cache import Cache

__all__ = ["CachePushedRequestStore", "bind_cache_pushed_requests"]


class CachePushedRequestStore:
    """A pushed request store (``flask_oauthlib_provider_oauth2.PushedRequestStore``) on
    a cache backend: records are JSON text kept for their lifetime (Redis ``SET ... EX``,
    memcached ``set`` with an expiry), and :meth:`take` is the backend's atomic take
    (Redis ``GETDEL``, memcached ``gets`` + ``cas``, a lock around the ``simple`` and
    ``filesystem`` caches), so of concurrent takes of one ``request_uri``, on any worker
    sharing the cache, at most one gets the request.

    :param backend: the backend of a :class:`~.Cache`.

    .. versionadded:: 1.1
    """

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def save(self, key: str, record: Mapping[str, Any], expires_in: int) -> None:
        """Keep ``record`` for ``expires_in`` seconds (at least one).

        :raises flask_oauthlib_core.StorageUnavailable: when the cache server does not
            answer (the provider answers 503).
        """
        self.backend.set(key, json.dumps(dict(record)), timeout=max(1, int(expires_in)))

    @staticmethod
    def _record(text: str | None) -> dict[str, Any] | None:
        if text is None:
            return None
        try:
            record = json.loads(text)
        except ValueError:
            return None
        return record if isinstance(record, dict) else None

    def peek(self, key: str) -> dict[str, Any] | None:
        """The record kept under ``key``, left in place."""
        return self._record(self.backend.get(key))

    def take(self, key: str) -> dict[str, Any] | None:
        """The record kept under ``key``, removed atomically."""
        return self._record(self.backend.take(key))


def bind_cache_pushed_requests(
    app: Flask, provider: Any, config_prefix: str = "OAUTH2"
) -> CachePushedRequestStore:
    """Keep an OAuth 2 provider's pushed authorization requests in the cache
    ``<PREFIX>_CACHE_TYPE`` names (the ``<PREFIX>_CACHE_*`` keys of :class:`~.Cache`),
    registered with ``provider.pushed_request_store``: a ``request_uri`` pushed to one
    worker is then found, and used once, on every worker::

        app.config["OAUTH2_CACHE_TYPE"] = "redis"
        app.config["OAUTH2_CACHE_REDIS_URL"] = "redis://cache:6379/0"
        bind_cache_pushed_requests(app, oauth)

    Records live as long as the provider asks (``OAUTH2_PROVIDER_PAR_EXPIRES_IN``), not
    ``<PREFIX>_CACHE_DEFAULT_TIMEOUT``; keys are hashes of the ``request_uri``.

    :raises ValueError: for the ``null`` cache, which keeps nothing.

    .. versionadded:: 1.1
    """
    backend = Cache(app, config_prefix).cache
    if isinstance(backend, NullBackend):
        raise ValueError(
            f"{config_prefix}_CACHE_TYPE 'null' keeps nothing, so pushed requests would be"
            " lost; use redis, memcache, filesystem or simple"
        )
    store = CachePushedRequestStore(backend)
    provider.pushed_request_store(store)
    return store
