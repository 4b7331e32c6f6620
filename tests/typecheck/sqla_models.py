"""The ready SQLAlchemy models satisfy the provider's storage Protocols, and a getter
returning them is accepted by the registration decorators (checked by ``mypy --strict``
in ``hatch run types:check``; each ``type: ignore`` must be needed)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from flask_oauthlib_contrib_sqla import ClientMixin, GrantMixin, TokenMixin
from flask_oauthlib_provider_oauth2 import (
    OAuth2Provider,
    StoredClient,
    StoredGrant,
    StoredToken,
)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))


class Client(ClientMixin, Base):
    __tablename__ = "client"


class Grant(GrantMixin, Base):
    __tablename__ = "grant"


class Token(TokenMixin, Base):
    __tablename__ = "token"


class NoScopes:
    """Not a grant: it has no scopes."""

    user: Any = None


def storage_objects(client: Client, grant: Grant, token: Token) -> list[Any]:
    as_client: StoredClient = client
    as_grant: StoredGrant = grant
    as_token: StoredToken = token
    not_a_grant: StoredGrant = NoScopes()  # type: ignore[assignment]
    return [as_client, as_grant, as_token, not_a_grant]


oauth = OAuth2Provider(Flask(__name__))


@oauth.clientgetter
def load_client(client_id: str) -> Client | None:
    return None


@oauth.grantgetter
def load_grant(client_id: str, code: str) -> Grant | None:
    return None


@oauth.tokengetter
def load_token(access_token: str | None = None, refresh_token: str | None = None) -> Token | None:
    return None


@oauth.grantgetter  # type: ignore[type-var]
def load_something_else(client_id: str, code: str) -> NoScopes | None:
    return None
