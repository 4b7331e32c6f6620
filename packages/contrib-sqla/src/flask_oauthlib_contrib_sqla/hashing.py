"""How credentials are stored: SHA-256, so a database leak leaks nothing usable."""

from __future__ import annotations

import hashlib

from flask_oauthlib_core import equal_secrets

__all__ = ["hash_secret", "secret_matches"]


def hash_secret(value: str) -> str:
    """The hex SHA-256 of ``value``: what the ready models store for tokens, codes and
    client secrets. Tokens are long random strings, so a fast hash is enough; lookups
    hash the presented value and use the index."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def secret_matches(value: str, stored_hash: str | None) -> bool:
    """Whether ``value`` hashes to ``stored_hash``, compared in constant time."""
    if not stored_hash:
        return False
    return equal_secrets(hash_secret(value), stored_hash)
