"""OAuth 2 provider for Flask: the ``flask_oauthlib.provider.OAuth2Provider`` API.

Built on oauthlib, with PKCE (RFC 7636), token introspection (RFC 7662), server
metadata (RFC 8414), ``iss`` on authorization responses (RFC 9207), the device flow
(RFC 8628) and refresh token rotation, secure by default. The server is assembled from
features (:mod:`.features`); see docs/architecture.md.
"""

from __future__ import annotations

from .clientauth import ClientAuthMethod
from .config import DEFAULTS, OAuth2Settings
from .features import EndpointCall, Feature
from .provider import OAuth2Provider
from .rfc6750 import (
    BearerRequest,
    BearerTokenType,
    ProtectedRequest,
    ResourceProtector,
    TokenType,
    get_oauth_request,
)
from .server import DEFAULT_FEATURES, Server
from .storage import (
    ClientGetter,
    DeviceGetter,
    DeviceSetter,
    GrantGetter,
    GrantSetter,
    StoredClient,
    StoredGrant,
    StoredToken,
    TokenGetter,
    TokenSetter,
    UserGetter,
)
from .validator import OAuth2RequestValidator

__all__ = [
    "DEFAULTS",
    "DEFAULT_FEATURES",
    "BearerRequest",
    "BearerTokenType",
    "ClientAuthMethod",
    "ClientGetter",
    "DeviceGetter",
    "DeviceSetter",
    "EndpointCall",
    "Feature",
    "GrantGetter",
    "GrantSetter",
    "OAuth2Provider",
    "OAuth2RequestValidator",
    "OAuth2Settings",
    "ProtectedRequest",
    "ResourceProtector",
    "Server",
    "StoredClient",
    "StoredGrant",
    "StoredToken",
    "TokenGetter",
    "TokenSetter",
    "TokenType",
    "UserGetter",
    "get_oauth_request",
]
