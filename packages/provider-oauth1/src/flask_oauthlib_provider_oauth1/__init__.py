"""OAuth 1.0a provider for Flask: the ``flask_oauthlib.provider.OAuth1Provider`` API.

Built on oauthlib's RFC 5849 server: HMAC-SHA1, HMAC-SHA256 and RSA-SHA1 signatures,
nonce and timestamp replay protection, single-use request tokens and verifiers.
"""

from __future__ import annotations

from oauthlib.oauth1 import SIGNATURE_HMAC, SIGNATURE_RSA

from .config import DEFAULTS, OAuth1Settings
from .provider import OAuth1Provider
from .storage import (
    ClientGetter,
    GrantGetter,
    GrantSetter,
    NonceGetter,
    NonceSetter,
    TokenGetter,
    TokenSetter,
    VerifierGetter,
    VerifierSetter,
)
from .validator import OAuth1RequestValidator

__all__ = [
    "DEFAULTS",
    "SIGNATURE_METHODS",
    "ClientGetter",
    "GrantGetter",
    "GrantSetter",
    "NonceGetter",
    "NonceSetter",
    "OAuth1Provider",
    "OAuth1RequestValidator",
    "OAuth1Settings",
    "TokenGetter",
    "TokenSetter",
    "VerifierGetter",
    "VerifierSetter",
]

#: 0.9.6's module constant: HMAC-SHA1 and RSA-SHA1. What a provider accepts is
#: ``OAUTH1_PROVIDER_SIGNATURE_METHODS``.
SIGNATURE_METHODS = (SIGNATURE_HMAC, SIGNATURE_RSA)
