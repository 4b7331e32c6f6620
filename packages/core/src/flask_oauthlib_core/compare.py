"""One constant-time comparison for secrets, signatures and tokens, and one hash for
credentials that are stored.

.. versionadded:: 1.1
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

__all__ = ["equal_secrets", "hash_secret", "matches_hash"]


def equal_secrets(given: Any, expected: Any) -> bool:
    """Whether two secrets are equal, compared in constant time as UTF-8 text.

    ``None`` equals nothing, not even ``None``: a missing secret never matches.
    """
    if given is None or expected is None:
        return False
    return hmac.compare_digest(str(given).encode("utf-8"), str(expected).encode("utf-8"))


def hash_secret(value: str) -> str:
    """The hex SHA-256 of ``value``: how stored credentials are kept (tokens, codes,
    client secrets, registration access tokens). They are long random strings, so a fast
    hash is enough; lookups hash the presented value and use an index.
    """
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def matches_hash(value: str | None, stored_hash: str | None) -> bool:
    """Whether ``value`` hashes to ``stored_hash`` (:func:`hash_secret`), compared in
    constant time; a missing value or hash never matches."""
    if not value or not stored_hash:
        return False
    return equal_secrets(hash_secret(value), stored_hash)
