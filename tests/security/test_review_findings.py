"""Regression tests for what the outside review of issue 14's fixes found (OAuth 2 provider)."""

from __future__ import annotations

import hashlib
import socket
from datetime import datetime, timedelta, timezone
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from oauth2_app import REDIRECT, Client, Provider, Token, authorize_url, token_request

from flask_oauthlib_core.testing import authorization_code, pkce_pair


def raw_get(url: str, path: str, headers: bytes) -> int:
    """A GET over a raw socket, for header bytes requests would refuse to send."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
        return int(sock.recv(64).split()[1])


def test_hooks_reading_the_request_survive_odd_query_strings(provider: Provider) -> None:
    seen: list[Any] = []

    @provider.oauth.after_request
    def audit(valid: bool, req: Any) -> tuple[bool, Any]:
        seen.append((req.user, req.client_id))  # attributes the check did not set
        return valid, req

    for query in ("?q=%zz", "?q=<x>", "?q={a}|b"):  # as browsers send them, unescaped
        assert raw_get(provider.url, "/api/me" + query, b"") == 401, query
    assert seen == [(None, None)] * 3


@pytest.mark.parametrize("token", [b"abc\x00def", b"abc\x01def", b"abc\x7fdef"])
def test_control_bytes_in_a_bearer_token_are_refused_before_storage(
    provider: Provider, token: bytes
) -> None:
    looked_up: list[Any] = []
    getter = provider.store.functions["tokengetter"]

    @provider.oauth.tokengetter
    def spy(access_token: str | None = None, refresh_token: str | None = None) -> Any:
        looked_up.append(access_token)
        return getter(access_token=access_token, refresh_token=refresh_token)

    status = raw_get(provider.url, "/api/me", b"Authorization: Bearer " + token + b"\r\n")
    assert status == 401
    assert looked_up == []


def test_0_9_6_validator_class_signature_still_works() -> None:
    from flask import jsonify, request

    from flask_oauthlib_provider_oauth2 import OAuth2Provider, OAuth2RequestValidator

    class OldValidator(OAuth2RequestValidator):
        """A subclass with the 0.9.6 constructor (no devicegetter)."""

        def __init__(
            self,
            clientgetter: Any,
            tokengetter: Any,
            grantgetter: Any,
            usergetter: Any = None,
            tokensetter: Any = None,
            grantsetter: Any = None,
        ) -> None:
            super().__init__(
                clientgetter, tokengetter, grantgetter, usergetter, tokensetter, grantsetter
            )

    app = Flask("old_validator")
    oauth = OAuth2Provider(app, validator_class=OldValidator)
    token = Token(
        None,  # type: ignore[arg-type]
        "tok",
        None,
        "c",
        ["email"],
        datetime.now(timezone.utc) + timedelta(hours=1),
        None,
    )
    oauth.clientgetter(lambda client_id: None)
    oauth.tokengetter(lambda access_token=None, refresh_token=None: token)

    @app.route("/api")
    @oauth.require_oauth("email")
    def api() -> Any:
        return jsonify(scopes=request.oauth.scopes)

    answer = app.test_client().get("/api", headers={"Authorization": "Bearer tok"})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("uri", ["http://127.0.0.1:99999/cb", "http://127.0.0.1:0/cb"])
def test_loopback_redirect_with_an_impossible_port_is_refused(provider: Provider, uri: str) -> None:
    resp = requests.get(
        provider.url + "/oauth/authorize",
        params={"response_type": "code", "client_id": "public", "redirect_uri": uri},
        allow_redirects=False,
        timeout=10,
    )
    assert resp.headers["Location"].startswith("/oauth/errors?")


def test_nul_in_a_body_is_named(provider: Provider) -> None:
    resp = requests.post(
        provider.url + "/oauth/token",
        data="grant_type=client_credentials&scope=a%00b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=("machine", "m-secret"),
        timeout=10,
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request"
    assert "UTF-8" not in resp.json()["error_description"]


def test_repeated_scopes_are_stored_once(provider: Provider) -> None:
    resp = token_request(
        provider.url, "machine", grant_type="client_credentials", scope=" ".join(["email"] * 5000)
    )
    assert resp.status_code == 200 and resp.json()["scope"] == "email"


@pytest.mark.parametrize("param", ["code", "code_verifier", "refresh_token", "scope"])
def test_duplicate_token_parameters_are_refused(provider: Provider, param: str) -> None:
    resp = requests.post(
        provider.url + "/oauth/token",
        data=f"grant_type=client_credentials&{param}=a&{param}=b",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=("machine", "m-secret"),
        timeout=10,
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request", resp.text


# second review ------------------------------------------------------------------------


def test_repeated_token_parameter_is_refused_at_revocation_and_introspection(
    provider: Provider,
) -> None:
    for path in ("/oauth/revoke", "/oauth/introspect"):
        resp = requests.post(
            provider.url + path,
            data="token=a&token=b",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=("confidential", "s3cret"),
            timeout=10,
        )
        assert resp.status_code == 400 and resp.json()["error"] == "invalid_request", path


def test_two_client_authentication_methods_are_refused(provider: Provider) -> None:
    resp = token_request(
        provider.url, "machine", grant_type="client_credentials", client_id="x", client_secret="y"
    )
    assert resp.status_code in (400, 401) and resp.json()["error"] in (
        "invalid_request",
        "invalid_client",
    )


def test_a_refresh_token_outlives_its_access_token_in_introspection(provider: Provider) -> None:
    past = datetime.now(timezone.utc) - timedelta(seconds=5)
    provider.store.add_token("old-access", refresh_token="live-refresh", expires=past)
    resp = requests.post(
        provider.url + "/oauth/introspect",
        data={"token": "live-refresh", "token_type_hint": "refresh_token"},
        auth=("confidential", "s3cret"),
        timeout=10,
    )
    assert resp.json()["active"] is True
    access = requests.post(
        provider.url + "/oauth/introspect",
        data={"token": "old-access"},
        auth=("confidential", "s3cret"),
        timeout=10,
    )
    assert access.json() == {"active": False}


def test_error_page_does_not_headline_what_the_link_says(provider: Provider) -> None:
    from flask_oauthlib_provider_oauth2 import OAuth2Provider

    app = Flask("spoof")
    OAuth2Provider(app)
    page = app.test_client().get(
        "/oauth/errors?error=invalid_request&error_description=Your+account+is+locked"
    )
    main = page.text.split("<details", 1)[0]
    assert "Your account is locked" not in main


def test_memcached_takes_any_key_without_collisions() -> None:
    from flask_oauthlib_contrib_cache import MemcacheBackend
    from flask_oauthlib_core.testing import MEMCACHED_SERVERS, require_service

    require_service("memcached")
    backend = MemcacheBackend(MEMCACHED_SERVERS, key_prefix="review:")
    keys = ["x y", "x_y", "k" * 300, "line\nbreak", "ключ"]
    # a key that reads like the hash another key is stored under is a key of its own
    keys += ["h:" + hashlib.sha256(key.encode()).hexdigest() for key in keys]
    for index, key in enumerate(keys):
        assert backend.set(key, str(index))
    assert [backend.get(key) for key in keys] == [str(i) for i in range(len(keys))]


# review of issue 21 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "grant_type=password&grant_type=refresh_token&refresh_token=live-refresh",
        "grant_type=refresh_token&refresh_token=live-refresh&scope=email&scope=profile",
        "grant_type=authorization_code&grant_type=refresh_token&refresh_token=live-refresh",
    ],
)
def test_a_refresh_request_may_not_repeat_grant_type_or_scope(
    provider: Provider, body: str
) -> None:
    """oauthlib's refresh grant checks no repeated parameter itself: the last value won."""
    provider.store.add_token(
        "old-access", scopes=["email", "profile"], refresh_token="live-refresh"
    )
    resp = requests.post(
        provider.url + "/oauth/token",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=("confidential", "s3cret"),
        timeout=10,
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request", resp.text
    assert "Duplicate" in resp.json()["error_description"]


class ExampleClient:
    """The client of 0.9.6's ``example/oauth2/server.py``: a stored secret, and a
    ``client_type`` of ``"public"`` (no ``is_confidential``)."""

    client_id, client_secret = "example", "example-secret"
    redirect_uris, default_redirect_uri, default_scopes = [REDIRECT], REDIRECT, ["email"]
    user = None

    @property
    def client_type(self) -> str:
        return "public"


@pytest.mark.parametrize("how", ["basic", "form", "none", "wrong"])
def test_the_0_9_6_example_client_public_with_a_secret_logs_in(
    provider: Provider, how: str
) -> None:
    """0.9.6's own example pair: its client sends the secret the server stores for a
    client it calls public. The right secret (or none) is accepted; a wrong one is not."""
    provider.store.clients["example"] = cast(Client, ExampleClient())
    verifier, challenge = pkce_pair()
    url = authorize_url(
        provider.url, "example", code_challenge=challenge, code_challenge_method="S256"
    )
    data = {
        "grant_type": "authorization_code",
        "code": authorization_code(url),
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
        "client_id": "example",
    }
    auth = None
    if how == "basic":
        auth = ("example", "example-secret")
        del data["client_id"]
    elif how in ("form", "wrong"):
        data["client_secret"] = "example-secret" if how == "form" else "not-the-secret"
    resp = requests.post(provider.url + "/oauth/token", data=data, auth=auth, timeout=10)
    if how == "wrong":
        assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
    else:
        assert resp.status_code == 200 and resp.json()["access_token"], resp.text
    machine = token_request(
        provider.url,
        None,
        grant_type="client_credentials",
        client_id="example",
        client_secret="example-secret",
    )
    assert machine.status_code in (400, 401)  # client_credentials stays a confidential client's


def test_a_refresh_token_never_introspects_as_an_access_token(provider: Provider) -> None:
    """A resource server asking introspection must be able to tell a refresh token (for
    the authorization server alone) from an access token: it has no ``token_type``,
    whatever the hint, while the access token has one and its ``exp``."""
    provider.store.add_token("live-access", refresh_token="live-refresh")
    for hint in ("access_token", "refresh_token", None):
        data = {"token": "live-refresh", **({"token_type_hint": hint} if hint else {})}
        resp = requests.post(
            provider.url + "/oauth/introspect",
            data=data,
            auth=("confidential", "s3cret"),
            timeout=10,
        )
        claims = resp.json()
        assert claims["active"] is True and "token_type" not in claims and "exp" not in claims
    access = requests.post(
        provider.url + "/oauth/introspect",
        data={"token": "live-access"},
        auth=("confidential", "s3cret"),
        timeout=10,
    ).json()
    assert access["token_type"] == "Bearer" and isinstance(access["exp"], int)
