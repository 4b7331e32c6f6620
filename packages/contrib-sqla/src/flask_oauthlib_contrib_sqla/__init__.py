"""SQLAlchemy 2 storage for the flask-oauthlib OAuth 2 provider, and for the tokens a
client app keeps for its users.

``bind_sqlalchemy`` registers the provider's getters and setters for your models; the
ready mixins store credentials hashed and make codes and refresh tokens single use even
under concurrent requests. ``bind_consumer_tokens`` keeps the tokens a client app got
from remote apps, per user, with ``ConsumerTokenMixin``.
"""

from __future__ import annotations

from .binding import SQLAlchemyBinding, bind_sqlalchemy, binding_for
from .consumer_models import ConsumerTokenMixin
from .consumer_tokens import ConsumerTokenStorage, bind_consumer_tokens
from .consumer_users import NoCurrentUser
from .hashing import hash_secret
from .legacy import BaseBinding, ClientBinding, GrantBinding, TokenBinding, UserBinding
from .models import ClientMixin, GrantMixin, TokenMixin
from .pushed_requests import (
    PushedRequestMixin,
    SQLAlchemyPushedRequestStore,
    bind_sqlalchemy_pushed_requests,
)
from .registered_clients import RegisteredClientMixin
from .replay import ReplayMixin, SQLAlchemyReplayStore, bind_sqlalchemy_replay

__all__ = [
    "BaseBinding",
    "ClientBinding",
    "ClientMixin",
    "ConsumerTokenMixin",
    "ConsumerTokenStorage",
    "GrantBinding",
    "GrantMixin",
    "NoCurrentUser",
    "PushedRequestMixin",
    "RegisteredClientMixin",
    "ReplayMixin",
    "SQLAlchemyBinding",
    "SQLAlchemyPushedRequestStore",
    "SQLAlchemyReplayStore",
    "TokenBinding",
    "TokenMixin",
    "UserBinding",
    "bind_consumer_tokens",
    "bind_sqlalchemy",
    "bind_sqlalchemy_pushed_requests",
    "bind_sqlalchemy_replay",
    "binding_for",
    "hash_secret",
]
