"""Property-based fuzzing of every endpoint of both providers and of the client callback.

Arbitrary and malformed parameters (duplicated, huge, not UTF-8), Authorization header
variants, methods and content types go through the in-process WSGI app. Invariants:
no 5xx, no traceback in a body, only standard OAuth error codes, and no token or code
issued unless the response says so. ``FUZZ_EXAMPLES`` (default 1850) examples for each
of the 11 targets below: 20,350 requests a run (the ``min`` environment runs fewer).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import oauth1_app
import oauth2_app
import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flask_oauthlib.client import OAuth, OAuthException

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1850"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
OAUTH2_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "access_denied",
    "unsupported_response_type",
    "server_error",
    "temporarily_unavailable",
    "invalid_token",
    "insufficient_scope",
    "unsupported_token_type",
    "invalid_request_object",
    "missing_token",
}
OAUTH1_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_token",
    "invalid_signature",
    "insecure_transport",
    "invalid_signature_method",
    "temporarily_unavailable",
}
SENT: dict[str, int] = {}

OAUTH2_PARAMS = [
    "grant_type",
    "code",
    "redirect_uri",
    "client_id",
    "client_secret",
    "scope",
    "state",
    "refresh_token",
    "username",
    "password",
    "code_verifier",
    "code_challenge",
    "code_challenge_method",
    "response_type",
    "token",
    "token_type_hint",
    "access_token",
    "confirm",
    "iss",
    "user",
    "client",
]
OAUTH1_PARAMS = [
    "oauth_consumer_key",
    "oauth_token",
    "oauth_signature",
    "oauth_nonce",
    "oauth_timestamp",
    "oauth_signature_method",
    "oauth_version",
    "oauth_callback",
    "oauth_verifier",
    "realm",
    "confirm",
    "access_token",
    "client",
    "request_token",
]
KNOWN_VALUES = [
    "confidential",
    "public",
    "machine",
    "s3cret",
    "m-secret",
    "authorization_code",
    "client_credentials",
    "password",
    "refresh_token",
    "implicit",
    "code",
    "token",
    "S256",
    "plain",
    "email",
    "profile",
    "email profile",
    oauth2_app.REDIRECT,
    "http://evil.example/cb",
    "alice",
    "wonderland",
    "yes",
    "no",
    "",
    oauth1_app.CLIENT_KEY,
    oauth1_app.CLIENT_SECRET,
    "HMAC-SHA1",
    "PLAINTEXT",
    "RSA-SHA1",
    "1.0",
    "oob",
    "9999999999",
    "0",
]

HUGE = ["x" * 5000, "é" * 3000, "%" * 4000, "a=b&" * 1000]
text = st.text(max_size=40) | st.sampled_from(KNOWN_VALUES) | st.sampled_from(HUGE)
# HTTP cannot carry a line break inside a header value
header_text = text.map(lambda t: t.replace("\r", " ").replace("\n", " "))
raw_bytes = st.binary(max_size=60) | st.just(b"\xff\xfe\xfd")


def pairs(names: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Parameter lists that may repeat a name (duplicated parameters)."""
    return st.lists(st.tuples(st.sampled_from(names) | st.text(max_size=10), text), max_size=8)


def encode(params: list[tuple[str, str]], garbage: bytes | None) -> bytes:
    body = urlencode(params).encode()
    return body + b"&x=" + garbage if garbage else body


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


authorization = st.one_of(
    st.none(),
    st.sampled_from(
        [
            basic("confidential", "s3cret"),
            basic("machine", "m-secret"),
            basic("confidential", "wrong"),
            "Basic !!!",
            "Basic ",
            "Bearer",
            "Bearer ",
            "Bearer a b c",
            "bearer tok",
            'OAuth realm="x"',
            "OAuth garbage",
            'OAuth oauth_consumer_key="clientkey0123456789ab", oauth_signature="x"',
            "Digest x",
            "Bearer " + "a" * 5000,
        ]
    ),
    header_text.map(lambda t: "Bearer " + t),
    header_text.map(lambda t: "Basic " + t),
    header_text.map(lambda t: "OAuth " + t),
)
content_type = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=latin-1",
        "application/json",
        "text/plain",
        "multipart/form-data; boundary=x",
        "",
        "garbage/type",
    ]
)


def request_shape(names: list[str], methods: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "method": st.sampled_from(methods),
            "query": pairs(names),
            "body": pairs(names),
            "garbage": st.none() | raw_bytes,
            "authorization": authorization,
            "content_type": content_type,
        }
    )


def send(client: FlaskClient, path: str, shape: dict[str, Any]) -> Any:
    headers = {}
    if shape["authorization"] is not None:
        headers["Authorization"] = shape["authorization"]
    if shape["content_type"]:
        headers["Content-Type"] = shape["content_type"]
    query = encode(shape["query"], shape["garbage"] if shape["method"] == "GET" else None)
    data = None if shape["method"] in ("GET", "HEAD") else encode(shape["body"], shape["garbage"])
    key = f"{client.application.name} {path}"
    SENT[key] = SENT.get(key, 0) + 1
    return client.open(
        path,
        method=shape["method"],
        query_string=query.decode("latin-1"),
        data=data,
        headers=headers,
    )


