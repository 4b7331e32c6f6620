"""Resource indicators (RFC 8707) on SQLite and the real PostgreSQL: the ready models keep
a code's resources and a token's audience, carried across refresh rotation; 0.9.6-style
models without the column store nothing and the provider refuses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import urlencode

import pytest
import requests
from flask import Flask
from legacy_app import legacy_app
from sqla_app import REDIRECT, Grant, Live, Token, create_app, database
from sqlalchemy import select

from flask_oauthlib_core.testing import authorization_code, consent, redirect_params

API = "https://api.example.com/v1"
FILES = "https://files.example.com"


@pytest.fixture(params=["sqlite", "postgresql"])
def live(request: pytest.FixtureRequest, serve: Callable[[Flask], str]) -> Iterator[Live]:
    with database(request.param) as engine:
        app, _, session = create_app(engine)
        try:
            yield Live(app, session, serve(app))
        finally:
            session.remove()


def authorize_url(base: str, client_id: str, *resources: str) -> str:
    query = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", "email"),
        *(("resource", resource) for resource in resources),
    ]
    return f"{base}/oauth/authorize?" + urlencode(query)


def post_token(url: str, auth: tuple[str, str], *pairs: tuple[str, str]) -> requests.Response:
    return requests.post(url + "/oauth/token", data=list(pairs), auth=auth, timeout=10)


def test_code_and_tokens_keep_resources_across_rotation(live: Live) -> None:
    live.app.config["OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS"] = [API]
    auth = ("confidential", "s3cret")
    code = authorization_code(authorize_url(live.url, "confidential", API, FILES))
    grant = live.session.execute(select(Grant)).scalars().one()
    assert grant.resources == [API, FILES] and grant.resources_text == f"{API} {FILES}"

    exchange = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT)]
    token = post_token(live.url, auth, *exchange, ("resource", API)).json()
    assert live.me(token["access_token"]).status_code == 200
    (stored,) = live.tokens()
    assert stored.resources == [API]

    refreshed = post_token(
        live.url, auth, ("grant_type", "refresh_token"), ("refresh_token", token["refresh_token"])
    ).json()
    new = next(t for t in live.tokens() if not t.revoked)
    assert new.resources == [API] and new.family == stored.family  # carried with the family
    assert live.me(refreshed["access_token"]).status_code == 200
    wider = post_token(
        live.url,
        auth,
        ("grant_type", "refresh_token"),
        ("refresh_token", refreshed["refresh_token"]),
        ("resource", FILES),
    )
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_target"


def test_client_credentials_audience_and_a_token_for_another_resource(live: Live) -> None:
    live.app.config["OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS"] = [API]
    auth = ("confidential", "s3cret")
    other = post_token(
        live.url, auth, ("grant_type", "client_credentials"), ("resource", FILES)
    ).json()
    assert live.me(other["access_token"]).status_code == 401  # not meant for this API
    (stored,) = live.tokens()
    assert stored.resources == [FILES]
    plain = post_token(live.url, auth, ("grant_type", "client_credentials")).json()
    assert live.me(plain["access_token"]).status_code == 200  # no audience: accepted
    assert next(t for t in live.tokens() if t.resources_text is None)


def test_bad_resource_writes_nothing(live: Live) -> None:
    auth = ("confidential", "s3cret")
    for value in ("relative", f"{API}#x", "https://x.example/\x00", API + "/" + "a" * 4000):
        answer = post_token(
            live.url, auth, ("grant_type", "client_credentials"), ("resource", value)
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] in ("invalid_target", "invalid_request")
        page = consent(authorize_url(live.url, "confidential", value))
        assert redirect_params(page)["error"] in ("invalid_target", "invalid_request")
    assert live.tokens() == []
    assert live.session.execute(select(Grant)).scalars().all() == []


def test_old_style_models_store_nothing_for_resources(serve: Callable[[Flask], str]) -> None:
    app, db, token_model = legacy_app("sqlite://")
    url = serve(app)
    auth = ("dev", "dev-secret")
    plain = post_token(url, auth, ("grant_type", "client_credentials"))
    assert plain.status_code == 200  # as before
    refused = post_token(url, auth, ("grant_type", "client_credentials"), ("resource", API))
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_target"
    page = consent(authorize_url(url, "dev", API))
    assert redirect_params(page)["error"] == "invalid_target"
    with app.app_context():
        rows = db.session.execute(db.select(token_model)).scalars().all()
        # the refused request left the client's token as it was
        assert [row.access_token for row in rows] == [plain.json()["access_token"]]


def test_ready_models_resources() -> None:
    token = Token(client_id="c")
    assert token.resources == []
    token.resources = [API, FILES]
    assert token.resources_text == f"{API} {FILES}" and token.resources == [API, FILES]
    token.resources = []
    assert token.resources_text is None
