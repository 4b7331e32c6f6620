"""The ready model of an OAuth *client*'s token table: one row per user and remote app.

Subclass :class:`ConsumerTokenMixin` with your declarative base (or ``db.Model``) and
bind it with :func:`~flask_oauthlib_contrib_sqla.bind_consumer_tokens`::

    class OAuthToken(ConsumerTokenMixin, Base):
        __tablename__ = "oauth_token"

The ``token`` column holds bearer credentials (the access token, the refresh token, a
DPoP private key): whoever reads the table can call the remote APIs as your users.

.. versionadded:: 1.1
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from flask_oauthlib_core import utcnow

__all__ = ["ConsumerTokenMixin"]


class ConsumerTokenMixin:
    """The token a user of your app got from one remote app (an OAuth server).

    Columns: ``id``; ``provider``, the remote app's name; ``user_id``, your user's id as
    text (Flask-Login's ``get_id()``); ``token``, the token as JSON text (``access_token``,
    ``refresh_token``, ``expires_at``, ``token_type``, ``scope``, ``id_token`` ... as the
    server answered them, possibly encrypted: see ``encrypt=`` of
    :func:`~flask_oauthlib_contrib_sqla.bind_consumer_tokens`); ``created_at`` and
    ``updated_at`` (timezone-aware UTC). ``(provider, user_id)`` is unique.

    To point ``user_id`` at your users table, declare it again in your model; an
    integer column gets Flask-Login's string ids converted::

        class OAuthToken(ConsumerTokenMixin, Base):
            __tablename__ = "oauth_token"
            user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))

    A model that sets its own ``__table_args__`` must keep the unique constraint:
    ``UniqueConstraint("provider", "user_id")``.

    .. versionadded:: 1.1
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[str] = mapped_column(String(255))
    token: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (UniqueConstraint("provider", "user_id"),)
