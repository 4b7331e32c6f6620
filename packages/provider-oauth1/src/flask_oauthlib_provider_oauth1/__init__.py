"""OAuth 1.0a provider for Flask: the ``flask_oauthlib.provider.OAuth1Provider`` API.

Built on oauthlib's RFC 5849 server: HMAC-SHA1, HMAC-SHA256 and RSA-SHA1 signatures,
nonce and timestamp replay protection, single-use request tokens and verifiers.
"""

from __future__ import annotations

from .config import DEFAULTS
from .provider import OAuth1Provider
from .validator import OAuth1RequestValidator

__all__ = ["DEFAULTS", "OAuth1Provider", "OAuth1RequestValidator"]
