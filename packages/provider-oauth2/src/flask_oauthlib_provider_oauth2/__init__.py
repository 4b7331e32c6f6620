"""OAuth 2 provider for Flask: the ``flask_oauthlib.provider.OAuth2Provider`` API.

Built on oauthlib, with PKCE (RFC 7636), token introspection (RFC 7662), server
metadata (RFC 8414), ``iss`` on authorization responses (RFC 9207) and refresh token
rotation, secure by default.
"""

from __future__ import annotations

from .config import DEFAULTS
from .provider import OAuth2Provider
from .server import Server
from .validator import OAuth2RequestValidator

__all__ = ["DEFAULTS", "OAuth2Provider", "OAuth2RequestValidator", "Server"]
