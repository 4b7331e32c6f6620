"""RFC 7636 (PKCE) for the client: a fresh verifier and its S256 challenge."""

from __future__ import annotations

import base64
import hashlib
import secrets

__all__ = ["create_verifier", "s256_challenge"]


def create_verifier() -> str:
    """Return a new code verifier: 64 URL-safe characters, 384 bits of entropy."""
    return secrets.token_urlsafe(48)


def s256_challenge(verifier: str) -> str:
    """Return the S256 code challenge of ``verifier``."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
