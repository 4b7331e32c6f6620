"""SQLAlchemy 2 storage for the flask-oauthlib OAuth 2 provider.

``bind_sqlalchemy`` registers the provider's getters and setters for your models; the
ready mixins store credentials hashed and make codes and refresh tokens single use even
under concurrent requests.
"""

from __future__ import annotations

from .binding import SQLAlchemyBinding, bind_sqlalchemy, binding_for
from .hashing import hash_secret
from .legacy import BaseBinding, ClientBinding, GrantBinding, TokenBinding, UserBinding
from .models import ClientMixin, GrantMixin, TokenMixin
from .registered_clients import RegisteredClientMixin

__all__ = [
    "BaseBinding",
    "ClientBinding",
    "ClientMixin",
    "GrantBinding",
    "GrantMixin",
    "RegisteredClientMixin",
    "SQLAlchemyBinding",
    "TokenBinding",
    "TokenMixin",
    "UserBinding",
    "bind_sqlalchemy",
    "binding_for",
    "hash_secret",
]
