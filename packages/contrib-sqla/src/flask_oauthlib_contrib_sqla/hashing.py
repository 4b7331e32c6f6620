"""How credentials are stored: SHA-256, so a database leak leaks nothing usable.

The hash lives in :mod:`flask_oauthlib_core` (the provider hashes registration access
tokens with it too); these are its names in this distribution.
"""

from __future__ import annotations

from flask_oauthlib_core import hash_secret, matches_hash

__all__ = ["hash_secret", "secret_matches"]

#: whether ``value`` hashes to ``stored_hash``, compared in constant time
secret_matches = matches_hash
