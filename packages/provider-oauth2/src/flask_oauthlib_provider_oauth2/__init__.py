"""OAuth 2 provider for Flask: the ``flask_oauthlib.provider.OAuth2Provider`` API.

Built on oauthlib, with PKCE (RFC 7636), token introspection (RFC 7662), server
metadata (RFC 8414), ``iss`` on authorization responses (RFC 9207) and refresh token
rotation, secure by default.
"""

from __future__ import annotations

from .bearer import BearerRequest, get_oauth_request
from .config import DEFAULTS
from .provider import OAuth2Provider
from .server import Server
from .storage import (
    ClientGetter,
    DeviceGetter,
    DeviceSetter,
    GrantGetter,
    GrantSetter,
    TokenGetter,
    TokenSetter,
    UserGetter,
)
from .validator import OAuth2RequestValidator

__all__ = [
    "DEFAULTS",
    "BearerRequest",
    "ClientGetter",
    "DeviceGetter",
    "DeviceSetter",
    "GrantGetter",
    "GrantSetter",
    "OAuth2Provider",
    "OAuth2RequestValidator",
    "Server",
    "TokenGetter",
    "TokenSetter",
    "UserGetter",
    "get_oauth_request",
]
