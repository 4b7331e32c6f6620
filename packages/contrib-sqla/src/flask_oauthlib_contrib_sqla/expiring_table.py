"""What the SQLAlchemy stores of short-lived rows share (one-time values,
:mod:`.replay`; pushed requests, :mod:`.pushed_requests`): statements on an engine of
their own, never in the app's session, and expired rows deleted in bulk at most once a
minute.

.. versionadded:: 1.1
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

__all__ = ["PRUNE_INTERVAL", "ExpiringTable"]

log = logging.getLogger(__name__)

#: seconds between two bulk deletions of expired rows by one store
PRUNE_INTERVAL = 60


class ExpiringTable:
    """The table of ``model``, whose rows have an ``expires`` column (seconds since the
    epoch).

    :param bind: an ``Engine``, or a session (``Session``, ``scoped_session``,
        Flask-SQLAlchemy's ``db.session``) whose ``get_bind()`` gives one.
    :param model: a mapped class with an ``expires`` column.
    :param clock: seconds since the epoch (:func:`time.time`).
    """

    #: what the rows are, for the warning when pruning fails
    rows = "expired rows"

    def __init__(self, bind: Any, model: Any, clock: Any = time.time) -> None:
        self.bind = bind
        self.model = model
        self.clock = clock
        self._table = model.__table__
        self._pruned = 0.0
        self._lock = threading.Lock()

    def _engine(self) -> Engine:
        if isinstance(self.bind, Engine):
            return self.bind
        engine: Engine = self.bind.get_bind()
        return engine

    def _prune(self, engine: Engine, now: int) -> None:
        """Delete every expired row, at most once per :data:`PRUNE_INTERVAL`."""
        with self._lock:
            if now - self._pruned < PRUNE_INTERVAL:
                return
            self._pruned = now
        table = self._table
        try:
            with engine.begin() as conn:
                conn.execute(delete(table).where(table.c.expires < now))
        except SQLAlchemyError as exc:  # housekeeping: try again next time
            log.warning("could not delete %s: %s", self.rows, type(exc).__name__)
