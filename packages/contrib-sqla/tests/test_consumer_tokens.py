"""``bind_consumer_tokens``: a client app keeps its users' tokens in a table, per user and
remote app, logging in with our provider over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask
from flask import session as cookie
from flask.testing import FlaskClient
from sqlalchemy import text

pytest.importorskip("flask_oauthlib_client")

from consumer_app import (  # noqa: E402
    REMOTE,
    ConsumerToken,
    LinkedToken,
    World,
    client_app,
    consumer_db,
    expire,
    memory_engine,
    world,
)

from flask_oauthlib_client import OAuth, OAuthException  # noqa: E402
from flask_oauthlib_contrib_sqla import (  # noqa: E402
    ConsumerTokenStorage,
    NoCurrentUser,
    bind_consumer_tokens,
)
from flask_oauthlib_core import StorageUnavailable  # noqa: E402
from flask_oauthlib_core.testing import go_to_provider  # noqa: E402


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, serve: Any) -> Iterator[World]:
    with world(str(request.param), serve) as made:
        yield made


@pytest.fixture(params=["user_id", "flask_login"])
def mode(request: pytest.FixtureRequest) -> str:
    if request.param == "flask_login":
        pytest.importorskip("flask_login")
    return str(request.param)


def model_for(mode: str) -> type[Any]:
    """The ready model as it is, and with Flask-Login an integer foreign key."""
    return LinkedToken if mode == "flask_login" else ConsumerToken


def link(browser: FlaskClient, hint: str) -> Any:
    """Log in with the provider as ``hint`` (the user allows); the callback's answer."""
    return browser.get(go_to_provider(browser, login=f"/link/{hint}", allow=True)).get_json()


def stored(live: World, mode: str) -> dict[Any, dict[str, Any]]:
    """The stored tokens by ``(provider, user_id)``."""
    return {(r.provider, r.user_id): json.loads(r.token) for r in live.rows(model_for(mode))}


def test_login_saves_the_token_for_the_user_logged_in(live: World, mode: str) -> None:
    app, _, _ = client_app(live, mode, model_for(mode))
    with app.test_client() as browser:
        browser.get("/signin/1")
        assert link(browser, "alice") == {"saved": True}
        assert browser.get("/me").get_json() == {"username": "alice"}
    rows = live.rows(model_for(mode))
    assert [(row.provider, row.user_id) for row in rows] == [
        (REMOTE, 1 if mode == "flask_login" else "1")
    ]
    token = json.loads(rows[0].token)
    assert token["token_type"] == "Bearer" and token["scope"] == "email"
    assert token["access_token"] and token["refresh_token"]
    assert token["expires_at"] > time.time()
    assert rows[0].created_at is not None and rows[0].updated_at is not None


def test_two_users_get_separate_tokens_and_anonymous_none(live: World, mode: str) -> None:
    app, _, tokens = client_app(live, mode, model_for(mode))
    ann, ben, anonymous = app.test_client(), app.test_client(), app.test_client()
    ann.get("/signin/1")
    ben.get("/signin/2")
    assert link(ann, "alice") == {"saved": True}
    assert link(ben, "bob") == {"saved": True}
    assert ann.get("/me").get_json() == {"username": "alice"}
    assert ben.get("/me").get_json() == {"username": "bob"}
    by_user = stored(live, mode)
    assert len(by_user) == 2
    ann_token, ben_token = (by_user[key] for key in sorted(by_user))
    assert ann_token["access_token"] != ben_token["access_token"]
    # nobody logged in: no token, the remote call raises token_missing; a login saves nothing
    answer = anonymous.get("/me")
    assert answer.status_code == 401 and answer.get_json() == {"error": "token_missing"}
    assert link(anonymous, "alice") == {"error": "sign in first"}
    assert len(stored(live, mode)) == 2
    with app.test_request_context():
        assert tokens.current_user_id() is None
        assert tokens.get(REMOTE) is None and tokens.delete(REMOTE) is False
        with pytest.raises(NoCurrentUser):
            tokens.save(REMOTE, ann_token)


