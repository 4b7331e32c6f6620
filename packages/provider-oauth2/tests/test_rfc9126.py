"""Pushed authorization requests (RFC 9126): the PAR endpoint, the ``request_uri`` at the
authorization endpoint, single use, expiry, other clients, overriding parameters,
required PAR, the store, and malformed input answered with an OAuth error."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from oauth2_app import REDIRECT, redeem
from par_testing import CHALLENGE, VERIFIER, Site

from flask_oauthlib_core.testing import redirect_params
from flask_oauthlib_provider_oauth2 import OAuth2Provider
from flask_oauthlib_provider_oauth2.pushed_requests import (
    MemoryPushedRequestStore,
    pushed_request_key,
)


@pytest.fixture
def site() -> Site:
    return Site.make()


def test_full_login_with_a_confidential_client(site: Site) -> None:
    answer = site.push()
    assert answer.status_code == 201, answer.text
    assert answer.json["expires_in"] == 60
    request_uri = answer.json["request_uri"]
    assert request_uri.startswith("urn:ietf:params:oauth:request_uri:")
    code = site.code(client_id="confidential", request_uri=request_uri)
    token = redeem(site.client, code)
    assert token.status_code == 200, token.text
    assert token.json["scope"] == "email"
    (grant,) = site.store.grants.values()
    assert grant.redirect_uri == REDIRECT


def test_the_redirect_carries_the_pushed_state(site: Site) -> None:
    request_uri = site.request_uri(state="pushed-state")
    site.authorize(client_id="confidential", request_uri=request_uri)
    answer = site.authorize("POST", client_id="confidential", request_uri=request_uri)
    params = redirect_params(answer.headers["Location"])
    assert params["state"] == "pushed-state" and "code" in params


def test_full_login_with_a_public_client_and_pkce(site: Site) -> None:
    request_uri = site.request_uri(
        "public", code_challenge=CHALLENGE.decode(), code_challenge_method="S256"
    )
    code = site.code(client_id="public", request_uri=request_uri)
    token = redeem(site.client, code, "public", code_verifier=VERIFIER)
    assert token.status_code == 200, token.text


def test_a_public_client_without_pkce_is_refused_at_the_push(site: Site) -> None:
    store = MemoryPushedRequestStore()
    site.oauth.pushed_request_store(store)
    answer = site.push("public")
    assert answer.status_code == 400
    assert answer.json["error"] == "invalid_request"
    assert len(store) == 0


@pytest.mark.parametrize(
    ("auth", "error", "status"),
    [
        ({"as_client": None, "client_id": "confidential"}, "invalid_client", 401),
        (
            {"as_client": None, "client_id": "confidential", "client_secret": "wrong"},
            "invalid_client",
            401,
        ),
        ({"as_client": None}, "invalid_client", 401),
        ({"as_client": None, "client_id": "nobody"}, "invalid_client", 401),
        ({"client_id": "public"}, "invalid_request", 400),
    ],
)
def test_client_authentication_at_the_push(
    site: Site, auth: dict[str, Any], error: str, status: int
) -> None:
    answer = site.push(**auth)
    assert answer.status_code == status, answer.text
    assert answer.json["error"] == error


def test_client_secret_post_works_and_is_not_kept(site: Site) -> None:
    store = MemoryPushedRequestStore()
    site.oauth.pushed_request_store(store)
    answer = site.push(None, client_id="confidential", client_secret="s3cret")
    assert answer.status_code == 201, answer.text
    record = store.peek(pushed_request_key(answer.json["request_uri"]))
    assert record is not None
    assert "client_secret" not in record["params"]
    assert "s3cret" not in repr(record)
    assert record["client_id"] == "confidential"


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"redirect_uri": "https://evil.example/cb"}, "invalid_request"),
        ({"response_type": "token id_token"}, "unsupported_response_type"),
        ({"response_type": None}, "unsupported_response_type"),
        ({"scope": "admin"}, "invalid_scope"),
        ({"request_uri": "urn:ietf:params:oauth:request_uri:abc"}, "invalid_request"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge": "x" * 43, "code_challenge_method": "plain"}, "invalid_request"),
        ({"scope": "e" * 10_000}, "invalid_scope"),
        ({"state": ["a", "b"]}, "invalid_request"),
        # nothing large is kept: a browser's URL used to bound a request
        ({"scope": "e" * 100_000}, "invalid_request"),
        ({"state": "A" * 3_000_000}, "invalid_request"),
        ({f"extra{n}": "x" * 100 for n in range(5000)}, "invalid_request"),
    ],
)
def test_pushed_parameters_are_validated_before_keeping(
    site: Site, params: dict[str, Any], error: str
) -> None:
    store = MemoryPushedRequestStore()
    site.oauth.pushed_request_store(store)
    answer = site.push(**params)
    assert answer.status_code == 400, answer.text
    assert answer.json["error"] == error, answer.json
    assert len(answer.text) < 2000  # a refused state is not echoed back
    assert len(store) == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"response_type": "code"}', "application/json"),
        ("\xff\xfe", "application/x-www-form-urlencoded"),
        ("a=%ZZ&&&==", "application/x-www-form-urlencoded"),
        ("", "application/x-www-form-urlencoded"),
        ("x" * 1_000_000, "application/x-www-form-urlencoded"),
        ("client_id=\x00", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_pushes_get_an_oauth_error(site: Site, body: str, content_type: str) -> None:
    answer = site.client.post(
        "/oauth/par", data=body, content_type=content_type, auth=("confidential", "s3cret")
    )
    assert answer.status_code in (400, 401), answer.text
    assert answer.json["error"] in (
        "invalid_request",
        "invalid_client",
        "unsupported_response_type",
    )


def test_get_is_refused(site: Site) -> None:
    answer = site.client.get("/oauth/par")
    assert answer.status_code == 405
    assert answer.json["error"] == "invalid_request"


def test_a_request_uri_is_used_once(site: Site) -> None:
    request_uri = site.request_uri()
    site.code(client_id="confidential", request_uri=request_uri)
    again = site.authorize("POST", client_id="confidential", request_uri=request_uri)
    assert site.fatal_error(again) == "invalid_request_uri"
    page = site.authorize(client_id="confidential", request_uri=request_uri)
    assert site.fatal_error(page) == "invalid_request_uri"
    assert len(site.store.grants) == 1


def test_consent_page_does_not_use_it_up(site: Site) -> None:
    request_uri = site.request_uri()
    for _ in range(3):
        assert site.authorize(client_id="confidential", request_uri=request_uri).status_code == 200
    assert site.code(client_id="confidential", request_uri=request_uri)


def test_an_expired_request_uri_is_refused() -> None:
    now = [1000.0]
    site = Site.make(OAUTH2_PROVIDER_PAR_EXPIRES_IN=5)
    site.oauth.pushed_request_store(MemoryPushedRequestStore(clock=lambda: now[0]))
    answer = site.push()
    assert answer.json["expires_in"] == 5
    now[0] += 6
    page = site.authorize(client_id="confidential", request_uri=answer.json["request_uri"])
    assert site.fatal_error(page) == "invalid_request_uri"


def test_the_record_expiry_is_checked_too(site: Site) -> None:
    """A store that keeps records longer than asked (a cache's rounding) does not
    extend a request_uri's life."""
    store = MemoryPushedRequestStore()
    site.oauth.pushed_request_store(store)
    request_uri = site.request_uri()
    key = pushed_request_key(request_uri)
    record = store.take(key)
    assert record is not None
    store.save(key, {**record, "expires_at": 1}, 60)
    page = site.authorize(client_id="confidential", request_uri=request_uri)
    assert site.fatal_error(page) == "invalid_request_uri"


def test_another_clients_request_uri_is_refused(site: Site) -> None:
    request_uri = site.request_uri()
    page = site.authorize(client_id="machine", request_uri=request_uri)
    assert site.fatal_error(page) == "invalid_request_uri"
    # not used up by the attempt: the client it belongs to can still use it
    assert site.code(client_id="confidential", request_uri=request_uri)


@pytest.mark.parametrize(
    "request_uri",
    [
        "urn:ietf:params:oauth:request_uri:unknown",
        "https://attacker.example/request.jwt",
        "urn:ietf:params:oauth:request_uri:" + "x" * 10_000,
    ],
)
def test_unknown_or_foreign_request_uris_are_refused(site: Site, request_uri: str) -> None:
    page = site.authorize(client_id="confidential", request_uri=request_uri)
    assert site.fatal_error(page) in ("invalid_request_uri", "request_uri_not_supported")


def test_missing_client_id_is_refused(site: Site) -> None:
    page = site.authorize(request_uri=site.request_uri())
    assert site.fatal_error(page) == "invalid_request"


@pytest.mark.parametrize(
    "extra",
    [
        {"redirect_uri": "http://127.0.0.1/cb"},
        {"scope": "email profile"},
        {"prompt": "none"},
        {"request": "eyJ"},
    ],
)
def test_overriding_pushed_parameters_is_refused(site: Site, extra: dict[str, str]) -> None:
    request_uri = site.request_uri()
    page = site.authorize(client_id="confidential", request_uri=request_uri, **extra)
    assert site.fatal_error(page) == "invalid_request"


def test_repeating_pushed_parameters_with_their_values_is_fine(site: Site) -> None:
    request_uri = site.request_uri()
    code = site.code(client_id="confidential", request_uri=request_uri, scope="email", state="xyz")
    assert redeem(site.client, code).status_code == 200


def test_a_consent_form_that_changes_a_parameter_is_refused(site: Site) -> None:
    request_uri = site.request_uri()
    path = f"/oauth/authorize?client_id=confidential&request_uri={request_uri}"
    answer = site.client.post(path, data={"confirm": "yes", "scope": "email profile"})
    assert site.fatal_error(answer) == "invalid_request"
    assert not site.store.grants


def test_required_par_app_wide() -> None:
    site = Site.make(OAUTH2_PROVIDER_REQUIRE_PUSHED_AUTHORIZATION_REQUESTS=True)
    page = site.authorize(
        client_id="confidential", response_type="code", redirect_uri=REDIRECT, scope="email"
    )
    assert site.client_error(page) == "invalid_request"
    assert site.code(client_id="confidential", request_uri=site.request_uri())
    document = site.client.get("/.well-known/oauth-authorization-server").json
    assert document["require_pushed_authorization_requests"] is True
    assert document["pushed_authorization_request_endpoint"].endswith("/oauth/par")


def test_required_par_per_client(site: Site) -> None:
    setattr(site.store.clients["confidential"], "require_pushed_authorization_requests", True)  # noqa: B010
    plain = dict(client_id="confidential", response_type="code", redirect_uri=REDIRECT)
    assert site.client_error(site.authorize(**plain, scope="email")) == "invalid_request"
    assert site.authorize(**{**plain, "client_id": "machine"}, scope="email").status_code == 200
    assert site.code(client_id="confidential", request_uri=site.request_uri())


def test_concurrent_decisions_issue_one_code(site: Site) -> None:
    request_uri = site.request_uri()
    results: list[int] = []

    def decide() -> None:
        client = site.app.test_client()
        answer = client.post(
            f"/oauth/authorize?client_id=confidential&request_uri={request_uri}",
            data={"confirm": "yes"},
        )
        results.append("code" in redirect_params(answer.headers["Location"]))

    threads = [threading.Thread(target=decide) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 1
    assert len(site.store.grants) == 1


def test_memory_store_take_is_atomic() -> None:
    store = MemoryPushedRequestStore()
    store.save("par:k", {"client_id": "c"}, 60)
    barrier = threading.Barrier(20)
    won: list[Any] = []

    def take() -> None:
        barrier.wait()
        won.append(store.take("par:k"))

    threads = [threading.Thread(target=take) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r for r in won if r is not None] == [{"client_id": "c"}]


def test_a_full_memory_store_answers_503(site: Site) -> None:
    site.oauth.pushed_request_store(MemoryPushedRequestStore(size=1))
    assert site.push().status_code == 201
    answer = site.push()
    assert answer.status_code == 503
    assert answer.json["error"] == "temporarily_unavailable"


def test_registering_something_else_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="save, peek and take"):
        OAuth2Provider().pushed_request_store(object())  # type: ignore[arg-type]


def test_a_repeated_request_uri_is_refused(site: Site) -> None:
    request_uri = site.request_uri()
    answer = site.authorize(client_id="confidential", request_uri=request_uri)
    assert answer.status_code == 200
    path = f"/oauth/authorize?client_id=confidential&request_uri={request_uri}"
    twice = site.client.get(path + "&request_uri=" + request_uri)
    assert site.fatal_error(twice) == "invalid_request"
