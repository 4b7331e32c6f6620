"""OAuth 2 provider for Flask: the ``flask_oauthlib.provider.OAuth2Provider`` API.

Built on oauthlib, with PKCE (RFC 7636), token introspection (RFC 7662), server
metadata (RFC 8414), ``iss`` on authorization responses (RFC 9207), the device flow
(RFC 8628), refresh token rotation and, when switched on, OpenID Connect (:mod:`.oidc`,
keys in :mod:`.jwks`), secure by default. The server is assembled from
features (:mod:`.features`); see docs/architecture.md.
"""

from __future__ import annotations

from .clientauth import ClientAuthMethod
from .config import DEFAULTS, OAuth2Settings
from .features import EndpointCall, Feature
from .jwks import JWKS, KeySet, NoSigningKey
from .oidc import OpenIDConnect, OpenIDMixin, UserInfo
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
    ClaimsGetter,
    ClientGetter,
    DeviceGetter,
    DeviceSetter,
    GrantGetter,
    GrantSetter,
    LoginGetter,
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
    "ClaimsGetter",
    "ClientAuthMethod",
    "ClientGetter",
    "DeviceGetter",
    "DeviceSetter",
    "EndpointCall",
    "Feature",
    "GrantGetter",
    "GrantSetter",
    "JWKS",
    "KeySet",
    "LoginGetter",
    "NoSigningKey",
    "OAuth2Provider",
    "OAuth2RequestValidator",
    "OAuth2Settings",
    "OpenIDConnect",
    "OpenIDMixin",
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
    "UserInfo",
    "get_oauth_request",
]
