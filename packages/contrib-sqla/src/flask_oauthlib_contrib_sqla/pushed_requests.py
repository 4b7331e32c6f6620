"""``bind_sqlalchemy_pushed_requests``: an OAuth 2 provider's pushed authorization
requests (RFC 9126) in a database table shared by every worker.

A pushed request is a row: the provider's hashed key of its ``request_uri``, the record
as JSON text, and when it expires. :meth:`SQLAlchemyPushedRequestStore.take` deletes the
row and returns what it held in one statement (``DELETE ... RETURNING`` on SQLite 3.35+
and PostgreSQL; elsewhere the one ``DELETE`` that removed the row wins), so of
concurrent takes of one ``request_uri`` at most one gets the request. Expired rows are
ignored, and deleted every minute in bulk::

    class PushedRequest(PushedRequestMixin, Base):
        __tablename__ = "oauth2_pushed_request"

    bind_sqlalchemy_pushed_requests(oauth, db.session, PushedRequest)

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import BigInteger, String, Text, delete, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from flask_oauthlib_core import StorageUnavailable

from .expiring_table import ExpiringTable

__all__ = [
    "PushedRequestMixin",
    "SQLAlchemyPushedRequestStore",
    "bind_sqlalchemy_pushed_requests",
]

log = logging.getLogger(__name__)


class PushedRequestMixin:
    """A pushed authorization request: ``key`` (the provider's hashed key, unique),
    ``record`` (JSON text: the client, the checked parameters; never a secret) and
    ``expires`` (seconds since the epoch, indexed for pruning).

    .. versionadded:: 1.1
    """

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    record: Mapped[str] = mapped_column(Text)
    expires: Mapped[int] = mapped_column(BigInteger, index=True)


def _record(text: Any) -> dict[str, Any] | None:
    try:
        record = json.loads(text)
    except (TypeError, ValueError):
        return None
    return record if isinstance(record, dict) else None


class SQLAlchemyPushedRequestStore(ExpiringTable):
    """A pushed request store (``flask_oauthlib_provider_oauth2.PushedRequestStore``) on
    a table.

    Every statement runs on a connection of its own and is committed at once, never in
    the app's session.

    :param bind: an ``Engine``, or a session (``Session``, ``scoped_session``,
        Flask-SQLAlchemy's ``db.session``) whose ``get_bind()`` gives one.
    :param model: a mapped class with :class:`PushedRequestMixin` (or its columns).
    :param clock: seconds since the epoch (:func:`time.time`).

    .. versionadded:: 1.1
    """

    rows = "expired pushed requests"

    def _failed(self, exc: SQLAlchemyError) -> StorageUnavailable:
        log.debug("database error on a pushed request: %s", type(exc).__name__)
        return StorageUnavailable("the pushed request database failed")

    def save(self, key: str, record: Mapping[str, Any], expires_in: int) -> None:
        """Keep ``record`` for ``expires_in`` seconds (at least one).

        :raises flask_oauthlib_core.StorageUnavailable: when the database fails.
        """
        now = int(self.clock())
        table = self._table
        try:
            engine = self._engine()
            self._prune(engine, now)
            with engine.begin() as conn:
                conn.execute(delete(table).where(table.c.key == key))
                conn.execute(
                    insert(table).values(
                        key=key,
                        record=json.dumps(dict(record)),
                        expires=now + max(1, int(expires_in)),
                    )
                )
        except SQLAlchemyError as exc:
            raise self._failed(exc) from exc

    def peek(self, key: str) -> dict[str, Any] | None:
        """The unexpired record kept under ``key``, left in place."""
        table = self._table
        try:
            with self._engine().connect() as conn:
                text = conn.scalar(
                    select(table.c.record).where(
                        table.c.key == key, table.c.expires > int(self.clock())
                    )
                )
        except SQLAlchemyError as exc:
            raise self._failed(exc) from exc
        return None if text is None else _record(text)

    def take(self, key: str) -> dict[str, Any] | None:
        """The unexpired record kept under ``key``, deleted in the same step: of
        concurrent takes, at most one gets it."""
        table = self._table
        now = int(self.clock())
        try:
            engine = self._engine()
            with engine.begin() as conn:
                if engine.dialect.delete_returning:
                    row = conn.execute(
                        delete(table)
                        .where(table.c.key == key)
                        .returning(table.c.record, table.c.expires)
                    ).first()
                else:  # pragma: no cover - SQLite and PostgreSQL both return
                    row = conn.execute(
                        select(table.c.record, table.c.expires).where(table.c.key == key)
                    ).first()
                    gone = conn.execute(delete(table).where(table.c.key == key)).rowcount
                    row = row if gone == 1 else None
        except SQLAlchemyError as exc:
            raise self._failed(exc) from exc
        if row is None or row[1] <= now:
            return None
        return _record(row[0])


def bind_sqlalchemy_pushed_requests(
    provider: Any, bind: Any, model: Any
) -> SQLAlchemyPushedRequestStore:
    """Keep ``provider``'s pushed authorization requests in the table of ``model`` (a
    mapped class with :class:`PushedRequestMixin`), registered with
    ``provider.pushed_request_store``::

        bind_sqlalchemy_pushed_requests(oauth, db.session, PushedRequest)

    :raises TypeError: if ``model`` lacks the ``key``, ``record`` and ``expires``
        columns.

    .. versionadded:: 1.1
    """
    columns = getattr(getattr(model, "__table__", None), "c", None)
    if columns is None or not all(name in columns for name in ("key", "record", "expires")):
        raise TypeError(
            "the pushed request model needs the key, record and expires columns of"
            " PushedRequestMixin"
        )
    store = SQLAlchemyPushedRequestStore(bind, model)
    provider.pushed_request_store(store)
    return store
