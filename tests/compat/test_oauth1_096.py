"""OAuth 1 provider storage shaped as the 0.9.6 documentation shows it.

The documented request-token model has no ``delete()``: the access-token exchange must
still answer (never a 500) and the request token must still be single use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from flask import Flask
from oauth1_app import CALLBACK, CLIENT_KEY, CLIENT_SECRET, RequestToken, Store, create_app
from requests_oauthlib import OAuth1, OAuth1Session

from flask_oauthlib_core.testing import consent


class DocRequestToken(RequestToken):
    """A request token as the 0.9.6 docs' model: attributes, no ``delete()``."""

    def __getattribute__(self, name: str) -> Any:
        if name == "delete":
            raise AttributeError(name)
        return super().__getattribute__(name)


def doc_shaped_app(serve: Callable[[Flask], str]) -> tuple[str, Store]:
    app, _, store = create_app(Store(request_token_class=DocRequestToken))
    return serve(app), store


def test_request_token_without_delete_is_used_once(serve: Callable[[Flask], str]) -> None:
    url, store = doc_shaped_app(serve)
    sess = OAuth1Session(CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri=CALLBACK)
    sess.fetch_request_token(url + "/oauth/request_token")
    answer = consent(sess.authorization_url(url + "/oauth/authorize"))
    verifier = sess.parse_authorization_response(answer.headers["Location"])["oauth_verifier"]
    request_token = sess.token["oauth_token"]
    request_secret = sess.token["oauth_token_secret"]
    token = sess.fetch_access_token(url + "/oauth/access_token")
    assert token["oauth_token"] in store.tokens
    assert sess.get(url + "/api/email").json()["user"] == "alice"

    again = OAuth1(
        CLIENT_KEY,
        CLIENT_SECRET,
        resource_owner_key=request_token,
        resource_owner_secret=request_secret,
        verifier=verifier,
    )
    replay = requests.post(url + "/oauth/access_token", auth=again, timeout=10)
    assert replay.status_code == 401, replay.text
    assert len(store.tokens) == 1
