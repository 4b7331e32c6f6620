"""Registering a client's keys and request rules (RFC 7591 with RFC 9101 and RFC 9126
metadata): public keys only, ``jwks_uri`` over https, not both, the values checked, and
a registered client's request object accepted with its registered keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from par_testing import CLIENT_KEY, public_jwks, request_object
from registration_app import LOOPBACK, registration_app

from flask_oauthlib_core.testing import redirect_params

PRIVATE = {"keys": [{**public_jwks()["keys"][0], "d": "AAAA"}]}


def metadata(**fields: Any) -> dict[str, Any]:
    body = {"redirect_uris": [LOOPBACK], "token_endpoint_auth_method": "none", **fields}
    return {name: value for name, value in body.items() if value is not None}


def test_keys_and_rules_are_registered_and_used(serve: Callable[..., str]) -> None:
    site = registration_app(serve, OAUTH2_PROVIDER_ISSUER="https://issuer.example")
    answer = site.register(
        metadata(
            jwks=public_jwks(),
            request_object_signing_alg="RS256",
            require_signed_request_object=True,
            require_pushed_authorization_requests=False,
        )
    )
    assert answer.status_code == 201, answer.text
    registered = answer.json()
    assert registered["jwks"] == public_jwks()
    assert registered["require_signed_request_object"] is True
    client = site.client(registered["client_id"])
    assert client.client_metadata["request_object_signing_alg"] == "RS256"
    client_id = registered["client_id"]
    token = request_object(
        client_id,
        CLIENT_KEY,
        redirect_uri=LOOPBACK,
        code_challenge="c" * 43,
        code_challenge_method="S256",
    )
    page = requests.get(
        site.url + "/oauth/authorize",
        params={"client_id": client_id, "request": token},
        allow_redirects=False,
        timeout=10,
    )
    assert page.status_code == 200, page.headers.get("Location")
    plain = requests.get(
        site.url + "/oauth/authorize",
        params={"client_id": client_id, "response_type": "code", "redirect_uri": LOOPBACK},
        allow_redirects=False,
        timeout=10,
    )
    assert redirect_params(plain)["error"] == "invalid_request_object"


@pytest.mark.parametrize(
    "fields",
    [
        {"jwks": PRIVATE},
        {"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}},
        {"jwks": "not an object"},
        {"jwks": {"keys": [{"kty": "RSA", "n": "!!", "e": "AQAB"}]}},
        {"jwks": {"keys": [{"kty": "RSA"}] * 100}},
        {"jwks_uri": "http://keys.example/jwks"},
        {"jwks_uri": "https://keys.example/jwks#frag"},
        {"jwks_uri": ["https://keys.example/jwks"]},
        {"jwks_uri": "https://" + "k" * 5000},
        {"jwks": public_jwks(), "jwks_uri": "https://keys.example/jwks"},
        {"request_object_signing_alg": "HS256"},
        {"request_object_signing_alg": ["RS256"]},
        {"require_signed_request_object": "yes"},
        {"require_pushed_authorization_requests": 1},
        {"request_object_signing_alg": "none", "require_signed_request_object": True},
    ],
)
def test_bad_values_are_refused(serve: Callable[..., str], fields: dict[str, Any]) -> None:
    site = registration_app(serve)
    answer = site.register(metadata(**fields))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_client_metadata"
    assert "AAAA" not in answer.text
    assert not site.calls


def test_jwks_uri_is_kept(serve: Callable[..., str]) -> None:
    site = registration_app(serve)
    answer = site.register(metadata(jwks_uri="https://keys.example/jwks"))
    assert answer.status_code == 201, answer.text
    client = site.client(answer.json()["client_id"])
    assert client.client_metadata["jwks_uri"] == "https://keys.example/jwks"
