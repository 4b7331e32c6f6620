"""The provider's signals (``flask_oauthlib_provider_oauth2.signals``), each sent by a
real flow over HTTP, with the app as sender and what the docs list, once the change is
stored; nothing is built while nobody listens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import requests
from oauth2_app import Provider, authorize_url, redeem, token_request
from registration_app import registration_app

from flask_oauthlib_core.testing import pkce_pair
from flask_oauthlib_provider_oauth2 import RevokedTokens, signals

Heard = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def heard(provider: Provider) -> Iterator[Heard]:
    """Every signal the provider's app sends in this test: ``(name, keywords)``."""
    yield from listen(provider.app)


def listen(app: Any) -> Iterator[Heard]:
    events: Heard = []

    def receiver(name: str) -> Any:
        def receive(sender: Any, **data: Any) -> None:
            assert sender is app
            events.append((name, data))

        return receive

    with ExitStack() as stack:
        for name in signals.__all__:
            signal = getattr(signals, name)
            stack.enter_context(signal.connected_to(receiver(name), sender=app))
        yield events


def only(heard: Heard, name: str) -> list[dict[str, Any]]:
    return [data for told, data in heard if told == name]


def code(provider: Provider, client_id: str = "confidential", allow: bool = True) -> Any:
    """Alice's answer on the consent page for a PKCE login of ``client_id``: the callback's
    parameters, and the verifier."""
    verifier, challenge = pkce_pair()
    url = authorize_url(
        provider.url, client_id=client_id, code_challenge=challenge, code_challenge_method="S256"
    )
    return provider.callback_params(url, allow), verifier


def logged_in(provider: Provider) -> dict[str, Any]:
    """The token of a code flow of the confidential client (with a refresh token)."""
    params, verifier = code(provider)
    answer = redeem(provider.url, params["code"], code_verifier=verifier)
    assert answer.status_code == 200, answer.text
    token: dict[str, Any] = answer.json()
    return token


def test_the_authorization_code_flow(provider: Provider, heard: Heard) -> None:
    logged_in(provider)
    alice = provider.store.alice
    assert [name for name, _ in heard] == ["authorization_granted", "token_issued"]
    granted, issued = (data for _, data in heard)
    assert granted == {
        "client_id": "confidential",
        "user": alice,
        "scopes": ["email"],
        "response_type": "code",
    }
    assert issued == {
        "client_id": "confidential",
        "user": alice,
        "scopes": ["email"],
        "grant_type": "authorization_code",
        "token_type": "Bearer",
    }


def test_consent_denied(provider: Provider, heard: Heard) -> None:
    params, _ = code(provider, allow=False)
    assert params["error"] == "access_denied"
    assert heard == [
        (
            "authorization_denied",
            {
                "client_id": "confidential",
                "user": None,
                "scopes": ["email"],
                "response_type": "code",
            },
        )
    ]


def test_the_implicit_grant(provider: Provider, heard: Heard) -> None:
    answer = provider.consent(authorize_url(provider.url, response_type="token"))
    assert "access_token=" in answer.headers["Location"]
    assert [name for name, _ in heard] == ["authorization_granted", "token_issued"]
    assert only(heard, "authorization_granted")[0]["response_type"] == "token"
    issued = only(heard, "token_issued")[0]
    assert (issued["grant_type"], issued["client_id"], issued["scopes"]) == (
        "implicit",
        "confidential",
        ["email"],
    )


def test_client_credentials(provider: Provider, heard: Heard) -> None:
    answer = token_request(provider.url, "machine", grant_type="client_credentials")
    assert answer.status_code == 200, answer.text
    assert heard == [
        (
            "token_issued",
            {
                "client_id": "machine",
                "user": provider.store.alice,
                "scopes": ["email"],
                "grant_type": "client_credentials",
                "token_type": "Bearer",
            },
        )
    ]


