"""Expiry checks that accept the naive UTC datetimes 0.9.6 apps store."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

__all__ = ["is_expired", "utcnow"]


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def is_expired(expires: Any, now: datetime | None = None) -> bool:
    """Whether ``expires`` lies in the past.

    ``None`` never expires. A naive datetime is taken as UTC (as 0.9.6 apps wrote it
    with ``datetime.utcnow()``); an aware one is compared as is.
    """
    if expires is None:
        return False
    if not isinstance(expires, datetime):
        return False
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=timezone.utc)
    return bool((now or utcnow()) >= expires)
