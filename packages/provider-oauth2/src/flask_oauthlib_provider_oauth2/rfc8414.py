"""RFC 8414: the authorization server metadata document.

The document is put together from the server's features: each names the endpoint kinds
it serves (whose URLs are found among the app's decorated views) and adds its entries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, request, url_for

from .endpoints import ENDPOINT_MARK

if TYPE_CHECKING:
    from .server import Server

__all__ = ["endpoint_urls", "metadata", "on_issuer"]


def endpoint_urls(app: Flask, keys: dict[str, str]) -> dict[str, str]:
    """External URLs of the views a provider decorated, keyed by metadata field;
    ``keys`` maps endpoint kinds to those fields."""
    urls: dict[str, str] = {}
    for rule in app.url_map.iter_rules():
        kind = getattr(app.view_functions.get(rule.endpoint), ENDPOINT_MARK, None)
        key = keys.get(kind or "")
        if key and key not in urls:
            urls[key] = url_for(rule.endpoint, _external=True)
    return urls


def on_issuer(settings: Any, url: str) -> str:
    """``url``, a URL of this server built from the request, on the origin of
    ``OAUTH2_PROVIDER_ISSUER`` when it is set: the ``Host`` a request sends never decides
    what an audience is. Without the setting the request's URL is taken (set the issuer,
    or Flask's ``TRUSTED_HOSTS``, when the app answers for any host)."""
    if not settings.issuer:
        return url
    issuer = urlsplit(settings.issuer)
    return urlunsplit(urlsplit(url)._replace(scheme=issuer.scheme, netloc=issuer.netloc))


def metadata(server: Server, app: Flask) -> dict[str, Any]:
    """The metadata document of ``server`` on ``app`` for the current request.

    .. versionchanged:: 1.1
        Takes the server and reads the app's resolved settings (and nothing else), so
        it says what the server does.
    """
    keys = {
        kind: key
        for feature in server.features
        for kind, key in feature.endpoints.items()
        if feature.serves(kind, server)
    }
    urls = endpoint_urls(app, keys)
    document: dict[str, Any] = {
        "issuer": server.settings.issuer or request.host_url.rstrip("/"),
        **urls,
    }
    for feature in server.features:
        document.update(feature.metadata(server, urls))
    return document
