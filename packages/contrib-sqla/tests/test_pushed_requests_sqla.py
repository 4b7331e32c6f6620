"""``bind_sqlalchemy_pushed_requests``: pushed authorization requests as rows, on SQLite
and PostgreSQL; a take deletes and returns in one step, so of concurrent takes exactly
one gets the request; expired rows count as gone and are pruned."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqla_app import postgres_engine, postgres_schema
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.pool import StaticPool

from flask_oauthlib_contrib_sqla import (
    PushedRequestMixin,
    SQLAlchemyPushedRequestStore,
    bind_sqlalchemy_pushed_requests,
)
from flask_oauthlib_core.testing import concurrently
from flask_oauthlib_provider_oauth2 import OAuth2Provider
from flask_oauthlib_provider_oauth2.pushed_requests import PushedRequestStore, pushed_request_key

RECORD = {"client_id": "c", "params": {"scope": "email"}, "expires_at": 2**40, "signed": True}


class Base(DeclarativeBase):
    pass


class PushedRequest(PushedRequestMixin, Base):
    __tablename__ = "oauth2_pushed_request"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_engine(
            "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
        )
        Base.metadata.create_all(engine)
        yield engine
        engine.dispose()
        return
    with postgres_schema() as schema:
        engine = postgres_engine(schema, pool_size=25)
        Base.metadata.create_all(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def key() -> str:
    return pushed_request_key("urn:ietf:params:oauth:request_uri:" + uuid.uuid4().hex)


def rows(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(PushedRequest)) or 0)


def test_save_peek_take(engine: Engine) -> None:
    store = SQLAlchemyPushedRequestStore(engine, PushedRequest)
    assert isinstance(store, PushedRequestStore)
    k = key()
    assert store.peek(k) is None and store.take(k) is None
    store.save(k, RECORD, 60)
    assert store.peek(k) == RECORD
    assert store.peek(k) == RECORD
    assert store.take(k) == RECORD
    assert store.take(k) is None and store.peek(k) is None
    assert rows(engine) == 0


def test_twenty_concurrent_takes_have_one_winner(engine: Engine, tmp_path: Path) -> None:
    if engine.dialect.name == "sqlite":  # a file, so each thread has a connection of its own
        engine = create_engine(f"sqlite:///{tmp_path / 'par.db'}")
        Base.metadata.create_all(engine)
    store = SQLAlchemyPushedRequestStore(engine, PushedRequest)
    k = key()
    store.save(k, RECORD, 60)
    results = concurrently(lambda: store.take(k), 20)
    assert [r for r in results if r is not None] == [RECORD]


def test_expired_rows_are_gone_and_pruned(engine: Engine) -> None:
    clock = Clock()
    store = SQLAlchemyPushedRequestStore(engine, PushedRequest, clock=clock)
    old, fresh = key(), key()
    store.save(old, RECORD, 10)
    clock.now += 11
    assert store.peek(old) is None and store.take(old) is None
    store.save(old, RECORD, 10)
    clock.now += 120
    store.save(fresh, RECORD, 60)  # prunes the expired row
    assert rows(engine) == 1
    assert store.take(fresh) == RECORD


def test_bind_registers_the_store(engine: Engine) -> None:
    oauth = OAuth2Provider()
    store = bind_sqlalchemy_pushed_requests(oauth, engine, PushedRequest)
    assert oauth._getters["pushed_request_store"] is store
    with pytest.raises(TypeError, match="PushedRequestMixin"):
        bind_sqlalchemy_pushed_requests(oauth, engine, object())
