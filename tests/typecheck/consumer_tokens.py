"""A client app keeping its users' tokens with ``bind_consumer_tokens``, as a user writes
it, checked by ``mypy --strict`` (``hatch run types:check``)."""

from __future__ import annotations

from typing import Any

from flask import Flask, session
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker

from flask_oauthlib_client import OAuth, OAuthRemoteApp
from flask_oauthlib_contrib_sqla import (
    ConsumerTokenMixin,
    ConsumerTokenStorage,
    NoCurrentUser,
    bind_consumer_tokens,
)

app = Flask(__name__)
oauth = OAuth(app)
github: OAuthRemoteApp = oauth.remote_app("github", consumer_key="k")
db: scoped_session[Any] = scoped_session(sessionmaker())


class Base(DeclarativeBase):
    pass


class OAuthToken(ConsumerTokenMixin, Base):
    __tablename__ = "oauth_token"


tokens: ConsumerTokenStorage = bind_consumer_tokens(
    github,
    db,
    OAuthToken,
    user_id=lambda: session.get("user_id"),
    encrypt=lambda text: text,
    decrypt=lambda text: text,
)


def callback() -> str:
    token = github.authorized_response()
    try:
        tokens.save(github, token)
    except NoCurrentUser:
        return "sign in first"
    current: dict[str, Any] | None = tokens.get("github", user_id=1)
    return "linked" if current and tokens.delete(github) else "no token"


@github.tokensaver
def save_refreshed(token: dict[str, Any], previous: dict[str, Any]) -> None:
    tokens.save(github, token)
