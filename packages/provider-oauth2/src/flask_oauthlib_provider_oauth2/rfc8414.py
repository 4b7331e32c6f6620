"""RFC 8414: the authorization server metadata document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Flask, url_for

from . import rfc7662

if TYPE_CHECKING:
    from .provider import OAuth2Provider

__all__ = ["metadata"]

ENDPOINT_KEYS = {
    "authorization": "authorization_endpoint",
    "token": "token_endpoint",
    "revocation": "revocation_endpoint",
    "introspection": "introspection_endpoint",
    "device_authorization": "device_authorization_endpoint",
}


def endpoint_urls(app: Flask, mark: str) -> dict[str, str]:
    """External URLs of the views a provider decorated, keyed by metadata field."""
    urls: dict[str, str] = {}
    for rule in app.url_map.iter_rules():
        kind = getattr(app.view_functions.get(rule.endpoint), mark, None)
        key = ENDPOINT_KEYS.get(kind or "")
        if key and key not in urls:
            urls[key] = url_for(rule.endpoint, _external=True)
    return urls


def metadata(provider: OAuth2Provider, app: Flask, mark: str) -> dict[str, Any]:
    """The metadata document of ``provider`` on ``app`` for the current request."""
    config = app.config
    server = provider.server
    response_types = sorted(server.response_types)
    response_types.remove("none")
    document: dict[str, Any] = {
        "issuer": provider.issuer,
        **endpoint_urls(app, mark),
        "response_types_supported": response_types,
        "response_modes_supported": ["query", "fragment"],
        "grant_types_supported": sorted(server.grant_types),
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "code_challenge_methods_supported": (
            ["S256", "plain"] if config["OAUTH2_PROVIDER_PKCE_ALLOW_PLAIN"] else ["S256"]
        ),
        "authorization_response_iss_parameter_supported": bool(config["OAUTH2_PROVIDER_ISSUER"]),
    }
    if "revocation_endpoint" in document:
        document["revocation_endpoint_auth_methods_supported"] = [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ]
    if "introspection_endpoint" in document:
        document["introspection_endpoint_auth_methods_supported"] = list(rfc7662.AUTH_METHODS)
    return document
