"""The one environment variable allowed to weaken a default, and its warning."""

from __future__ import annotations

import logging
import os

__all__ = ["warn_if_insecure_transport"]

INSECURE_TRANSPORT_WARNING = (
    "OAUTHLIB_INSECURE_TRANSPORT is set: OAuth runs over plain HTTP. Use it for local"
    " development only."
)


def warn_if_insecure_transport(logger: logging.Logger) -> bool:
    """Log a warning on ``logger`` if ``OAUTHLIB_INSECURE_TRANSPORT`` is set; say if it is."""
    if os.environ.get("OAUTHLIB_INSECURE_TRANSPORT"):
        logger.warning(INSECURE_TRANSPORT_WARNING)
        return True
    return False
