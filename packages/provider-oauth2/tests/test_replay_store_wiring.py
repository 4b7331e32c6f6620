"""``oauth.replay_store``: the validator's replay store, one per provider (kept across
rebuilt servers) unless the app registers a shared one."""

from __future__ import annotations

import pytest
from oauth2_app import create_app

from flask_oauthlib_provider_oauth2 import MemoryReplayStore, ReplayStore, replay_key


def test_the_default_store_survives_a_rebuilt_server() -> None:
    app, oauth, store = create_app()
    with app.test_request_context():
        first = oauth.server.request_validator.replay_store
        assert isinstance(first, MemoryReplayStore)
        assert first.first_use(replay_key("dpop", "a"), 60)
        oauth.tokensetter(store.functions["tokensetter"])  # registering again rebuilds
        second = oauth.server.request_validator.replay_store
        assert second is first
        assert not second.first_use(replay_key("dpop", "a"), 60)


def test_a_registered_store_is_the_validators() -> None:
    app, oauth, _store = create_app()
    shared = MemoryReplayStore()
    assert oauth.replay_store(shared) is shared
    with app.test_request_context():
        assert oauth.server.request_validator.replay_store is shared
    assert isinstance(shared, ReplayStore)


def test_something_that_is_no_store_is_refused() -> None:
    _app, oauth, _store = create_app()
    with pytest.raises(TypeError, match="first_use"):
        oauth.replay_store(object())  # type: ignore[arg-type]


def test_an_assigned_validator_keeps_its_own_store() -> None:
    app, oauth, _store = create_app()
    with app.test_request_context():
        validator = oauth.server.request_validator
    own = MemoryReplayStore()
    validator.replay_store = own
    oauth._validator = validator
    with app.test_request_context():
        assert oauth.server.request_validator.replay_store is own
