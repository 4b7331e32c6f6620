"""``bind_cache_nonce``: OAuth 1 nonces in a cache shared by every worker."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Mapping
from typing import Any

from flask import Flask

from .cache import Cache

__all__ = ["bind_cache_nonce", "nonce_lifetime"]

WINDOW = "OAUTH1_PROVIDER_TIMESTAMP_WINDOW"
SKEW = "OAUTH1_PROVIDER_TIMESTAMP_SKEW"


def nonce_key(
    client_key: str, timestamp: Any, nonce: str, request_token: Any, access_token: Any
) -> str:
    """The cache key of a nonce: a SHA-256 of the request's credentials, so no nonce or
    token is ever readable in the cache."""
    parts = "\x00".join(
        str(p or "") for p in (client_key, timestamp, nonce, request_token, access_token)
    )
    return "nonce:" + hashlib.sha256(parts.encode()).hexdigest()


def nonce_lifetime(timestamp: Any, window: int, skew: int, floor: int = 0) -> int:
    """Seconds to keep a nonce so that no worker accepts its request again.

    A request is accepted until the server's clock passes ``timestamp + window``; a
    worker whose clock runs up to ``skew`` seconds behind accepts it that much longer.
    So the nonce is kept until ``timestamp + window + skew`` (plus a second for the
    cache's rounding), and never less than ``window + skew`` or ``floor`` seconds.

    :param timestamp: the request's ``oauth_timestamp`` (UNIX seconds, as text).
    :param window: ``OAUTH1_PROVIDER_TIMESTAMP_WINDOW``.
    :param skew: ``OAUTH1_PROVIDER_TIMESTAMP_SKEW``.
    :param floor: the least lifetime (the cache's ``DEFAULT_TIMEOUT``).
    """
    try:
        ahead = max(int(timestamp) - time.time(), 0.0)
    except (TypeError, ValueError):
        ahead = 0.0
    return max(floor, math.ceil(ahead) + window + skew + 1)


def _window_and_skew(config: Mapping[str, Any]) -> tuple[int, int]:
    """The OAuth 1 provider's timestamp window and skew: from the app's config, which
    ``OAuth1Provider.init_app`` fills, else the provider's defaults."""
    from flask_oauthlib_provider_oauth1 import DEFAULTS

    return int(config.get(WINDOW, DEFAULTS[WINDOW])), int(config.get(SKEW, DEFAULTS[SKEW]))


def bind_cache_nonce(app: Flask, provider: Any, config_prefix: str = "OAUTH1") -> Cache:
    """Keep an OAuth 1 provider's nonces in the cache ``<PREFIX>_CACHE_TYPE`` names.

    Registers the noncegetter (a read, for every request) and the noncesetter, which the
    provider calls only once a request passed every check, signature included: requests
    with made-up client keys or bad signatures store nothing, so they can neither fill a
    ``simple``/``filesystem`` store nor grow Redis. A nonce is stored with an atomic add,
    so a replay is rejected even when it reaches another worker at the same moment, and
    kept until its request's timestamp has left the window
    (``OAUTH1_PROVIDER_TIMESTAMP_WINDOW``, 600 s) on every worker: see
    :func:`nonce_lifetime`. ``<PREFIX>_CACHE_DEFAULT_TIMEOUT`` only makes that longer::

        app.config["OAUTH1_CACHE_TYPE"] = "redis"
        bind_cache_nonce(app, oauth1)

    .. versionadded:: 1.0
    .. versionchanged:: 1.1
        Only nonces of valid requests are stored (the provider's endpoints).
    """
    cache = Cache(app, config_prefix)
    backend = cache.cache

    def seen(
        client_key: str, timestamp: Any, nonce: str, request_token: Any, access_token: Any
    ) -> bool:
        """Whether the nonce was stored already (read only)."""
        return (
            backend.get(nonce_key(client_key, timestamp, nonce, request_token, access_token))
            is not None
        )

    def remember(
        client_key: str, timestamp: Any, nonce: str, request_token: Any, access_token: Any
    ) -> bool:
        """Store the nonce of a valid request; ``False`` when another stored it first."""
        key = nonce_key(client_key, timestamp, nonce, request_token, access_token)
        window, skew = _window_and_skew(app.config)
        return backend.add(
            key, "1", timeout=nonce_lifetime(timestamp, window, skew, backend.default_timeout)
        )

    provider.noncegetter(seen)
    provider.noncesetter(remember)
    return cache
