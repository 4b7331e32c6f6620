"""DPoP (RFC 9449 7) at protected resources: ``Authorization: DPoP`` with a proof of
the token's key, and every attack refused with the right answer, never a 500."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from dpop_testing import RESOURCE, TOKEN_URL, b64, dpop_app, ec_key, proof, public_jwk, rsa_key
from flask import Flask
from flask.testing import FlaskClient

PASSWORD = {"grant_type": "password", "username": "alice", "password": "wonderland"}


def issue(client: FlaskClient, key: Any = None) -> str:
    headers = {"DPoP": proof(key, "POST", TOKEN_URL)} if key is not None else {}
    answer = client.post(
        "/oauth/token",
        data={**PASSWORD, "scope": "email"},
        auth=("confidential", "s3cret"),
        headers=headers,
    )
    assert answer.status_code == 200
    return str(answer.json["access_token"])


@pytest.fixture
def app() -> Flask:
    return dpop_app()[0]


def me(client: FlaskClient, token: str, *proofs: str, scheme: str = "DPoP") -> Any:
    headers = [("Authorization", f"{scheme} {token}")] + [("DPoP", p) for p in proofs]
    return client.get("/api/me", headers=headers)


def challenge(answer: Any) -> str:
    return str(answer.headers.get("WWW-Authenticate", ""))


@pytest.mark.parametrize("make_key", [ec_key, rsa_key], ids=["ES256", "RS256"])
def test_a_bound_token_with_its_proof_is_accepted_once(app: Flask, make_key: Any) -> None:
    client = app.test_client()
    key = make_key()
    token = issue(client, key)
    sent = proof(key, access_token=token)
    assert me(client, token, sent).status_code == 200
    replay = me(client, token, sent)
    assert replay.status_code == 401 and replay.json["error"] == "invalid_dpop_proof"
    assert 'error="invalid_dpop_proof"' in challenge(replay)
    assert challenge(replay).startswith("DPoP ") and "ES256" in challenge(replay)


def test_a_bound_token_sent_as_bearer_is_refused(app: Flask) -> None:
    client = app.test_client()
    key = ec_key()
    token = issue(client, key)
    answer = me(client, token, scheme="Bearer")
    assert answer.status_code == 401 and answer.json["error"] == "invalid_token"
    # the client is told to use DPoP (RFC 9449 7.2), with the algorithms accepted
    assert challenge(answer).startswith("DPoP ") and 'error="invalid_token"' in challenge(answer)
    assert "ES256" in challenge(answer)
    with_proof = me(client, token, proof(key, access_token=token), scheme="Bearer")
    assert with_proof.status_code == 401


def test_a_bearer_token_sent_as_dpop_is_refused(app: Flask) -> None:
    client = app.test_client()
    token = issue(client)
    assert me(client, token, scheme="Bearer").status_code == 200  # unchanged
    answer = me(client, token, proof(ec_key(), access_token=token))
    assert answer.status_code == 401 and answer.json["error"] == "invalid_token"


def test_a_proof_of_another_key_is_refused(app: Flask) -> None:
    client = app.test_client()
    token = issue(client, ec_key())
    answer = me(client, token, proof(ec_key(), access_token=token))
    assert answer.status_code == 401 and answer.json["error"] == "invalid_token"


def _none_alg(key: Any, token: str) -> str:
    header = b64(b'{"typ":"dpop+jwt","alg":"none","jwk":' + _jwk_json(key) + b"}")
    body = b64(f'{{"jti":"x","htm":"GET","htu":"{RESOURCE}","iat":{int(time.time())}}}'.encode())
    return f"{header}.{body}."


def _jwk_json(key: Any) -> bytes:
    import json

    return json.dumps(public_jwk(key)).encode()


def _hs256(key: Any, token: str) -> str:
    claims = {"jti": "h", "htm": "GET", "htu": RESOURCE, "iat": int(time.time())}
    headers = {"typ": "dpop+jwt", "jwk": public_jwk(key)}
    return jwt.encode(claims, "a-shared-secret-of-32-bytes-long!", "HS256", headers=headers)


def _private_jwk(key: Any, token: str) -> str:
    jwk = {**public_jwk(key), "d": b64(key.private_numbers().private_value.to_bytes(32, "big"))}
    return proof(key, access_token=token, jwk=jwk)


def _signed_by_other(key: Any, token: str) -> str:
    return proof(ec_key(), access_token=token, jwk=public_jwk(key))


ATTACKS = {
    "other-url": lambda key, token: proof(
        key, url="http://localhost/api/profile", access_token=token
    ),
    "other-method": lambda key, token: proof(key, "POST", access_token=token),
    "stale-iat": lambda key, token: proof(key, access_token=token, iat=int(time.time()) - 120),
    "future-iat": lambda key, token: proof(key, access_token=token, iat=int(time.time()) + 120),
    "alg-none": _none_alg,
    "hs256": _hs256,
    "private-jwk": _private_jwk,
    "jwk-signature-mismatch": _signed_by_other,
    "missing-ath": lambda key, token: proof(key),
    "wrong-ath": lambda key, token: proof(key, access_token=token + "x"),
    "string-iat": lambda key, token: proof(key, access_token=token, iat="now"),
    "long-jti": lambda key, token: proof(key, access_token=token, jti="j" * 300),
    "garbage": lambda key, token: "garbage",
    "three-garbage-parts": lambda key, token: "a.b.c",
    "bad-base64-header": lambda key, token: "%%%." + proof(key).split(".", 1)[1],
    "huge": lambda key, token: "a" * 9000 + ".b.c",
    "userinfo-in-htu": lambda key, token: proof(
        key, url=RESOURCE.replace("://", "://user@"), access_token=token
    ),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_an_attack_is_refused_with_invalid_dpop_proof(app: Flask, attack: str) -> None:
    client = app.test_client()
    key = ec_key()
    token = issue(client, key)
    answer = me(client, token, ATTACKS[attack](key, token))
    assert answer.status_code == 401
    assert answer.json["error"] == "invalid_dpop_proof"
    assert challenge(answer).startswith("DPoP ")
    # the right proof still works: nothing was recorded by the refused one
    assert me(client, token, proof(key, access_token=token)).status_code == 200


def test_two_dpop_headers_are_refused(app: Flask) -> None:
    client = app.test_client()
    key = ec_key()
    token = issue(client, key)
    answer = me(client, token, proof(key, access_token=token), proof(key, access_token=token))
    assert answer.status_code == 401 and answer.json["error"] == "invalid_dpop_proof"


def test_a_missing_proof_is_refused(app: Flask) -> None:
    client = app.test_client()
    token = issue(client, ec_key())
    answer = me(client, token)
    assert answer.status_code == 401 and answer.json["error"] == "invalid_dpop_proof"


@pytest.mark.parametrize(
    "authorization",
    ["DPoP", "DPoP ", "DPoP a b", "DPoP \x00", "DPoP tok\u00e9n", "dpop" + " x" * 3000],
)
def test_garbage_authorization_headers_never_fail_the_server(
    app: Flask, authorization: str
) -> None:
    answer = app.test_client().get(
        "/api/me", headers={"Authorization": authorization, "DPoP": "x.y.z"}
    )
    assert answer.status_code in (400, 401)
    assert "error_description" in answer.json


@pytest.mark.parametrize("header", ["", "...", "a.b", "\u00e9.\u00e9.\u00e9", "e30.e30.e30"])
def test_garbage_proofs_never_fail_the_server(app: Flask, header: str) -> None:
    client = app.test_client()
    token = issue(client, ec_key())
    answer = me(client, token, header)
    assert answer.status_code == 401


def test_a_nonce_is_required_at_resources_when_switched_on() -> None:
    app = dpop_app(SECRET_KEY="k" * 32, OAUTH2_PROVIDER_DPOP_NONCE=True)[0]
    client = app.test_client()
    key = ec_key()
    first = client.post(
        "/oauth/token",
        data={**PASSWORD, "scope": "email"},
        auth=("confidential", "s3cret"),
        headers={"DPoP": proof(key, "POST", TOKEN_URL)},
    )
    nonce = first.headers["DPoP-Nonce"]
    token = client.post(
        "/oauth/token",
        data={**PASSWORD, "scope": "email"},
        auth=("confidential", "s3cret"),
        headers={"DPoP": proof(key, "POST", TOKEN_URL, nonce=nonce)},
    ).json["access_token"]
    refused = me(client, token, proof(key, access_token=token))
    assert refused.status_code == 401 and refused.json["error"] == "use_dpop_nonce"
    assert 'error="use_dpop_nonce"' in challenge(refused)
    fresh = refused.headers["DPoP-Nonce"]
    assert me(client, token, proof(key, access_token=token, nonce=fresh)).status_code == 200


def test_an_insufficient_scope_is_a_403(app: Flask) -> None:
    client = app.test_client()
    key = ec_key()
    token = issue(client, key)
    url = "http://localhost/api/profile"
    answer = client.get(
        "/api/profile",
        headers={"Authorization": "DPoP " + token, "DPoP": proof(key, url=url, access_token=token)},
    )
    assert answer.status_code == 403 and answer.json["error"] == "insufficient_scope"


def test_the_htu_is_normalised(app: Flask) -> None:
    client = app.test_client()
    key = ec_key()
    token = issue(client, key)
    for url in ("HTTP://LOCALHOST:80/api/me", "http://localhost/api/me?x=1#f"):
        assert me(client, token, proof(key, url=url, access_token=token)).status_code == 200


def test_an_ec_key_off_p256_is_refused(app: Flask) -> None:
    client = app.test_client()
    key = ec_key()
    token = issue(client, key)
    other = ec.generate_private_key(ec.SECP384R1())
    numbers = other.public_key().public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-384",
        "x": b64(numbers.x.to_bytes(48, "big")),
        "y": b64(numbers.y.to_bytes(48, "big")),
    }
    sent = jwt.encode(
        {"jti": "p", "htm": "GET", "htu": RESOURCE, "iat": int(time.time())},
        other,
        "ES384",
        headers={"typ": "dpop+jwt", "jwk": jwk},
    )
    assert me(client, token, sent).json["error"] == "invalid_dpop_proof"


def test_a_private_jwk_is_named_in_the_refusal(app: Flask) -> None:
    client = app.test_client()
    key = ec_key()
    token = issue(client, key)
    answer = me(client, token, _private_jwk(key, token))
    assert answer.status_code == 401
    assert "public key" in answer.json["error_description"], answer.json
