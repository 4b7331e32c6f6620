"""A server's metadata document, fetched and cached per Flask app.

A remote app with ``server_metadata_url`` (RFC 8414, or OpenID Connect Discovery) reads
the endpoints and the issuer it was not given from the server's metadata document. The
document is cached in the state of the Flask app whose config the remote app reads,
``app.extensions["oauthlib.client.metadata"]`` (a :class:`MetadataCache`), keyed by URL:
one remote app serving several apps (one ``OAuth`` bound to two apps, each configuring
its own ``server_metadata_url`` under the remote's ``app_key``) reads each app's own
document, and a URL changed in the config is fetched anew. A failed fetch is not cached.

.. versionadded:: 1.1
    Before, the document was cached on the remote app, so a second app got the
    first app's endpoints.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from flask_oauthlib_core import url_origin

from .exceptions import OAuthException
from .transport import status_of

__all__ = [
    "METADATA_KEY",
    "Fetch",
    "MetadataCache",
    "fetch_metadata",
    "issuer_origin_matches",
    "metadata_cache",
]

#: where :meth:`OAuth.init_app <flask_oauthlib_client.OAuth.init_app>` keeps the app's
#: :class:`MetadataCache`
METADATA_KEY = "oauthlib.client.metadata"

#: ``(url, method=...) -> (response, body)``: how a document is fetched, a remote app's
#: HTTP (see :meth:`OAuthRemoteApp.http_request
#: <flask_oauthlib_client.OAuthRemoteApp.http_request>`)
Fetch = Callable[..., tuple[Any, bytes]]


class MetadataCache:
    """The metadata documents one Flask app fetched, by URL.

    There is one per app, in ``app.extensions["oauthlib.client.metadata"]``; it holds as
    many documents as the app's config names metadata URLs. Thread-safe: two requests
    that find a document missing at the same time may both fetch it, and the first
    stored wins.
    """

    def __init__(self) -> None:
        self._documents: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._documents)

    def get(self, url: str, fetch: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
        """Return the document of ``url``, calling ``fetch(url)`` if it is not cached.

        :param url: the metadata URL.
        :param fetch: returns the document; what it raises is not cached.
        """
        with self._lock:
            found = self._documents.get(url)
        if found is not None:
            return found
        document = fetch(url)
        with self._lock:
            return self._documents.setdefault(url, document)

    def peek(self, url: str) -> dict[str, Any] | None:
        """The document of ``url`` if it was fetched already, else ``None`` (never
        fetches).

        .. versionadded:: 1.1
        """
        with self._lock:
            return self._documents.get(url)

    def clear(self) -> None:
        """Forget every document, so each is fetched again on next use (after the
        server rotated its endpoints, say)."""
        with self._lock:
            self._documents.clear()


def metadata_cache(app: Flask) -> MetadataCache:
    """Return ``app``'s :class:`MetadataCache`, creating it if ``init_app`` did not."""
    cache = app.extensions.get(METADATA_KEY)
    if not isinstance(cache, MetadataCache):
        cache = app.extensions[METADATA_KEY] = MetadataCache()
    return cache


def fetch_json(
    name: str, url: str, http: Fetch, what: str, error: str, keys_list: bool = False
) -> dict[str, Any]:
    """Fetch the JSON object at ``url`` (a metadata document, a key set).

    :param name: the remote app's name, for error messages.
    :param what: what the document is, for error messages.
    :param error: the ``OAuthException`` type of a bad answer.
    :param keys_list: the object must have a list under ``keys`` (a JWK set).
    :raises OAuthException: ``error`` unless the server answers ``200`` with such an
        object; or what ``http`` raises (``timeout``, ``network_error``, ...).
    """
    resp, content = http(url, method="GET")
    status = status_of(resp)
    if status != 200:
        raise OAuthException(f"{name}: {what} answered {status}", type=error)
    try:
        document = json.loads(content)
    except (ValueError, RecursionError):
        document = None
    if not isinstance(document, dict) or (keys_list and not isinstance(document.get("keys"), list)):
        shape = "a JSON object with a list of keys" if keys_list else "a JSON object"
        raise OAuthException(f"{name}: {what} is not {shape}", type=error)
    return document


def fetch_metadata(name: str, url: str, http: Fetch) -> dict[str, Any]:
    """Fetch and check the metadata document at ``url``.

    :param name: the remote app's name, for error messages.
    :param url: the metadata URL.
    :param http: sends the ``GET`` request; a remote app's bound ``_http``.
    :returns: the document, a JSON object.
    :raises OAuthException: ``invalid_metadata`` unless the server answers ``200`` with
        a JSON object; or what ``http`` raises (``timeout``, ``network_error``, ...).
    """
    return fetch_json(name, url, http, "metadata document", "invalid_metadata")


def issuer_origin_matches(issuer: Any, metadata_url: str) -> bool:
    """Whether ``issuer`` is an ``http(s)`` URL on the origin of ``metadata_url``.

    RFC 8414 3.3 and OpenID Connect Discovery 4.3 want the issuer the well-known URL was
    built from: a server cannot claim another server's issuer (and pass the ``iss``
    check of its callbacks, RFC 9207, or its ID tokens' ``iss`` check), since its own
    documents come from its own origin. The path is left to the server: multi-tenant
    providers (Microsoft's ``/common/v2.0`` names ``/{tenantid}/v2.0``) differ there.

    .. versionadded:: 1.1
    """
    if not isinstance(issuer, str) or urlsplit(issuer).scheme not in ("http", "https"):
        return False
    found = url_origin(issuer)
    return found is not None and found == url_origin(metadata_url)
