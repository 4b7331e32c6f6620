"""A ``tokensaver`` that takes ``previous`` is told which token a refresh replaced, so
storage kept per user saves the new token in the right place; other savers are called
as before."""

from __future__ import annotations

import threading
import time
from typing import Any

from client_peers import authlib_oauth2_app
from login_app import login_app, remote_settings

from flask_oauthlib_core.testing import go_to_provider

CALLBACK = "http://localhost/authorized"


def test_a_saver_taking_previous_gets_the_refreshed_token(serve: Any) -> None:
    live = authlib_oauth2_app(CALLBACK)
    live.url = serve(live.app)
    app, remote = login_app(
        **remote_settings(live.url, access_token_method="POST", request_token_params={})
    )
    calls: list[tuple[dict[str, Any], dict[str, Any]]] = []
    plain: list[dict[str, Any]] = []
    remote.tokensaver(lambda token, previous: calls.append((token, previous)))
    with app.test_client() as tc:
        tc.get(go_to_provider(tc))
        with tc.session_transaction() as sess:
            expired = dict(sess["token"], expires_at=int(time.time()) - 1)
    with app.test_request_context():
        assert remote.get("me", token=dict(expired)).data["name"] == "alice"
        ((new, previous),) = calls
        assert previous == expired and new["access_token"] != expired["access_token"]
        # a saver that takes only the token (or **kwargs) is called with the token alone
        remote.tokensaver(lambda token, **kwargs: plain.append(dict(token, **kwargs)))
        assert remote.get("me", token=dict(new, expires_at=1)).data["name"] == "alice"
        assert len(plain) == 1 and "previous" not in plain[0]


def test_a_thread_that_waited_tells_its_saver_the_token_it_had(serve: Any) -> None:
    live = authlib_oauth2_app(CALLBACK)
    live.url = serve(live.app)
    app, remote = login_app(
        **remote_settings(live.url, access_token_method="POST", request_token_params={})
    )
    with app.test_client() as tc:
        tc.get(go_to_provider(tc))
        with tc.session_transaction() as sess:
            expired = dict(sess["token"], expires_at=int(time.time()) - 1)
    seen: list[dict[str, Any]] = []
    release = threading.Event()

    def save(token: dict[str, Any], *, previous: dict[str, Any]) -> None:
        seen.append(previous)
        release.wait(5)  # the first refresh holds its lock until the other thread waits

    remote.tokensaver(save)

    def call() -> None:
        with app.test_request_context():
            remote.get("me", token=dict(expired))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    release.set()
    for thread in threads:
        thread.join(10)
    assert seen == [expired, expired]
