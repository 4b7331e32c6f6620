"""The password grant with ``bind_sqlalchemy``: a user model without
``check_password`` (as many apps' models are) leaves the grant unsupported, a clean 400,
never a 500."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

from flask_oauthlib_contrib_sqla import ClientMixin, GrantMixin, TokenMixin, bind_sqlalchemy
from flask_oauthlib_provider_oauth2 import OAuth2Provider


class Base(DeclarativeBase):
    pass


class User(Base):  # no check_password
    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)


class Client(ClientMixin, Base):
    __tablename__ = "oauth2_client"


class Grant(GrantMixin, Base):
    __tablename__ = "oauth2_grant"


class Token(TokenMixin, Base):
    __tablename__ = "oauth2_token"


def test_a_user_model_without_check_password_offers_no_password_grant() -> None:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(engine)
    session = scoped_session(sessionmaker(engine))
    alice = User(id=1, username="alice")
    client = Client(client_id="app", is_confidential=True, user=alice)
    client.redirect_uris = ["https://app.example/cb"]
    client.default_scopes = ["email"]
    client.set_client_secret("s3cret")
    session.add_all([alice, client])
    session.commit()
    app = Flask(__name__)
    oauth = OAuth2Provider(app)
    bind_sqlalchemy(oauth, session, user=User, client=Client, token=Token, grant=Grant)

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def token() -> Any:
        return None

    data = {"grant_type": "password", "username": "alice", "password": "anything"}
    answer = app.test_client().post(
        "/oauth/token", data=data, auth=("app", "s3cret"), base_url="https://localhost"
    )
    assert answer.status_code == 400 and answer.json["error"] == "unsupported_grant_type"
    session.remove()
