"""The error a storage binding raises when its backend cannot answer."""

from __future__ import annotations

__all__ = ["StorageUnavailable"]


class StorageUnavailable(RuntimeError):
    """The database or cache behind a provider is down or a write failed.

    Providers answer it with the OAuth error ``temporarily_unavailable`` (HTTP 503)
    instead of a 500, and never issue a token after it. Bindings raise it chained to
    the driver's own exception.
    """