def check(resp: Any, known_errors: set[str]) -> None:
    assert resp.status_code < 500, (resp.status_code, resp.get_data(as_text=True)[:300])
    body = resp.get_data()
    assert b"Traceback" not in body
    if resp.mimetype == "application/json" and body:
        error = json.loads(body).get("error")
        assert error is None or error in known_errors, error
    elif resp.mimetype == "application/x-www-form-urlencoded" and b"error=" in body:
        error = dict(pair.split("=", 1) for pair in body.decode().split("&") if "=" in pair)[
            "error"
        ]
        assert error in known_errors, error
    location = resp.headers.get("Location", "")
    assert "evil.example" not in location, location


@pytest.fixture(scope="module")
def oauth2() -> tuple[Flask, Any]:
    app, _, store = oauth2_app.create_app()
    return app, store


@pytest.fixture(scope="module")
def oauth1() -> tuple[Flask, Any]:
    app, _, store = oauth1_app.create_app()
    return app, store


def oauth2_fuzz(path: str, methods: list[str]) -> Callable[..., None]:
    @FUZZ
    @given(shape=request_shape(OAUTH2_PARAMS, methods))
    def run(oauth2: tuple[Flask, Any], shape: dict[str, Any]) -> None:
        app, store = oauth2
        tokens, grants = len(store.tokens), len(store.grants)
        resp = send(app.test_client(), path, shape)
        check(resp, OAUTH2_ERRORS)
        if len(store.tokens) > tokens:
            assert resp.status_code in (200, 302), "a token was stored but not issued"
            assert b"access_token" in resp.get_data() or "access_token=" in resp.headers.get(
                "Location", ""
            )
        if len(store.grants) > grants:
            assert "code=" in resp.headers.get("Location", ""), "a code was stored but not issued"

    return run


test_fuzz_oauth2_authorize = oauth2_fuzz("/oauth/authorize", ["GET", "POST", "HEAD"])
test_fuzz_oauth2_token = oauth2_fuzz("/oauth/token", ["POST", "GET", "PUT"])
test_fuzz_oauth2_revoke = oauth2_fuzz("/oauth/revoke", ["POST", "GET"])
test_fuzz_oauth2_introspect = oauth2_fuzz("/oauth/introspect", ["POST", "GET"])
test_fuzz_oauth2_metadata = oauth2_fuzz("/.well-known/oauth-authorization-server", ["GET", "POST"])
test_fuzz_oauth2_resource = oauth2_fuzz("/api/profile", ["GET", "POST"])


def oauth1_fuzz(path: str, methods: list[str]) -> Callable[..., None]:
    @FUZZ
    @given(shape=request_shape(OAUTH1_PARAMS, methods))
    def run(oauth1: tuple[Flask, Any], shape: dict[str, Any]) -> None:
        app, store = oauth1
        tokens, grants = len(store.tokens), len(store.grants)
        resp = send(app.test_client(), path, shape)
        check(resp, OAUTH1_ERRORS)
        assert len(store.tokens) == tokens, "an access token was issued to a random request"
        assert len(store.grants) == grants, "a request token was issued to a random request"

    return run


test_fuzz_oauth1_request_token = oauth1_fuzz("/oauth/request_token", ["POST", "GET"])
test_fuzz_oauth1_access_token = oauth1_fuzz("/oauth/access_token", ["POST", "GET"])
test_fuzz_oauth1_authorize = oauth1_fuzz("/oauth/authorize", ["GET", "POST"])
test_fuzz_oauth1_resource = oauth1_fuzz("/api/email", ["GET", "POST"])


@pytest.fixture(scope="module")
def client_app() -> tuple[Flask, Any]:
    app = Flask("fuzz_client")
    app.secret_key = "k"
    oauth = OAuth(app)
    two = oauth.remote_app(
        "two",
        consumer_key="c",
        consumer_secret="s",
        authorize_url="http://127.0.0.1:9/authorize",
        access_token_url="http://127.0.0.1:9/token",
        timeout=0.2,
    )
    one = oauth.remote_app(
        "one",
        consumer_key="c",
        consumer_secret="s",
        request_token_url="http://127.0.0.1:9/request",
        authorize_url="http://127.0.0.1:9/authorize",
        access_token_url="http://127.0.0.1:9/token",
        timeout=0.2,
    )
    return app, (two, one)


@FUZZ
@given(
    query=pairs(["code", "state", "error", "iss", "oauth_verifier", "oauth_token"]),
    garbage=st.none() | raw_bytes,
    started=st.booleans(),
)
def test_fuzz_client_callback(
    client_app: tuple[Flask, Any],
    query: list[tuple[str, str]],
    garbage: bytes | None,
    started: bool,
) -> None:
    app, remotes = client_app
    SENT["client callback"] = SENT.get("client callback", 0) + 1
    with app.test_request_context("/authorized?" + encode(query, garbage).decode("latin-1")):
        for remote in remotes:
            if started:
                from flask import session

                session[f"{remote.name}_oauthstate"] = "expected-state"
                session[f"{remote.name}_oauthtok"] = ("tok", "secret")
            try:
                result = remote.authorized_response()
            except OAuthException as exc:
                assert exc.type in {
                    "invalid_state",
                    "token_not_found",
                    "network_error",
                    "timeout",
                    "invalid_issuer",
                }, exc.type
            else:
                assert result is None


def test_fuzzed_request_count() -> None:
    """Runs last in this module: the run really sent what the docstring promises."""
    total = sum(SENT.values())
    print(f"\nfuzzed requests: {total} ({json.dumps(SENT)})")
    if EXAMPLES >= 1850:
        assert total >= 20_000, SENT
    assert len(SENT) == 11
