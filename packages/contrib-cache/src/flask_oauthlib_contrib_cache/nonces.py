"""``bind_cache_nonce``: OAuth 1 nonces in a cache shared by every worker."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask

from .cache import Cache

__all__ = ["bind_cache_nonce"]


def nonce_key(
    client_key: str, timestamp: Any, nonce: str, request_token: Any, access_token: Any
) -> str:
    parts = "\x00".join(
        str(p or "") for p in (client_key, timestamp, nonce, request_token, access_token)
    )
    return "nonce:" + hashlib.sha256(parts.encode()).hexdigest()


def bind_cache_nonce(app: Flask, provider: Any, config_prefix: str = "OAUTH1") -> Cache:
    """Keep an OAuth 1 provider's nonces in the cache ``<PREFIX>_CACHE_TYPE`` names.

    Registers the noncegetter and noncesetter. A nonce is stored with an atomic add and
    remembered for the timestamp window (``OAUTH1_PROVIDER_TIMESTAMP_WINDOW``, 600 s) or
    ``<PREFIX>_CACHE_DEFAULT_TIMEOUT``, whichever is longer, so a replay is rejected
    even when it reaches another worker at the same moment::

        app.config["OAUTH1_CACHE_TYPE"] = "redis"
        bind_cache_nonce(app, oauth1)

    .. versionadded:: 1.0
    """
    cache = Cache(app, config_prefix)
    backend = cache.cache
    window = int(app.config.get("OAUTH1_PROVIDER_TIMESTAMP_WINDOW", 600))
    lifetime = max(window, backend.default_timeout)

    def seen(
        client_key: str, timestamp: Any, nonce: str, request_token: Any, access_token: Any
    ) -> bool:
        return (
            backend.get(nonce_key(client_key, timestamp, nonce, request_token, access_token))
            is not None
        )

    def remember(
        client_key: str, timestamp: Any, nonce: str, request_token: Any, access_token: Any
    ) -> bool:
        key = nonce_key(client_key, timestamp, nonce, request_token, access_token)
        return backend.add(key, "1", timeout=lifetime)

    provider.noncegetter(seen)
    provider.noncesetter(remember)
    return cache
