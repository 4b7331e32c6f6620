"""A provider's signing keys (its JWK Set, RFC 7517), fetched and cached per Flask app.

An OpenID Connect login checks the signature of its ID token against the keys the
provider publishes at the ``jwks_uri`` of its metadata document. The key set is cached,
like the metadata document itself (:mod:`~flask_oauthlib_client.metadata`), in the state
of the Flask app whose config the remote app reads,
``app.extensions["oauthlib.client.jwks"]`` (a :class:`JwksCache`), keyed by URL. An ID
token signed with a key the cached set does not hold (a provider that rotated its keys)
fetches the set again, once; such refetches of one URL happen at most every
:data:`REFETCH_INTERVAL` seconds, so tokens naming unknown keys cannot make the client
hammer the provider. A cached set is fetched again once it is :data:`MAX_AGE` seconds
old, so a key the provider withdrew (a compromised one) stops verifying within that
time. A failed fetch is not cached.

.. versionadded:: 1.1
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask

from .metadata import Fetch, fetch_json

__all__ = ["JWKS_KEY", "MAX_AGE", "REFETCH_INTERVAL", "JwksCache", "fetch_jwks", "jwks_cache"]

#: where :meth:`OAuth.init_app <flask_oauthlib_client.OAuth.init_app>` keeps the app's
#: :class:`JwksCache`
JWKS_KEY = "oauthlib.client.jwks"
#: the fewest seconds between two refetches of one key set for an unknown key
REFETCH_INTERVAL = 10.0
#: the most seconds a fetched key set is used before it is fetched again
MAX_AGE = 3600.0


class JwksCache:
    """The key sets one Flask app fetched, by URL.

    There is one per app, in ``app.extensions["oauthlib.client.jwks"]``. Thread-safe:
    two requests that find a key set missing at the same time may both fetch it, and
    the later one stored wins (both are the provider's current keys).

    :param max_age: seconds a fetched key set is used before it is fetched again.
    """

    def __init__(self, max_age: float = MAX_AGE) -> None:
        self.max_age = max_age
        self._sets: dict[str, dict[str, Any]] = {}
        self._fetched: dict[str, float] = {}
        self._refetched: dict[str, float] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._sets)

    def get(
        self, url: str, fetch: Callable[[str], dict[str, Any]], refetch: bool = False
    ) -> dict[str, Any]:
        """Return the key set of ``url``, calling ``fetch(url)`` if it is not cached.

        :param url: the ``jwks_uri``.
        :param fetch: returns the key set; what it raises is not cached.
        :param refetch: an ID token names a key the cached set lacks: fetch the set
            again, unless that was done for ``url`` less than :data:`REFETCH_INTERVAL`
            seconds ago.
        """
        with self._lock:
            found = self._sets.get(url)
            if found is not None and time.monotonic() - self._fetched[url] >= self.max_age:
                found = None  # too old: the provider may have withdrawn a key
            if found is not None and refetch:
                last = self._refetched.get(url)
                if last is not None and time.monotonic() - last < REFETCH_INTERVAL:
                    return found
                self._refetched[url] = time.monotonic()
        if found is not None and not refetch:
            return found
        document = fetch(url)
        with self._lock:
            self._sets[url] = document
            self._fetched[url] = time.monotonic()
        return document

    def clear(self) -> None:
        """Forget every key set, so each is fetched again on next use."""
        with self._lock:
            self._sets.clear()
            self._fetched.clear()
            self._refetched.clear()


def jwks_cache(app: Flask) -> JwksCache:
    """Return ``app``'s :class:`JwksCache`, creating it if ``init_app`` did not."""
    cache = app.extensions.get(JWKS_KEY)
    if not isinstance(cache, JwksCache):
        cache = app.extensions[JWKS_KEY] = JwksCache()
    return cache


def fetch_jwks(name: str, url: str, http: Fetch) -> dict[str, Any]:
    """Fetch and check the key set at ``url``.

    :param name: the remote app's name, for error messages.
    :param url: the ``jwks_uri``.
    :param http: sends the ``GET`` request; a remote app's bound ``_http``.
    :returns: the key set, a JSON object whose ``keys`` is a list.
    :raises OAuthException: ``invalid_jwks`` unless the server answers ``200`` with such
        an object; or what ``http`` raises (``timeout``, ``network_error``, ...).
    """
    return fetch_json(name, url, http, "the key set (jwks_uri)", "invalid_jwks", keys_list=True)
