"""The error a storage binding raises when its backend cannot answer."""

from __future__ import annotations

import logging

__all__ = ["StorageUnavailable", "log_unavailable"]


class StorageUnavailable(RuntimeError):
    """The database or cache behind a provider is down or a write failed.

    Providers answer it with the OAuth error ``temporarily_unavailable`` (HTTP 503)
    instead of a 500, and never issue a token after it. Bindings raise it chained to
    the driver's own exception.
    """


def log_unavailable(logger: logging.Logger, where: str, exc: StorageUnavailable) -> None:
    """Log a storage failure as one short WARNING line: where it happened and the class of
    the driver's error. No traceback: a driver's error text can carry SQL parameters
    (client ids, plaintext codes of 0.9.6-style tables), and a request that fails the
    same way every time must not flood the log.

    .. versionadded:: 1.1
    """
    cause = exc.__cause__
    reason = type(cause).__name__ if cause is not None else "no driver error"
    logger.warning("storage unavailable %s: %s (%s)", where, exc, reason)
