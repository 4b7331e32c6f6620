"""OAuth 2 provider for Flask: the ``flask_oauthlib.provider.OAuth2Provider`` API.

Built on oauthlib, with PKCE (RFC 7636), token introspection (RFC 7662), server
metadata (RFC 8414), ``iss`` on authorization responses (RFC 9207), resource
indicators (RFC 8707), protected resource metadata (RFC 9728), the device flow
(RFC 8628), refresh token rotation and, when switched on, dynamic client registration
(RFC 7591, RFC 7592), client ID metadata documents (:mod:`.client_id_metadata`) and
OpenID Connect (:mod:`.oidc`, keys in :mod:`.jwks`), secure by
default. The server is assembled from
features (:mod:`.features`); see docs/architecture.md. What it does is sent as
blinker signals (:mod:`.signals`, docs/operations.md).
"""

from __future__ import annotations

from . import signals
from .client_id_metadata import ClientIDMetadataDocuments, MetadataDocumentClient
from .client_keys import ClientJWTError, verify_client_jwt
from .clientauth import ClientAuthMethod
from .config import DEFAULTS, OAuth2Settings
from .features import EndpointCall, Feature
from .jwks import JWKS, KeySet, NoSigningKey
from .jwt_resource_server import JWTAccessTokenVerifier
from .oidc import OpenIDConnect, OpenIDMixin, UserInfo
from .provider import OAuth2Provider
from .pushed_requests import MemoryPushedRequestStore, PushedRequestStore
from .replay import MemoryReplayStore, ReplayStore, replay_key
from .rfc6750 import (
    BearerRequest,
    BearerTokenType,
    ProtectedRequest,
    ResourceProtector,
    TokenType,
    get_oauth_request,
)
from .rfc8707 import InvalidTarget, ResourceIndicators
from .rfc9068 import JWTAccessToken
from .rfc9728 import ResourceMetadata
from .server import DEFAULT_FEATURES, Server
from .storage import (
    ClaimsGetter,
    ClientGetter,
    ClientSetter,
    DeviceGetter,
    DeviceSetter,
    GrantGetter,
    GrantSetter,
    LoginGetter,
    RegistrationPolicy,
    StoredClient,
    StoredGrant,
    StoredToken,
    TokenGetter,
    TokenSetter,
    UserGetter,
)
from .token_cache import RevocationListener, RevokedTokens, TokenCache
from .validator import OAuth2RequestValidator

__all__ = [
    "DEFAULTS",
    "DEFAULT_FEATURES",
    "BearerRequest",
    "BearerTokenType",
    "ClaimsGetter",
    "ClientAuthMethod",
    "ClientIDMetadataDocuments",
    "ClientJWTError",
    "ClientGetter",
    "ClientSetter",
    "DeviceGetter",
    "DeviceSetter",
    "EndpointCall",
    "Feature",
    "GrantGetter",
    "GrantSetter",
    "InvalidTarget",
    "JWKS",
    "JWTAccessToken",
    "JWTAccessTokenVerifier",
    "KeySet",
    "LoginGetter",
    "MemoryPushedRequestStore",
    "MemoryReplayStore",
    "MetadataDocumentClient",
    "NoSigningKey",
    "OAuth2Provider",
    "OAuth2RequestValidator",
    "OAuth2Settings",
    "OpenIDConnect",
    "OpenIDMixin",
    "ProtectedRequest",
    "PushedRequestStore",
    "RegistrationPolicy",
    "ReplayStore",
    "ResourceIndicators",
    "ResourceMetadata",
    "ResourceProtector",
    "RevocationListener",
    "RevokedTokens",
    "Server",
    "StoredClient",
    "StoredGrant",
    "StoredToken",
    "TokenCache",
    "TokenGetter",
    "TokenSetter",
    "TokenType",
    "UserGetter",
    "UserInfo",
    "get_oauth_request",
    "replay_key",
    "signals",
    "verify_client_jwt",
]
