"""Every flow at DEBUG level for flask_oauthlib*, oauthlib and requests_oauthlib: no
access token, refresh token, code, client secret, password or Authorization header value
may appear in any log record."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import oauth1_app
import oauth2_app
import pytest
import requests
from login_app import login_app
from oauthlib.oauth2 import BackendApplicationClient, LegacyApplicationClient
from requests_oauthlib import OAuth1, OAuth1Session, OAuth2Session

from flask_oauthlib_core.testing import consent, go_to_provider, redirect_params

LOGGERS = (
    "flask_oauthlib",
    "flask_oauthlib_client",
    "flask_oauthlib_provider_oauth1",
    "flask_oauthlib_provider_oauth2",
    "flask_oauthlib_contrib_sqla",
    "flask_oauthlib_contrib_cache",
    "oauthlib",
    "requests_oauthlib",
    "urllib3",
)


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    captured: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            captured.append(record)

    handler = Collect(level=logging.DEBUG)
    loggers = [logging.getLogger(name) for name in LOGGERS]
    old = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    yield captured
    for logger, level in old:
        logger.setLevel(level)
        logger.removeHandler(handler)


def assert_clean(records: list[logging.LogRecord], secrets: set[str]) -> None:
    secrets = {s for s in secrets if s and len(s) >= 6}
    assert records, "the flows logged nothing: the test would prove nothing"
    for record in records:
        message = record.getMessage()
        for secret in secrets:
            assert secret not in message, f"{record.name}: {message!r}"


def test_oauth2_flows_log_no_credentials(
    serve: Callable[..., str], records: list[logging.LogRecord]
) -> None:
    app, _, store = oauth2_app.create_app()
    url = serve(app)
    secrets: set[str] = {"s3cret", "m-secret", "wonderland"}
    # authorization code + PKCE with our client
    client, _ = login_app(
        config={"SERVER_NAME": "127.0.0.1:8000"},
        me="api/me",
        consumer_key="confidential",
        consumer_secret="s3cret",
        base_url=url + "/",
        authorize_url=url + "/oauth/authorize",
        access_token_url=url + "/oauth/token",
        access_token_method="POST",
        request_token_params={"scope": "email"},
    )
    tc = client.test_client()
    callback = go_to_provider(tc, allow=True)
    secrets.add(redirect_params(callback)["code"])
    token = tc.get(callback).get_json()
    assert tc.get("/me").get_json()["username"] == "alice"
    secrets.update({token["access_token"], token["refresh_token"]})
    # refresh, revoke, introspect and the other grants with requests-oauthlib
    sess = OAuth2Session("confidential", token=token)
    new = sess.refresh_token(url + "/oauth/token", client_id="confidential", client_secret="s3cret")
    secrets.update({new["access_token"], new["refresh_token"]})
    requests.post(
        url + "/oauth/introspect",
        data={"token": new["access_token"]},
        auth=("confidential", "s3cret"),
        timeout=10,
    )
    requests.post(
        url + "/oauth/revoke",
        data={"token": new["access_token"]},
        auth=("confidential", "s3cret"),
        timeout=10,
    )
    machine = OAuth2Session(client=BackendApplicationClient(client_id="machine")).fetch_token(
        url + "/oauth/token", client_id="machine", client_secret="m-secret"
    )
    human = OAuth2Session(client=LegacyApplicationClient(client_id="confidential")).fetch_token(
        url + "/oauth/token",
        username="alice",
        password="wonderland",
        client_id="confidential",
        client_secret="s3cret",
    )
    secrets.update({machine["access_token"], human["access_token"], human["refresh_token"]})
    requests.get(
        url + "/api/me", headers={"Authorization": "Bearer " + machine["access_token"]}, timeout=10
    )
    requests.get(url + "/api/me", headers={"Authorization": "Bearer wrong-token-value"}, timeout=10)
    secrets.add("wrong-token-value")
    assert_clean(records, secrets)


def test_oauth1_flows_log_no_credentials(
    serve: Callable[..., str], records: list[logging.LogRecord]
) -> None:
    app, _, store = oauth1_app.create_app()
    url = serve(app)
    sess = OAuth1Session(
        oauth1_app.CLIENT_KEY,
        client_secret=oauth1_app.CLIENT_SECRET,
        callback_uri=oauth1_app.CALLBACK,
    )
    request_token = sess.fetch_request_token(url + "/oauth/request_token")
    answer = consent(sess.authorization_url(url + "/oauth/authorize"))
    verifier = sess.parse_authorization_response(answer.headers["Location"])["oauth_verifier"]
    access = sess.fetch_access_token(url + "/oauth/access_token")
    sess.get(url + "/api/email")
    requests.get(
        url + "/api/email",
        auth=OAuth1(
            oauth1_app.CLIENT_KEY,
            "wrongsecret0123456789",
            access["oauth_token"],
            access["oauth_token_secret"],
        ),
        timeout=10,
    )
    secrets = {
        oauth1_app.CLIENT_SECRET,
        request_token["oauth_token_secret"],
        verifier,
        access["oauth_token"],
        access["oauth_token_secret"],
        "wrongsecret0123456789",
    }
    assert_clean(records, secrets)
