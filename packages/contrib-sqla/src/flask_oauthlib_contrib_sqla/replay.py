"""``bind_sqlalchemy_replay``: the one-time values of an OAuth 2 provider (DPoP proof
and client assertion ``jti``) in a database table shared by every worker.

Each value is a row whose primary key is the provider's hashed ``replay_key``: the
first ``INSERT`` wins, any other (on any process or machine) hits the unique key and
is a replay. Rows past their ``expires`` are deleted as they are met again, and every
minute in bulk. Works on SQLite and PostgreSQL (any database with primary keys)::

    class ReplayRecord(ReplayMixin, Base):
        __tablename__ = "oauth2_replay"

    bind_sqlalchemy_replay(oauth, db.session, ReplayRecord)

.. versionadded:: 1.1
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import BigInteger, String, delete, insert
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from flask_oauthlib_core import StorageUnavailable

from .expiring_table import ExpiringTable

__all__ = ["ReplayMixin", "SQLAlchemyReplayStore", "bind_sqlalchemy_replay"]

log = logging.getLogger(__name__)


class ReplayMixin:
    """A recorded one-time value: ``key`` (the hashed ``replay_key``, unique) and
    ``expires`` (seconds since the epoch, indexed for pruning).

    .. versionadded:: 1.1
    """

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires: Mapped[int] = mapped_column(BigInteger, index=True)


class SQLAlchemyReplayStore(ExpiringTable):
    """A replay store (``flask_oauthlib_provider_oauth2.ReplayStore``) on a table.

    Every record is written on a connection of its own and committed at once, never in
    the app's session: a replay found does not roll back the request's other work.

    :param bind: an ``Engine``, or a session (``Session``, ``scoped_session``,
        Flask-SQLAlchemy's ``db.session``) whose ``get_bind()`` gives one.
    :param model: a mapped class with :class:`ReplayMixin` (or its columns).
    :param clock: seconds since the epoch (:func:`time.time`).

    .. versionadded:: 1.1
    """

    rows = "expired replay records"

    def first_use(self, key: str, expires_in: int) -> bool:
        """Record ``key`` for ``expires_in`` seconds (at least one); ``True`` if it was
        new.

        :raises flask_oauthlib_core.StorageUnavailable: when the database fails (the
            provider answers 503, never accepting the value unchecked).
        """
        now = int(self.clock())
        table = self._table
        try:
            engine = self._engine()
            self._prune(engine, now)
            with engine.begin() as conn:
                # an expired record of this key is gone, so the key counts as new
                conn.execute(delete(table).where(table.c.key == key, table.c.expires < now))
                conn.execute(insert(table).values(key=key, expires=now + max(1, int(expires_in))))
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            log.debug("database error recording a one-time value: %s", type(exc).__name__)
            raise StorageUnavailable("the replay store database failed") from exc
        return True


def bind_sqlalchemy_replay(provider: Any, bind: Any, model: Any) -> SQLAlchemyReplayStore:
    """Keep ``provider``'s one-time values in the table of ``model`` (a mapped class
    with :class:`ReplayMixin`), registered with ``provider.replay_store``::

        bind_sqlalchemy_replay(oauth, db.session, ReplayRecord)

    :param provider: the ``OAuth2Provider``.
    :param bind: an ``Engine`` or a session (see :class:`SQLAlchemyReplayStore`).
    :param model: the replay record model.
    :raises TypeError: if ``model`` has no ``key`` and ``expires`` columns.

    .. versionadded:: 1.1
    """
    table = getattr(model, "__table__", None)
    columns = getattr(table, "c", None)
    if columns is None or "key" not in columns or "expires" not in columns:
        raise TypeError("the replay model needs the key and expires columns of ReplayMixin")
    store = SQLAlchemyReplayStore(bind, model)
    provider.replay_store(store)
    return store
