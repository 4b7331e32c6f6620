"""``bind_sqlalchemy_replay``: one-time values as rows with a unique key, on SQLite and
PostgreSQL; the first insert wins, even among concurrent ones, and expired rows go."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqla_app import postgres_engine, postgres_schema
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.pool import StaticPool

from flask_oauthlib_contrib_sqla import ReplayMixin, SQLAlchemyReplayStore, bind_sqlalchemy_replay
from flask_oauthlib_core.testing import concurrently
from flask_oauthlib_provider_oauth2 import OAuth2Provider, ReplayStore, replay_key


class Base(DeclarativeBase):
    pass


class ReplayRecord(ReplayMixin, Base):
    __tablename__ = "oauth2_replay"


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


def rows(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(ReplayRecord)) or 0)


def test_a_key_is_new_once(engine: Engine) -> None:
    store = SQLAlchemyReplayStore(engine, ReplayRecord)
    assert isinstance(store, ReplayStore)
    key = replay_key("dpop", "jkt", uuid.uuid4().hex)
    assert store.first_use(key, 60) is True
    assert store.first_use(key, 60) is False
    assert store.first_use(replay_key("dpop", "jkt", uuid.uuid4().hex), 60) is True


def test_concurrent_inserts_have_one_winner(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("one in-memory SQLite connection serialises everything")
    store = SQLAlchemyReplayStore(engine, ReplayRecord)
    key = replay_key("dpop", uuid.uuid4().hex)
    assert concurrently(lambda: store.first_use(key, 60), 20).count(True) == 1


def test_an_expired_key_is_new_again_and_expired_rows_are_pruned(engine: Engine) -> None:
    clock = Clock()
    store = SQLAlchemyReplayStore(engine, ReplayRecord, clock=clock)
    old = [replay_key("dpop", str(n)) for n in range(3)]
    for key in old:
        assert store.first_use(key, 10)
    clock.now += 11
    assert store.first_use(old[0], 10)  # expired: new again
    assert not store.first_use(old[0], 10)
    clock.now += 61  # the next call prunes every expired row
    assert store.first_use(replay_key("dpop", "fresh"), 10)
    assert rows(engine) == 1


def test_a_replay_does_not_roll_back_the_apps_session(engine: Engine) -> None:
    session = scoped_session(sessionmaker(engine))
    store = SQLAlchemyReplayStore(session, ReplayRecord)
    key = replay_key("dpop", uuid.uuid4().hex)
    pending = ReplayRecord(key=replay_key("app", "row"), expires=2**40)
    session.add(pending)
    assert store.first_use(key, 60)
    assert not store.first_use(key, 60)
    session.commit()  # the app's own pending row is still there to commit
    assert rows(engine) == 2
    session.remove()


def test_bind_registers_the_store_on_the_provider(engine: Engine) -> None:
    oauth = OAuth2Provider()
    store = bind_sqlalchemy_replay(oauth, engine, ReplayRecord)
    assert oauth._replay_store() is store


def test_a_model_without_the_columns_is_refused() -> None:
    with pytest.raises(TypeError, match="key and expires"):
        bind_sqlalchemy_replay(OAuth2Provider(), None, object)