def test_expired_token_is_refreshed_and_the_new_one_kept(live: World, mode: str) -> None:
    app, _, tokens = client_app(live, mode, model_for(mode))
    with app.test_client() as browser:
        browser.get("/signin/1")
        link(browser, "alice")
        old = expire(app, tokens, 1)
        assert browser.get("/me").get_json() == {"username": "alice"}
    (new,) = stored(live, mode).values()
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]  # rotated by the provider
    assert new["expires_at"] > time.time()
    # a new app (a restarted worker) and a new request use the stored, refreshed token
    again, _, again_tokens = client_app(live, mode, model_for(mode))
    with again.app_context():
        assert again_tokens.get(REMOTE, user_id=1) == new
    with again.test_client() as browser:
        browser.get("/signin/1")
        assert browser.get("/me").get_json() == {"username": "alice"}
    assert list(stored(live, mode).values()) == [new]  # not refreshed again
    # the refresh token it replaced is spent: the provider refuses it
    spent = requests.post(
        live.url + "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": old["refresh_token"]},
        auth=("confidential", "s3cret"),
        timeout=10,
    )
    assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant"


def test_another_users_token_refreshed_in_a_request_stays_theirs(
    live: World, caplog: pytest.LogCaptureFixture
) -> None:
    app, remote, tokens = client_app(live)
    for uid, hint in ((1, "alice"), (2, "bob")):
        with app.test_client() as browser:
            browser.get(f"/signin/{uid}")
            link(browser, hint)
    before = stored(live, "user_id")
    expire(app, tokens, 2)
    with app.test_request_context():
        cookie["uid"] = 1  # ann's request uses ben's token, as an admin view might
        bens = tokens.get(REMOTE, user_id=2)
        assert remote.get("me", token=bens).data == {"username": "bob"}
    after = stored(live, "user_id")
    assert after[(REMOTE, "1")] == before[(REMOTE, "1")]
    assert after[(REMOTE, "2")]["refresh_token"] != before[(REMOTE, "2")]["refresh_token"]
    # a token the storage did not hand out is refreshed, and saved for nobody
    outside = requests.post(
        live.url + "/oauth/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": after[(REMOTE, "1")]["refresh_token"],
        },
        auth=("confidential", "s3cret"),
        timeout=10,
    ).json()
    outside["expires_at"] = int(time.time()) - 1
    caplog.set_level(logging.DEBUG)
    with app.test_request_context():
        cookie["uid"] = 1
        assert remote.get("me", token=outside).data == {"username": "alice"}
    assert stored(live, "user_id") == after
    assert "was not saved" in caplog.text
    assert outside["access_token"] not in caplog.text
    assert outside["refresh_token"] not in caplog.text


def test_encrypted_tokens(live: World) -> None:
    def encrypt(plain: str) -> str:
        return "sealed:" + plain[::-1]

    def decrypt(sealed: str) -> str:
        return sealed.removeprefix("sealed:")[::-1]

    app, _, tokens = client_app(live, encrypt=encrypt, decrypt=decrypt)
    with app.test_client() as browser:
        browser.get("/signin/1")
        link(browser, "alice")
        assert browser.get("/me").get_json() == {"username": "alice"}
    (row,) = live.rows()
    assert row.token.startswith("sealed:") and "access_token" not in row.token
    with app.app_context():
        token = tokens.get(REMOTE, user_id=1)
        assert token is not None and token["refresh_token"] in row.token[::-1]
        wrong = ConsumerTokenStorage(live.db, ConsumerToken, user_id=lambda: 1)
        with pytest.raises(ValueError, match="no JSON object") as info:
            wrong.get(REMOTE)
        assert token["access_token"] not in str(info.value)


# -- without a provider ---------------------------------------------------------------------


@pytest.fixture
def local() -> Iterator[World]:
    """The client app's database alone, in memory."""
    engine = memory_engine()
    db = consumer_db(engine)
    yield World("sqlite", "", db)
    db.remove()
    engine.dispose()


def test_delete_and_upsert(local: World) -> None:
    tokens = ConsumerTokenStorage(local.db, ConsumerToken, user_id=lambda: "1")
    app = Flask("t")
    with app.app_context():
        tokens.save(REMOTE, {"access_token": "a1"})
        first = local.rows()[0].updated_at
        tokens.save(REMOTE, {"access_token": "a2"})
        tokens.save("other", {"access_token": "o"}, user_id=2)
        assert tokens.get(REMOTE) == {"access_token": "a2"}
        (row, other) = local.rows()
        assert row.updated_at >= first and other.user_id == "2"
        assert tokens.delete(REMOTE) is True and tokens.delete(REMOTE) is False
        assert tokens.get(REMOTE) is None and tokens.get("other", user_id=2) is not None
        with pytest.raises(TypeError, match="dict"):
            tokens.save(REMOTE, ("token", "secret"))


