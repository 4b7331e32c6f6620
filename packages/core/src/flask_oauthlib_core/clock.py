"""One clock for every package: timezone-aware UTC, and expiry checks that accept the
naive UTC datetimes 0.9.6 apps stored.

.. versionadded:: 1.1
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

__all__ = ["as_utc", "is_expired", "utcnow"]


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """``moment`` timezone-aware; a naive datetime is taken as UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def is_expired(expires: Any, now: datetime | None = None) -> bool:
    """Whether ``expires`` lies in the past.

    ``None`` (or anything that is not a datetime) never expires. A naive datetime is
    taken as UTC (as 0.9.6 apps wrote it with ``datetime.utcnow()``); an aware one is
    compared as is.
    """
    if not isinstance(expires, datetime):
        return False
    return bool((now or utcnow()) >= as_utc(expires))