def test_refresh_and_rotation(provider: Provider, heard: Heard) -> None:
    token = logged_in(provider)
    heard.clear()
    answer = token_request(
        provider.url, grant_type="refresh_token", refresh_token=token["refresh_token"]
    )
    assert answer.status_code == 200, answer.text
    alice = provider.store.alice
    assert heard == [
        (
            "token_revoked",
            {
                "client_id": "confidential",
                "user": alice,
                "scopes": ["email"],
                "reason": "rotation",
                "family": False,
            },
        ),
        (
            "token_refreshed",
            {
                "client_id": "confidential",
                "user": alice,
                "scopes": ["email"],
                "grant_type": "refresh_token",
                "token_type": "Bearer",
            },
        ),
    ]


def test_refresh_token_reuse(provider: Provider, heard: Heard) -> None:
    token = logged_in(provider)
    refresh = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    assert token_request(provider.url, **refresh).status_code == 200
    heard.clear()
    reused = token_request(provider.url, **refresh)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    told = {"client_id": "confidential", "user": provider.store.alice, "scopes": ["email"]}
    assert heard == [
        ("token_revoked", {**told, "reason": "refresh_token_reuse", "family": True}),
        ("refresh_token_reuse_detected", told),
    ]


def test_refresh_token_reuse_with_a_storage_that_revokes_no_family(
    provider: Provider, heard: Heard
) -> None:
    from dataclasses import fields

    from oauth2_app import Token

    class NoFamily(Token):
        revoke_family = None  # type: ignore[assignment]  # a storage without it

    token = logged_in(provider)
    refresh = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    assert token_request(provider.url, **refresh).status_code == 200
    tokens = provider.store.tokens
    for key, stored in list(tokens.items()):
        tokens[key] = NoFamily(**{f.name: getattr(stored, f.name) for f in fields(stored)})
    heard.clear()
    reused = token_request(provider.url, **refresh)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    told = {"client_id": "confidential", "user": provider.store.alice, "scopes": ["email"]}
    assert heard == [("refresh_token_reuse_detected", told)]  # nothing else was revoked


def test_revocation_endpoint(provider: Provider, heard: Heard) -> None:
    token = logged_in(provider)
    heard.clear()
    answer = requests.post(
        provider.url + "/oauth/revoke",
        data={"token": token["access_token"]},
        auth=("confidential", "s3cret"),
        timeout=10,
    )
    assert answer.status_code == 200
    assert only(heard, "token_revoked") == [
        {
            "client_id": "confidential",
            "user": provider.store.alice,
            "scopes": ["email"],
            "reason": "revocation",
            "family": False,
        }
    ]


def test_a_replayed_code(provider: Provider, heard: Heard) -> None:
    params, verifier = code(provider)
    assert redeem(provider.url, params["code"], code_verifier=verifier).status_code == 200
    heard.clear()
    replayed = redeem(provider.url, params["code"], code_verifier=verifier)
    assert replayed.status_code == 400
    assert [(d["reason"], d["family"]) for d in only(heard, "token_revoked")] == [
        ("code_replay", True)
    ]
    assert only(heard, "token_issued") == []


@pytest.mark.parametrize(
    ("auth", "data", "told"),
    [
        (("machine", "wrong"), {}, ("machine", "client_secret_basic", "invalid_credentials")),
        # an id no client has may be a secret typed in its place: not sent
        (("nobody", "x"), {}, (None, "client_secret_basic", "unknown_client")),
        (None, {"client_id": "machine"}, ("machine", None, "no_credentials")),
        (
            None,
            {"client_id": "machine", "client_secret": "wrong"},
            ("machine", "client_secret_post", "invalid_credentials"),
        ),
    ],
)
def test_failed_client_authentication(
    provider: Provider, heard: Heard, auth: Any, data: dict[str, str], told: tuple[Any, ...]
) -> None:
    answer = requests.post(
        provider.url + "/oauth/token",
        data={"grant_type": "client_credentials", **data},
        auth=auth,
        timeout=10,
    )
    assert answer.status_code in (400, 401) and answer.json()["error"] == "invalid_client"
    failed = only(heard, "client_authentication_failed")
    assert failed == [
        {
            "client_id": told[0],
            "method": told[1],
            "reason": told[2],
            "grant_type": "client_credentials",
        }
    ]
    assert only(heard, "token_issued") == []


