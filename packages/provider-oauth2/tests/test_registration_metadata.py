"""Every rule of client metadata (RFC 7591 2) at the registration endpoint, over HTTP:
bad input gets 400 with the error RFC 7591 3.2.2 names, never a 500, and nothing is
stored; good input is registered with the defaults filled in and unknown fields left
out."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from oauth2_app import create_app
from registration_app import LOOPBACK, Registration, register, registration_app

from flask_oauthlib_provider_oauth2 import DEFAULTS
from flask_oauthlib_provider_oauth2.client_metadata import MAX_BODY

Serve = Callable[..., str]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

BAD_REDIRECT_URIS = [
    "http://example.com/callback",  # http off loopback
    "http://127.0.0.1.example.com/cb",
    "http://localhost.evil.com/cb",
    "https://app.example.com/cb#fragment",
    "https://app.example.com/cb#",
    "http://127.0.0.1/cb#x",
    "javascript:alert(1)",
    "JavaScript:alert(1)//.x",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox",
    "file:///etc/passwd",
    "about:blank",
    "myapp:/callback",  # a private-use scheme needs a reverse domain name
    "/relative/callback",
    "callback",
    "",
    "https://user:pw@app.example.com/cb",
    "https://@app.example.com/cb",
    "https:///cb",
    "https://app.example.com/a b",
    "https://app.example.com/\x00",
    "https://app.example.com/\n",
    "https://app.example.com/caf\u00e9",
    "https://[::1/cb",
    "https://app.example.com:99999/cb",
    "https://app.example.com/" + "a" * 2000,
]

BAD_METADATA: list[tuple[dict[str, Any], str]] = [
    ({"redirect_uris": "https://app.example.com/cb"}, "invalid_redirect_uri"),
    ({"redirect_uris": [42]}, "invalid_redirect_uri"),
    ({"redirect_uris": [["https://app.example.com/cb"]]}, "invalid_redirect_uri"),
    ({"redirect_uris": [LOOPBACK] * 21}, "invalid_redirect_uri"),
    ({"redirect_uris": []}, "invalid_redirect_uri"),  # the code grant needs one
    ({}, "invalid_redirect_uri"),
    # grant and response types that do not match (RFC 7591 2.1)
    (
        {"grant_types": ["authorization_code"], "response_types": ["token"]},
        "invalid_client_metadata",
    ),
    ({"grant_types": ["implicit"], "response_types": ["code"]}, "invalid_client_metadata"),
    (
        {"grant_types": ["client_credentials"], "response_types": ["code"]},
        "invalid_client_metadata",
    ),
    ({"grant_types": ["authorization_code"], "response_types": []}, "invalid_client_metadata"),
    ({"grant_types": ["refresh_token"], "response_types": ["code"]}, "invalid_client_metadata"),
    # what the server does not offer, or never gives a registered client
    ({"grant_types": ["password"]}, "invalid_client_metadata"),
    ({"grant_types": ["urn:example:unknown"]}, "invalid_client_metadata"),
    ({"response_types": ["code id_token"]}, "invalid_client_metadata"),
    ({"grant_types": "authorization_code"}, "invalid_client_metadata"),
    ({"grant_types": [None]}, "invalid_client_metadata"),
    ({"grant_types": ["authorization_code"] * 11}, "invalid_client_metadata"),
    # client authentication
    ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
    # private_key_jwt needs keys; client_secret_jwt needs a plaintext secret, and
    # registered secrets are stored hashed
    ({"token_endpoint_auth_method": "client_secret_jwt"}, "invalid_client_metadata"),
    ({"token_endpoint_auth_method": "tls_client_auth"}, "invalid_client_metadata"),
    ({"token_endpoint_auth_method": ["none"]}, "invalid_client_metadata"),
    (
        {
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "none",
        },
        "invalid_client_metadata",
    ),
    # scope beyond what registered clients may have
    ({"scope": "email admin"}, "invalid_client_metadata"),
    ({"scope": "email\tprofile"}, "invalid_client_metadata"),
    ({"scope": 'email "quoted"'}, "invalid_client_metadata"),
    ({"scope": ["email"]}, "invalid_client_metadata"),
    ({"scope": "email " * 500}, "invalid_client_metadata"),
    # descriptive fields
    ({"client_name": "x" * 201}, "invalid_client_metadata"),
    ({"client_name": "bad\x00name"}, "invalid_client_metadata"),
    ({"client_name": "two\nlines"}, "invalid_client_metadata"),
    ({"client_name": {"nested": ["junk"]}}, "invalid_client_metadata"),
    ({"client_name": ""}, "invalid_client_metadata"),
    ({"client_name": 7}, "invalid_client_metadata"),
    ({"software_id": "s" * 201}, "invalid_client_metadata"),
    ({"software_version": ["1"]}, "invalid_client_metadata"),
    ({"logo_uri": "javascript:alert(1)"}, "invalid_client_metadata"),
    ({"client_uri": "http://example.com"}, "invalid_client_metadata"),
    ({"tos_uri": "data:text/html,x"}, "invalid_client_metadata"),
    ({"policy_uri": "https://ex ample.com"}, "invalid_client_metadata"),
    ({"contacts": "admin@example.com"}, "invalid_client_metadata"),
    ({"contacts": ["a@example.com"] * 11}, "invalid_client_metadata"),
    ({"contacts": ["a\x00@example.com"]}, "invalid_client_metadata"),
    ({"contacts": [{"email": "a@example.com"}]}, "invalid_client_metadata"),
    ({"post_logout_redirect_uris": ["javascript:alert(1)"]}, "invalid_client_metadata"),
    ({"software_statement": "not a jwt"}, "invalid_software_statement"),
    ({"software_statement": {"iss": "me"}}, "invalid_software_statement"),
    ({"software_statement": "a.b"}, "invalid_software_statement"),
]


def bad(provider: Registration, answer: Any, error: str) -> None:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error"] == error, body
    assert body["error_description"], body
    assert answer.headers["Cache-Control"] == "no-store"
    assert provider.calls == [] and not any(
        type(client).__name__ == "RegisteredClient" for client in provider.store.clients.values()
    )


@pytest.fixture
def provider(serve: Serve) -> Registration:
    return registration_app(serve)


@pytest.mark.parametrize("uri", BAD_REDIRECT_URIS)
def test_bad_redirect_uris_are_refused(provider: Registration, uri: str) -> None:
    answer = provider.register({"redirect_uris": [LOOPBACK, uri]})
    bad(provider, answer, "invalid_redirect_uri")


@pytest.mark.parametrize(
    ("metadata", "error"), BAD_METADATA, ids=[json.dumps(m)[:60] for m, _ in BAD_METADATA]
)
def test_bad_metadata_is_refused(
    provider: Registration, metadata: dict[str, Any], error: str
) -> None:
    document = {"redirect_uris": [LOOPBACK], **metadata}
    if metadata == {}:
        document = {}
    answer = provider.register(document)
    bad(provider, answer, error)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ("not json", {"Content-Type": "application/json"}),
        ("", {"Content-Type": "application/json"}),
        ('{"redirect_uris": ["http://127.0.0.1/cb"]', {"Content-Type": "application/json"}),
        ("[]", {"Content-Type": "application/json"}),
        ('"a string"', {"Content-Type": "application/json"}),
        ("null", {"Content-Type": "application/json"}),
        ('{"client_name": NaN}', {"Content-Type": "application/json"}),
        ('{"scope": "email", "scope": "admin"}', {"Content-Type": "application/json"}),
        (b'{"client_name": "\xff\xfe"}', {"Content-Type": "application/json"}),
        ("[" * 30_000 + "]" * 30_000, {"Content-Type": "application/json"}),
        ('{"a":' * 10_000 + "1" + "}" * 10_000, {"Content-Type": "application/json"}),
        ('{"redirect_uris": ["http://127.0.0.1/cb"]}', {"Content-Type": "text/plain"}),
        ("redirect_uris=http%3A%2F%2F127.0.0.1%2Fcb", FORM),
    ],
    ids=lambda value: repr(value)[:40],
)
def test_a_body_that_is_no_json_object_is_refused(
    provider: Registration, body: str | bytes, headers: dict[str, str]
) -> None:
    answer = provider.register(data=body, headers=headers)
    bad(provider, answer, "invalid_client_metadata")


def test_json_sent_as_a_form_is_a_malformed_request(provider: Registration) -> None:
    # refused as every endpoint refuses a form that is not form-encoded
    answer = provider.register(data='{"redirect_uris": ["http://127.0.0.1/cb"]}', headers=FORM)
    bad(provider, answer, "invalid_request")


def test_a_huge_body_is_refused_unread(provider: Registration) -> None:
    huge = {"redirect_uris": [LOOPBACK], "client_name": "x", "junk": "y" * MAX_BODY}
    bad(provider, provider.register(huge), "invalid_client_metadata")
    # a chunked body (no Content-Length) is read no further than the limit
    chunks = (b'{"junk": "' + b"y" * 8192 for _ in range(20))
    answer = provider.register(data=chunks, headers={"Content-Type": "application/json"})
    bad(provider, answer, "invalid_client_metadata")


def test_good_redirect_uris_and_defaults(provider: Registration) -> None:
    uris = [
        "https://app.example.com/callback?x=1",
        "http://127.0.0.1:8080/cb",
        "http://[::1]/cb",
        "http://localhost/cb",
        "com.example.app:/oauth2redirect",
        "com.example.app://callback",
    ]
    answer = provider.register({"redirect_uris": uris})
    assert answer.status_code == 201, answer.text
    info = answer.json()
    assert info["redirect_uris"] == uris
    assert info["grant_types"] == ["authorization_code"]
    assert info["response_types"] == ["code"]
    assert info["token_endpoint_auth_method"] == "client_secret_basic"
    assert info["scope"] == "email profile"
    assert info["client_secret"] and info["client_id_issued_at"] > 0


def test_unknown_fields_are_ignored_and_nothing_else_is_taken(provider: Registration) -> None:
    document = {
        "redirect_uris": [LOOPBACK],
        "client_id": "i-choose-my-id",
        "client_secret": "and-my-secret",
        "sector_identifier_uri": "https://app.example.com/sectors",
        "client_name#fr": "Mon appli",
        "extension": {"deeply": [{"nested": ["junk", None, 1.5]}]},
        "registration_access_token": "mine",
        "client_uri": None,  # null is no value
    }
    answer = provider.register(document)
    assert answer.status_code == 201, answer.text
    info = answer.json()
    assert info["client_id"] != "i-choose-my-id"
    assert info["client_secret"] != "and-my-secret"
    assert info["registration_access_token"] != "mine"
    for name in ("sector_identifier_uri", "client_name#fr", "extension", "client_uri"):
        assert name not in info
    ((client_id, stored),) = provider.calls
    assert stored is not None and set(stored["client_metadata"]) == set()
    assert "extension" not in repr(stored)


def test_types_default_from_each_other(provider: Registration) -> None:
    machine = provider.register(
        {"grant_types": ["client_credentials", "client_credentials"]}
    ).json()
    assert machine["grant_types"] == ["client_credentials"]
    assert machine["response_types"] == [] and machine["redirect_uris"] == []
    implicit = provider.register({"redirect_uris": [LOOPBACK], "response_types": ["token"]})
    assert implicit.json()["grant_types"] == ["implicit"], implicit.text
    device = "urn:ietf:params:oauth:grant-type:device_code"
    offered = provider.register({"grant_types": [device], "token_endpoint_auth_method": "none"})
    # the device grant is offered only with a devicegetter
    assert offered.status_code == 400 and offered.json()["error"] == "invalid_client_metadata"


def test_descriptive_metadata_is_stored_and_answered(provider: Registration) -> None:
    described = {
        "client_name": "Agent \u00e9t\u00e9",
        "client_uri": "https://agent.example.com",
        "logo_uri": "https://agent.example.com/logo.png",
        "tos_uri": "https://agent.example.com/tos",
        "policy_uri": "https://agent.example.com/privacy",
        "contacts": ["ops@agent.example.com"],
        "software_id": "4NRB1-0XZABZI9E6-5SM3R",
        "software_version": "2.1",
    }
    answer = provider.register({"redirect_uris": [LOOPBACK], **described})
    assert answer.status_code == 201, answer.text
    assert {k: answer.json()[k] for k in described} == described
    assert provider.client(answer.json()["client_id"]).client_metadata == described


def test_registration_is_off_by_default(serve: Serve) -> None:
    assert DEFAULTS["OAUTH2_PROVIDER_REGISTRATION_ENABLED"] is False
    app, oauth, store = create_app()
    oauth.clientsetter(lambda client_id, client, request: pytest.fail("stored"))

    @app.route("/oauth/register", methods=["POST"])
    @oauth.registration_handler
    def registration() -> None:
        return None

    answer = register(serve(app), {"redirect_uris": [LOOPBACK]})
    assert answer.status_code == 404 and answer.json()["error"] == "invalid_request"
