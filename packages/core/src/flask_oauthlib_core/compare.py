"""One constant-time comparison for secrets, signatures and tokens.

.. versionadded:: 1.1
"""

from __future__ import annotations

import hmac
from typing import Any

__all__ = ["equal_secrets"]


def equal_secrets(given: Any, expected: Any) -> bool:
    """Whether two secrets are equal, compared in constant time as UTF-8 text.

    ``None`` equals nothing, not even ``None``: a missing secret never matches.
    """
    if given is None or expected is None:
        return False
    return hmac.compare_digest(str(given).encode("utf-8"), str(expected).encode("utf-8"))