def test_a_public_client_that_presents_a_secret(provider: Provider, heard: Heard) -> None:
    params, verifier = code(provider, "public")
    answer = redeem(
        provider.url, params["code"], "public", code_verifier=verifier, client_secret="x"
    )
    assert answer.status_code == 401
    assert only(heard, "client_authentication_failed") == [
        {
            "client_id": "public",
            "method": None,
            "reason": "invalid_credentials",
            "grant_type": "authorization_code",
        }
    ]
    assert only(heard, "token_issued") == []


def test_dynamic_registration(serve: Any) -> None:
    registration = registration_app(serve)
    events: Heard = []

    def receive(sender: Any, **data: Any) -> None:
        events.append(("client_registered", data))

    with signals.client_registered.connected_to(receive):
        answer = registration.register(
            {
                "redirect_uris": ["http://127.0.0.1/callback"],
                "grant_types": ["authorization_code", "refresh_token"],
                "scope": "email",
                "client_name": "An agent",
            }
        )
    assert answer.status_code == 201, answer.text
    client_id = answer.json()["client_id"]
    assert events == [
        (
            "client_registered",
            {
                "client_id": client_id,
                "user": None,
                "scopes": ["email"],
                "grant_types": ["authorization_code", "refresh_token"],
                "is_confidential": True,
                "source": "registration",
            },
        )
    ]


def test_sent_once_beside_the_revocation_listeners(provider: Provider, heard: Heard) -> None:
    listened: list[RevokedTokens] = []
    provider.oauth.revocation_listener(listened.append)
    token = logged_in(provider)
    answer = requests.post(
        provider.url + "/oauth/revoke",
        data={"token": token["refresh_token"], "token_type_hint": "refresh_token"},
        auth=("confidential", "s3cret"),
        timeout=10,
    )
    assert answer.status_code == 200
    assert [(r.reason, r.family) for r in listened] == [("revocation", True)]
    assert [(d["reason"], d["family"]) for d in only(heard, "token_revoked")] == [
        ("revocation", True)
    ]


def test_the_apps_own_revocations_are_sent_too(provider: Provider, heard: Heard) -> None:
    stored = provider.store.add_token("admin-revoked", scopes=["email", "profile"])
    with provider.app.app_context():
        provider.oauth.tokens_revoked(RevokedTokens.of(stored, "admin"))
    assert only(heard, "token_revoked") == [
        {
            "client_id": "confidential",
            "user": provider.store.alice,
            "scopes": ["email", "profile"],
            "reason": "admin",
            "family": False,
        }
    ]


def test_a_receiver_that_raises_fails_the_request_after_the_token_is_stored(
    provider: Provider,
) -> None:
    def broken(sender: Any, **data: Any) -> None:
        raise RuntimeError("the audit log is down")

    before = set(provider.store.tokens)
    with signals.token_issued.connected_to(broken, sender=provider.app):
        answer = token_request(provider.url, "machine", grant_type="client_credentials")
    assert answer.status_code == 500
    assert len(set(provider.store.tokens) - before) == 1  # stored before it was told


def test_nothing_is_built_while_nobody_listens(
    provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    real = RevokedTokens.of.__func__  # type: ignore[attr-defined]

    def counting(cls: Any, stored: Any, reason: str, **kw: Any) -> RevokedTokens:
        built.append(reason)
        return real(cls, stored, reason, **kw)  # type: ignore[no-any-return]

    monkeypatch.setattr(RevokedTokens, "of", classmethod(counting))
    token = logged_in(provider)
    refresh = {"grant_type": "refresh_token", "refresh_token": token["refresh_token"]}
    assert token_request(provider.url, **refresh).status_code == 200
    assert built == []  # no listener, no receiver: the revocation was not described
    with signals.token_revoked.connected_to(lambda sender, **data: None):
        logged_in_again = logged_in(provider)
        again = {"grant_type": "refresh_token", "refresh_token": logged_in_again["refresh_token"]}
        assert token_request(provider.url, **again).status_code == 200
    assert built == ["rotation"]
