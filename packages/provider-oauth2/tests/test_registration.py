"""Dynamic client registration (RFC 7591) and management (RFC 7592) over real HTTP: a
client registers with ``requests``, then logs in with Authlib's OAuth 2 client (code +
PKCE) as the client it registered; the registration policy (open for loopback redirect
URIs, else an initial access token); reading, updating and deleting a registration with
the right and the wrong registration access token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from oauth2_app import token_request
from oauthlib.oauth2.rfc6749 import errors
from registration_app import (
    INITIAL_TOKEN,
    LOOPBACK,
    Registration,
    login,
    loopback_or_token,
    registration_app,
)

from flask_oauthlib_core import hash_secret
from flask_oauthlib_provider_oauth2.rfc7591 import InvalidRedirectURI

Serve = Callable[..., str]


def me(url: str, access_token: str) -> Any:
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.get(url + "/api/me", headers=headers, timeout=10)


# -- registration, then the normal flows --------------------------------------------------


def test_a_registered_public_client_logs_in_with_pkce(serve: Serve) -> None:
    provider = registration_app(serve)
    answer = provider.register(
        {"redirect_uris": [LOOPBACK], "token_endpoint_auth_method": "none", "client_name": "CLI"}
    )
    assert answer.status_code == 201, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    info = answer.json()
    assert "client_secret" not in info and "client_secret_expires_at" not in info
    assert info["grant_types"] == ["authorization_code"]
    assert info["response_types"] == ["code"]
    assert info["scope"] == "email profile" and info["client_name"] == "CLI"
    assert info["registration_client_uri"] == f"{provider.url}/oauth/register/{info['client_id']}"
    # a native app listens on a port of its own choosing (RFC 8252 7.3)
    token = login(provider.url, info, "http://127.0.0.1:8765/callback")
    assert token["scope"] == "email"
    assert me(provider.url, token["access_token"]).json() == {
        "username": "alice",
        "client": info["client_id"],
    }
    # without PKCE a public client gets nothing (OAUTH2_PROVIDER_PKCE_REQUIRED="public")
    bare = requests.get(
        provider.url + "/oauth/authorize",
        params={"response_type": "code", "client_id": info["client_id"], "scope": "email"},
        allow_redirects=False,
        timeout=10,
    )
    assert "code=" not in bare.headers.get("Location", ""), bare.headers


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_registered_confidential_client_uses_its_registered_method(
    serve: Serve, method: str
) -> None:
    provider = registration_app(serve)
    redirect = "https://app.example.com/cb"
    info = provider.register(
        {
            "redirect_uris": [redirect],
            "token_endpoint_auth_method": method,
            "grant_types": ["authorization_code", "refresh_token"],
        },
        token=INITIAL_TOKEN,
    ).json()
    assert info["token_endpoint_auth_method"] == method
    assert info["client_secret"] and info["client_secret_expires_at"] == 0
    token = login(provider.url, info, redirect)
    assert me(provider.url, token["access_token"]).status_code == 200
    # the other secret method is refused, and so is the client id alone: the client
    # registered one method
    client_id, secret = info["client_id"], info["client_secret"]
    refresh = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    url = provider.url + "/oauth/token"
    if method == "client_secret_basic":
        posted = {**refresh, "client_id": client_id, "client_secret": secret}
        wrong = requests.post(url, data=posted, timeout=10)
    else:
        wrong = requests.post(url, data=refresh, auth=(client_id, secret), timeout=10)
    alone = token_request(provider.url, None, client_id=client_id, **refresh)
    for refused in (wrong, alone):
        assert refused.status_code == 401, refused.text
        assert refused.json()["error"] == "invalid_client"
    # Authlib refreshes with the registered method
    session = OAuth2Session(client_id, secret, token_endpoint_auth_method=method)
    refreshed = session.refresh_token(url, refresh_token=token["refresh_token"])
    assert refreshed["access_token"] != token["access_token"]


def test_metadata_lists_the_registration_endpoint_only_when_it_is_served(serve: Serve) -> None:
    def document(provider: Registration) -> dict[str, Any]:
        url = provider.url + "/.well-known/oauth-authorization-server"
        return requests.get(url, timeout=10).json()  # type: ignore[no-any-return]

    served = registration_app(serve)
    assert document(served)["registration_endpoint"] == served.url + "/oauth/register"
    off = registration_app(serve, OAUTH2_PROVIDER_REGISTRATION_ENABLED=False)
    no_storage = registration_app(serve, clientsetter=False)
    for provider in (off, no_storage):
        assert "registration_endpoint" not in document(provider)
        answer = provider.register({"redirect_uris": [LOOPBACK]})
        assert answer.status_code == 404, answer.text
        assert provider.calls == []


def test_without_a_configuration_endpoint_no_registration_access_token(serve: Serve) -> None:
    provider = registration_app(serve, management=False)
    info = provider.register({"redirect_uris": [LOOPBACK]}).json()
    assert "registration_access_token" not in info and "registration_client_uri" not in info
    assert provider.client(info["client_id"]).registration_access_token_hash is None


# -- who may register ---------------------------------------------------------------------


def test_open_for_loopback_clients_else_an_initial_access_token(serve: Serve) -> None:
    provider = registration_app(serve, loopback_or_token)
    web = {"redirect_uris": ["https://app.example.com/cb"]}
    refused = provider.register(web)
    assert refused.status_code == 401, refused.text
    assert refused.json()["error"] == "invalid_token"
    assert refused.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    wrong = provider.register(web, token="not-the-token")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_token"
    malformed = provider.register(web, token="two words")
    assert malformed.status_code == 401 and malformed.json()["error"] == "invalid_token"
    # no redirect URI is no loopback client either
    machine = {"grant_types": ["client_credentials"], "response_types": []}
    assert provider.register(machine).status_code == 401
    assert provider.calls == []
    assert provider.register(web, token=INITIAL_TOKEN).status_code == 201
    assert provider.register({"redirect_uris": [LOOPBACK]}).status_code == 201
    assert provider.register(machine, token=INITIAL_TOKEN).status_code == 201
    assert len(provider.calls) == 3


def test_the_policy_may_narrow_or_refuse_with_its_own_error(serve: Serve) -> None:
    seen: list[Any] = []

    def policy(metadata: dict[str, Any], request: Any) -> bool:
        seen.append((request.initial_access_token, request.client, request.software_statement))
        if any("evil" in uri for uri in metadata["redirect_uris"]):
            raise InvalidRedirectURI("That host may not register.")
        metadata["scope"] = "email"  # open registrations get less
        if metadata.get("client_name") == "greedy":
            metadata["scope"] = "email admin"  # checked again: refused
        return True

    provider = registration_app(serve, policy)
    statement = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln"
    info = provider.register({"redirect_uris": [LOOPBACK], "software_statement": statement})
    assert info.json()["scope"] == "email", info.text
    assert "software_statement" not in info.json()
    assert provider.client(info.json()["client_id"]).default_scopes == ["email"]
    assert seen == [(None, None, statement)]
    evil = provider.register({"redirect_uris": ["https://evil.example/cb"]})
    assert evil.status_code == 400 and evil.json()["error"] == "invalid_redirect_uri"
    assert evil.json()["error_description"] == "That host may not register."
    greedy = provider.register({"redirect_uris": [LOOPBACK], "client_name": "greedy"})
    assert greedy.status_code == 400 and greedy.json()["error"] == "invalid_client_metadata"
    assert len(provider.calls) == 1


def test_a_policy_that_forgets_to_answer_refuses_and_one_may_rate_limit(serve: Serve) -> None:
    attempts: list[str] = []

    def policy(metadata: dict[str, Any], request: Any) -> Any:
        attempts.append(request.client_id)
        if len(attempts) > 2:
            raise errors.TemporarilyUnavailableError(
                description="Too many registrations; try again later.", status_code=429
            )
        return None  # no answer is no

    provider = registration_app(serve, policy)
    for _ in range(2):
        assert provider.register({"redirect_uris": [LOOPBACK]}).status_code == 401
    limited = provider.register({"redirect_uris": [LOOPBACK]})
    assert limited.status_code == 429, limited.text
    assert limited.json()["error"] == "temporarily_unavailable"
    assert provider.calls == []


def test_a_storage_failure_is_a_503_not_a_500(serve: Serve) -> None:
    provider = registration_app(serve)
    info = provider.register({"redirect_uris": [LOOPBACK]}).json()
    provider.store.fail_storage = True  # the clientgetter fails
    read = provider.configure("GET", info)
    assert read.status_code == 503 and read.json()["error"] == "temporarily_unavailable"


# -- RFC 7592: read, update, delete -------------------------------------------------------


def test_read_update_delete_with_the_registration_access_token(serve: Serve) -> None:
    provider = registration_app(serve)
    info = provider.register(
        {"redirect_uris": [LOOPBACK], "token_endpoint_auth_method": "none", "contacts": ["a@b.c"]}
    ).json()
    client_id, token = info["client_id"], info["registration_access_token"]
    stored = provider.client(client_id)
    # only the hash is kept, and no field of the stored client holds the token
    assert stored.registration_access_token_hash == hash_secret(token)
    assert token not in repr(provider.calls) and token not in repr(stored)

    read = provider.configure("GET", info)
    assert read.status_code == 200, read.text
    assert read.headers["Cache-Control"] == "no-store"
    expected = {k: v for k, v in info.items() if k != "client_secret"}
    assert read.json() == expected

    update = {
        "client_id": client_id,
        "redirect_uris": [LOOPBACK, "com.example.cli:/callback"],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": "email",
        "client_name": "CLI 2",
    }
    updated = provider.configure("PUT", info, json=update)
    assert updated.status_code == 200, updated.text
    assert updated.json()["redirect_uris"] == update["redirect_uris"]
    assert updated.json()["registration_access_token"] == token
    assert "contacts" not in updated.json()  # omitted fields are deleted (RFC 7592 2.2)
    assert stored.redirect_uris == update["redirect_uris"]
    assert stored.allowed_grant_types == ["authorization_code", "refresh_token"]
    assert stored.client_metadata == {"client_name": "CLI 2"}
    assert provider.configure("GET", info).json()["client_name"] == "CLI 2"

    # a public client that becomes confidential gets its first secret
    confidential = {**update, "token_endpoint_auth_method": "client_secret_basic"}
    answer = provider.configure("PUT", info, json=confidential).json()
    assert answer["client_secret"] and stored.check_client_secret(answer["client_secret"])
    assert stored.is_confidential and answer["client_secret_expires_at"] == 0
    # sending it back is allowed when it is the current one, and keeps it
    again = provider.configure("PUT", info, json={**confidential, "client_secret": "nope"})
    assert again.status_code == 400 and again.json()["error"] == "invalid_client_metadata"
    kept = provider.configure(
        "PUT", info, json={**confidential, "client_secret": answer["client_secret"]}
    )
    assert kept.status_code == 200 and "client_secret" not in kept.json()
    assert stored.check_client_secret(answer["client_secret"])

    provider.store.add_token("issued-to-it", client_id=client_id)
    deleted = provider.configure("DELETE", info)
    assert deleted.status_code == 204 and deleted.text == ""
    assert client_id not in provider.store.clients
    assert "issued-to-it" not in provider.store.tokens
    gone = provider.configure("GET", info)
    assert gone.status_code == 401 and gone.json()["error"] == "invalid_token"


def test_a_wrong_token_never_tells_whether_the_client_exists(serve: Serve) -> None:
    provider = registration_app(serve)
    info = provider.register({"redirect_uris": [LOOPBACK]}).json()
    other = provider.register({"redirect_uris": [LOOPBACK]}).json()
    unknown = {**info, "registration_client_uri": info["registration_client_uri"] + "x"}
    answers = [
        provider.configure("GET", info, token="wrong"),
        provider.configure("GET", info, token=None),
        provider.configure("GET", info, token=other["registration_access_token"]),
        provider.configure("GET", unknown),
        provider.configure("PUT", info, token="wrong", json={"client_id": info["client_id"]}),
        provider.configure("DELETE", info, token="wrong"),
        provider.configure("DELETE", unknown),
        requests.get(
            info["registration_client_uri"],
            auth=(info["client_id"], info["client_secret"]),
            timeout=10,
        ),
    ]
    bodies = {answer.text for answer in answers}
    assert len(bodies) == 1, bodies
    assert all(answer.status_code == 401 for answer in answers)
    assert answers[0].json()["error"] == "invalid_token"
    assert info["client_id"] in provider.store.clients
    assert len(provider.calls) == 2


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_id": "someone-else"}, "invalid_client_metadata"),
        ({"client_id": None}, "invalid_client_metadata"),
        ({"registration_access_token": "x"}, "invalid_client_metadata"),
        ({"client_id_issued_at": 1}, "invalid_client_metadata"),
        ({"client_secret_expires_at": 0}, "invalid_client_metadata"),
        ({"registration_client_uri": "https://x"}, "invalid_client_metadata"),
        ({"redirect_uris": ["http://example.com/cb"]}, "invalid_redirect_uri"),
        ({"scope": "email admin"}, "invalid_client_metadata"),
    ],
)
def test_a_bad_update_changes_nothing(serve: Serve, change: dict[str, Any], error: str) -> None:
    provider = registration_app(serve)
    info = provider.register({"redirect_uris": [LOOPBACK]}).json()
    before = repr(provider.client(info["client_id"]))
    document = {"client_id": info["client_id"], "redirect_uris": [LOOPBACK], **change}
    answer = provider.configure("PUT", info, json=document)
    assert answer.status_code == 400 and answer.json()["error"] == error, answer.text
    assert repr(provider.client(info["client_id"])) == before
    assert len(provider.calls) == 1


def test_the_policy_decides_updates_too(serve: Serve) -> None:
    provider = registration_app(serve, loopback_or_token)
    info = provider.register({"redirect_uris": [LOOPBACK]}).json()
    moved = {"client_id": info["client_id"], "redirect_uris": ["https://app.example.com/cb"]}
    answer = provider.configure("PUT", info, json=moved)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_client_metadata"
    assert provider.client(info["client_id"]).redirect_uris == [LOOPBACK]


def test_expiring_secrets_are_refused_then_renewed_by_an_update(serve: Serve) -> None:
    provider = registration_app(serve, OAUTH2_PROVIDER_REGISTRATION_SECRET_EXPIRES_IN=600)
    info = provider.register(
        {"redirect_uris": [LOOPBACK], "grant_types": ["client_credentials"]}
    ).json()
    assert info["client_secret_expires_at"] == info["client_id_issued_at"] + 600
    stored = provider.client(info["client_id"])
    stored.user = provider.store.alice  # type: ignore[attr-defined]
    auth = (info["client_id"], info["client_secret"])
    grant = {"grant_type": "client_credentials", "scope": "email"}
    url = provider.url + "/oauth/token"
    assert requests.post(url, data=grant, auth=auth, timeout=10).status_code == 200
    stored.client_secret_expires_at = info["client_id_issued_at"] - 1
    expired = requests.post(url, data=grant, auth=auth, timeout=10)
    assert expired.status_code == 401 and expired.json()["error"] == "invalid_client"
    document = {
        "client_id": info["client_id"],
        "grant_types": ["client_credentials"],
        "client_secret": info["client_secret"],  # the current one, though expired
    }
    renewed = provider.configure("PUT", info, json=document).json()
    assert renewed["client_secret"] != info["client_secret"]
    assert renewed["client_secret_expires_at"] > info["client_id_issued_at"]
    auth = (info["client_id"], renewed["client_secret"])
    assert requests.post(url, data=grant, auth=auth, timeout=10).status_code == 200


def test_configuration_needs_get_put_or_delete(serve: Serve) -> None:
    provider = registration_app(serve)
    info = provider.register({"redirect_uris": [LOOPBACK]}).json()
    token = {"Authorization": "Bearer " + info["registration_access_token"]}
    patch = requests.patch(info["registration_client_uri"], headers=token, timeout=10)
    assert patch.status_code == 405
    get = requests.get(provider.url + "/oauth/register", timeout=10)
    assert get.status_code == 405