def test_a_row_inserted_meanwhile_is_updated(local: World, monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = ConsumerTokenStorage(local.db, ConsumerToken, user_id=lambda: "1")
    with Flask("t").app_context():
        tokens.save(REMOTE, {"access_token": "first"})
        real_row = tokens._row
        misses = iter([None])  # the first look finds nothing: another request inserts
        monkeypatch.setattr(tokens, "_row", lambda *a: next(misses, real_row(*a)))
        tokens.save(REMOTE, {"access_token": "second"})
        assert [json.loads(r.token) for r in local.rows()] == [{"access_token": "second"}]


def test_a_failing_database_raises_storage_unavailable_without_the_token(
    local: World, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = ConsumerTokenStorage(local.db, ConsumerToken, user_id=lambda: "1")
    with Flask("t").app_context():
        tokens.save(REMOTE, {"access_token": "secret-access"})
        local.db.execute(text("DROP TABLE consumer_token"))
        local.db.commit()
        caplog.set_level(logging.DEBUG)
        for call in (
            lambda: tokens.get(REMOTE),
            lambda: tokens.save(REMOTE, {"access_token": "secret-access"}),
            lambda: tokens.delete(REMOTE),
        ):
            with pytest.raises(StorageUnavailable) as info:
                call()
            # nothing linked: PostgreSQL quotes the failing row (the token) in its errors
            assert info.value.__cause__ is None and info.value.__context__ is None
    assert "token storage failed" in caplog.text
    assert "secret-access" not in caplog.text


def test_binding_errors(local: World) -> None:
    oauth = OAuth()
    with pytest.raises(ValueError, match="no remote apps"):
        bind_consumer_tokens(oauth, local.db, ConsumerToken, user_id=lambda: 1)
    with pytest.raises(TypeError, match="remote app or an OAuth registry"):
        bind_consumer_tokens(object(), local.db, ConsumerToken, user_id=lambda: 1)
    with pytest.raises(TypeError, match="not both"):
        ConsumerTokenStorage(local.db, ConsumerToken, user_id=lambda: 1, current_user=object())
    with pytest.raises(TypeError, match="encrypt"):
        ConsumerTokenStorage(local.db, ConsumerToken, user_id=lambda: 1, encrypt=str)
    with pytest.raises(TypeError, match="columns"):
        ConsumerTokenStorage(local.db, type("NotAModel", (), {}), user_id=lambda: 1)


def test_an_oauth_registry_binds_each_remote_app_and_current_user(local: World) -> None:
    app = Flask("t")
    app.secret_key = "k"
    oauth = OAuth(app)
    one = oauth.remote_app("one", consumer_key="k", base_url="https://one.example/")
    two = oauth.remote_app("two", consumer_key="k", base_url="https://two.example/")
    user = type("Someone", (), {"id": 7, "is_authenticated": True})()
    tokens = bind_consumer_tokens(oauth, local.db, ConsumerToken, current_user=lambda: user)
    with app.test_request_context():
        tokens.save(one, {"access_token": "for-one"})
        tokens.save("two", {"access_token": "for-two"})
        assert one.get_request_token() == {"access_token": "for-one"}
        assert two.get_request_token() == {"access_token": "for-two"}
        user.is_authenticated = False
        with pytest.raises(OAuthException) as info:
            one.get_request_token()
        assert info.value.type == "token_missing"
    assert [(r.provider, r.user_id) for r in local.rows()] == [("one", "7"), ("two", "7")]


def test_flask_login_app_without_a_login_manager_is_told(local: World) -> None:
    pytest.importorskip("flask_login")
    app = Flask("t")
    app.secret_key = "k"
    tokens = ConsumerTokenStorage(local.db, ConsumerToken)
    with app.app_context():
        assert tokens.current_user_id() is None  # outside a request nobody is logged in
    with app.test_request_context(), pytest.raises(RuntimeError, match="LoginManager"):
        tokens.get(REMOTE)


def test_the_contrib_client_saves_refreshed_tokens_for_the_current_user(local: World) -> None:
    from flask_oauthlib_client.contrib import OAuth as ContribOAuth

    app = Flask("t")
    app.secret_key = "k"
    oauth = ContribOAuth(app)
    remote = oauth.remote_app(
        "contrib", endpoint_url="https://api.example/", access_token_url="x", authorization_url="y"
    )
    tokens = bind_consumer_tokens(oauth, local.db, ConsumerToken, user_id=lambda: "1")
    with app.test_request_context():
        remote._tokensaver({"access_token": "refreshed"})  # what requests-oauthlib calls
        assert tokens.get("contrib") == {"access_token": "refreshed"}
