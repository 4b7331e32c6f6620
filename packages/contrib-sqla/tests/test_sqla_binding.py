"""``bind_sqlalchemy`` without back doors: it sets nothing on the provider or on the grant
class, the ``flask oauth2`` commands find it with ``binding_for``, and a replayed code
still revokes the tokens it issued, because each grant the binding loads is given the
token model."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqla_app import Grant, Live, Token, bind, create_app, database, seed
from sqlalchemy import select
from sqlalchemy.orm import scoped_session, sessionmaker

from flask_oauthlib_contrib_sqla import GrantBinding, binding_for, hash_secret
from flask_oauthlib_core import utcnow
from flask_oauthlib_provider_oauth2 import OAuth2Provider


@pytest.fixture
def session() -> Iterator[Any]:
    with database("sqlite") as engine:
        session = scoped_session(sessionmaker(engine))
        seed(session)
        yield session
        session.remove()


def issued_from_a_code(session: Any, code: str = "the-code") -> int:
    """Store a redeemed code of client ``confidential`` and the token issued for it; return
    the token's id."""
    grant = Grant(
        client_id="confidential",
        code_hash=hash_secret(code),
        expires=utcnow() + timedelta(seconds=100),
        user_id=1,
        redeemed=True,
    )
    session.add(grant)
    session.flush()
    token = Token(
        client_id="confidential",
        user_id=1,
        access_token_hash=hash_secret("access-" + code),
        family="family-" + code,
        grant_id=grant.id,
    )
    session.add(token)
    session.flush()
    token_id = token.id
    session.commit()
    session.expunge_all()
    return token_id


def test_binding_sets_nothing_on_the_provider_or_the_grant_class(session: Any) -> None:
    oauth = OAuth2Provider(Flask("bare"))
    provider_attributes = set(vars(oauth))
    grant_class = dict(vars(Grant))
    binding = bind(oauth, session)
    assert set(vars(oauth)) == provider_attributes
    assert dict(vars(Grant)) == grant_class
    assert "__token_model__" not in vars(Grant) and Grant.__token_model__ is None
    assert binding_for(oauth) is binding
    # a second binding replaces the first; other objects have none
    again = bind(oauth, session)
    assert binding_for(oauth) is again and again is not binding
    assert binding_for(OAuth2Provider()) is None and binding_for(None) is None


def test_a_loaded_grant_carries_the_token_model_and_revokes(session: Any) -> None:
    binding = bind(OAuth2Provider(Flask("bare")), session)
    token_id = issued_from_a_code(session)
    grant = binding.get_grant("confidential", "the-code")
    assert grant.__token_model__ is Token and "__token_model__" not in vars(Grant)
    grant.revoke_issued_tokens()  # what the provider calls on a replay
    assert session.get(Token, token_id).revoked is True


def test_a_token_model_set_on_the_class_keeps_working(
    session: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    token_id = issued_from_a_code(session)
    # GrantBinding has no token model to give: without one on the class nothing is
    # revoked, and the log says why
    grant = GrantBinding(Grant, session, lambda: None).get("confidential", "the-code")
    with caplog.at_level(logging.WARNING, "flask_oauthlib_contrib_sqla"):
        grant.revoke_issued_tokens()
    assert "has no __token_model__" in caplog.text
    assert session.get(Token, token_id).revoked is False
    monkeypatch.setattr(Grant, "__token_model__", Token)
    session.expunge_all()
    grant = GrantBinding(Grant, session, lambda: None).get("confidential", "the-code")
    grant.revoke_issued_tokens()
    assert session.get(Token, token_id).revoked is True
    # and it wins over the binding's, which gives only grants whose class names none
    chosen = object()
    monkeypatch.setattr(Grant, "__token_model__", chosen)
    grant = bind(OAuth2Provider(Flask("bare")), session).get_grant("confidential", "the-code")
    assert grant.__token_model__ is chosen and "__token_model__" not in vars(grant)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_code_replay_revokes_with_the_grant_class_untouched(
    kind: str, serve: Callable[[Flask], str]
) -> None:
    grant_class = dict(vars(Grant))
    with database(kind) as engine:
        app, oauth, session = create_app(engine)  # bind_sqlalchemy(..., grant=Grant)
        assert dict(vars(Grant)) == grant_class
        live = Live(app, session, serve(app))
        code = live.code()
        access = live.redeem(code).json()["access_token"]
        assert live.me(access).status_code == 200
        assert live.redeem(code).json()["error"] == "invalid_grant"
        assert live.me(access).status_code == 401
        session.remove()
        assert [t.revoked for t in session.execute(select(Token)).scalars()] == [True]
        assert dict(vars(Grant)) == grant_class and binding_for(oauth) is not None
        session.remove()
