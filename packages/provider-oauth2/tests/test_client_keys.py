"""A client's public keys (``client_keys``): key sets by value and by ``jwks_uri`` (served
over real TLS by :class:`cimd_testing.DocumentServer`), and :func:`verify_client_jwt`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import dpop_testing
import jwt
import pytest
from cimd_testing import DocumentServer
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from flask_oauthlib_provider_oauth2.client_keys import (
    ClientJWTError,
    check_jwks,
    client_keys,
    forget_fetched_keys,
    verify_client_jwt,
)
from flask_oauthlib_provider_oauth2.config import OAuth2Settings

AUD = "https://issuer.example"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
ED_KEY = ed25519.Ed25519PrivateKey.generate()
OTHER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: Any, kid: str) -> dict[str, Any]:
    """The public JWK of ``key`` with ``kid``."""
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return {**dpop_testing.public_jwk(key), "kid": kid}
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return {"kty": "OKP", "crv": "Ed25519", "x": dpop_testing.b64(raw), "kid": kid}


def sign(key: Any, alg: str = "RS256", kid: str | None = "k1", **claims: Any) -> str:
    """A JWT signed with ``key``: audience :data:`AUD`, an hour left, ``claims`` added
    (``None`` drops one)."""
    now = int(time.time())
    body = {"iss": "c", "aud": AUD, "exp": now + 3600, "iat": now, **claims}
    body = {name: value for name, value in body.items() if value is not None}
    headers = {"kid": kid} if kid else {}
    return jwt.encode(body, key, algorithm=alg, headers=headers)


@dataclass
class Client:
    client_id: str = "c"
    jwks: Any = None
    jwks_uri: str | None = None
    client_metadata: dict[str, Any] = field(default_factory=dict)


SETTINGS = OAuth2Settings()
KEYS = {"keys": [public_jwk(RSA_KEY, "k1"), public_jwk(EC_KEY, "k2"), public_jwk(ED_KEY, "k3")]}


@pytest.fixture
def documents() -> Iterator[DocumentServer]:
    forget_fetched_keys()
    with DocumentServer() as server:
        yield server
    forget_fetched_keys()


def uri_settings(documents: DocumentServer) -> OAuth2Settings:
    return OAuth2Settings.from_config(documents.config)


@pytest.mark.parametrize(
    ("key", "alg", "kid"),
    [
        (RSA_KEY, "RS256", "k1"),
        (RSA_KEY, "PS256", "k1"),
        (EC_KEY, "ES256", "k2"),
        (ED_KEY, "EdDSA", "k3"),
        (EC_KEY, "ES256", None),
    ],
)
def test_verifies_each_key_type(key: Any, alg: str, kid: str | None) -> None:
    claims = verify_client_jwt(
        Client(jwks=KEYS), sign(key, alg, kid), audience=AUD, settings=SETTINGS
    )
    assert claims["iss"] == "c"


def test_reads_jwks_as_json_text_and_from_client_metadata() -> None:
    token = sign(RSA_KEY)
    assert verify_client_jwt(Client(jwks=json.dumps(KEYS)), token, audience=AUD, settings=SETTINGS)
    client = Client(client_metadata={"jwks": KEYS})
    assert verify_client_jwt(client, token, audience=[AUD, "x"], settings=SETTINGS)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (lambda: sign(OTHER_RSA), "signature is invalid"),
        (lambda: sign(RSA_KEY, kid="unknown"), "No key"),
        (lambda: sign(RSA_KEY, aud="https://elsewhere"), "aud"),
        (lambda: sign(RSA_KEY, aud=None), "no aud"),
        (lambda: sign(RSA_KEY, exp=None), "no exp"),
        (lambda: sign(RSA_KEY, exp=int(time.time()) - 120), "expired"),
        (lambda: sign(RSA_KEY, nbf=int(time.time()) + 600), "not valid yet"),
        (lambda: sign(RSA_KEY, iat=int(time.time()) + 600), "not valid yet"),
        (lambda: sign(RSA_KEY, exp="tomorrow"), "malformed"),
        (lambda: sign(RSA_KEY, "RS384"), "algorithm"),
        (jwt.encode({"aud": AUD, "exp": 2**40}, "k" * 32, algorithm="HS256"), "algorithm"),
        (jwt.encode({"aud": AUD, "exp": 2**40}, None, algorithm="none"), "algorithm"),
        ("not a jwt", "compact"),
        ("a.b.c", "malformed"),
        ("x" * 70000, "too long"),
        ("", "missing"),
        ("é.e30.x", "compact"),
    ],
)
def test_refuses_bad_tokens(token: str | Callable[[], str], message: str) -> None:
    token = token() if callable(token) else token  # signed now: times are relative
    with pytest.raises(ClientJWTError, match=message):
        verify_client_jwt(Client(jwks=KEYS), token, audience=AUD, settings=SETTINGS)


def test_refuses_a_non_string_token() -> None:
    with pytest.raises(ClientJWTError):
        verify_client_jwt(Client(jwks=KEYS), 42, audience=AUD, settings=SETTINGS)  # type: ignore[arg-type]


def test_hmac_and_none_stay_refused_even_when_asked_for() -> None:
    token = jwt.encode({"aud": AUD, "exp": 2**40}, "k" * 32, algorithm="HS256")
    with pytest.raises(ClientJWTError, match="algorithm"):
        verify_client_jwt(
            Client(jwks=KEYS), token, audience=AUD, settings=SETTINGS, algorithms=["HS256", "none"]
        )


def test_a_key_of_another_type_does_not_verify() -> None:
    """An ES256 header with the RSA key's kid: no key fits (no algorithm confusion)."""
    with pytest.raises(ClientJWTError, match="No key"):
        verify_client_jwt(
            Client(jwks=KEYS), sign(EC_KEY, "ES256", "k1"), audience=AUD, settings=SETTINGS
        )


def test_typ_is_checked() -> None:
    token = jwt.encode(
        {"aud": AUD, "exp": 2**40},
        RSA_KEY,
        algorithm="RS256",
        headers={"kid": "k1", "typ": "oauth-authz-req+jwt"},
    )
    client = Client(jwks=KEYS)
    assert verify_client_jwt(
        client, token, audience=AUD, settings=SETTINGS, typ="application/oauth-authz-req+jwt"
    )
    with pytest.raises(ClientJWTError, match="typ"):
        verify_client_jwt(client, sign(RSA_KEY), audience=AUD, settings=SETTINGS, typ="dpop+jwt")


@pytest.mark.parametrize(
    "jwks",
    [
        {"keys": [{**public_jwk(RSA_KEY, "k1"), "d": "AAAA"}]},
        {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]},
        {"keys": "nope"},
        {"nokeys": []},
        {"keys": [{"kty": 1}]},
        {"keys": [{"kty": "RSA", "kid": 5}]},
        {"keys": [{"kty": "RSA"}] * 40},
        "not json",
        "[]",
        "x" * 70000,
        42,
    ],
)
def test_key_sets_are_checked(jwks: Any) -> None:
    with pytest.raises(ClientJWTError):
        client_keys(Client(jwks=jwks), SETTINGS)


def test_a_malformed_key_is_refused() -> None:
    with pytest.raises(ClientJWTError, match="malformed"):
        client_keys(Client(jwks={"keys": [{"kty": "RSA", "n": "!!", "e": "AQAB"}]}), SETTINGS)


def test_a_small_rsa_key_is_refused() -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - refused
    with pytest.raises(ClientJWTError, match="2048"):
        client_keys(Client(jwks={"keys": [public_jwk(small, "s")]}), SETTINGS)


def test_check_jwks_gives_the_set() -> None:
    assert check_jwks(json.dumps(KEYS)) == KEYS


def test_no_keys_or_both_are_refused() -> None:
    with pytest.raises(ClientJWTError, match="no registered keys"):
        client_keys(Client(), SETTINGS)
    with pytest.raises(ClientJWTError, match="both"):
        client_keys(Client(jwks=KEYS, jwks_uri="https://x.example/jwks"), SETTINGS)
    with pytest.raises(ClientJWTError, match="https"):
        client_keys(Client(jwks_uri="http://x.example/jwks"), SETTINGS)


def test_jwks_uri_is_fetched_and_cached(documents: DocumentServer) -> None:
    url = documents.serve("/jwks", {"keys": [public_jwk(RSA_KEY, "k1")]})
    settings = uri_settings(documents)
    client = Client(jwks_uri=url)
    for _ in range(3):
        verify_client_jwt(client, sign(RSA_KEY), audience=AUD, settings=settings)
    assert documents.hits["/jwks"] == 1


def test_jwks_uri_is_fetched_again_for_a_new_kid_once(documents: DocumentServer) -> None:
    url = documents.serve("/jwks", {"keys": [public_jwk(RSA_KEY, "k1")]})
    settings = uri_settings(documents)
    client = Client(client_metadata={"jwks_uri": url})
    verify_client_jwt(client, sign(RSA_KEY), audience=AUD, settings=settings)
    # the client rotates to a new key
    documents.serve("/jwks", {"keys": [public_jwk(OTHER_RSA, "k2")]})
    assert verify_client_jwt(client, sign(OTHER_RSA, kid="k2"), audience=AUD, settings=settings)
    assert documents.hits["/jwks"] == 2
    # unknown kids do not make it fetched on every request (once a minute at most)
    for _ in range(3):
        with pytest.raises(ClientJWTError, match="No key"):
            verify_client_jwt(client, sign(RSA_KEY, kid="k9"), audience=AUD, settings=settings)
    assert documents.hits["/jwks"] == 2


@pytest.mark.parametrize(
    ("body", "kw"),
    [
        ({"keys": [{**public_jwk(RSA_KEY, "k1"), "d": "AAAA"}]}, {}),
        ("not json", {}),
        ({"keys": []}, {"status": "302 Found"}),
        ({"keys": [public_jwk(RSA_KEY, "k1")]}, {"content_type": "text/html"}),
        ({"keys": [public_jwk(RSA_KEY, "k1")] * 30, "pad": "x" * 70000}, {}),
    ],
)
def test_bad_jwks_uri_answers_are_refused(
    documents: DocumentServer, body: Any, kw: dict[str, Any]
) -> None:
    content_type = kw.pop("content_type", "application/json")
    url = documents.serve("/jwks", body, content_type, **kw)
    with pytest.raises(ClientJWTError, match="jwks_uri"):
        verify_client_jwt(
            Client(jwks_uri=url), sign(RSA_KEY), audience=AUD, settings=uri_settings(documents)
        )


def test_jwks_uri_on_a_private_address_is_refused(documents: DocumentServer) -> None:
    url = documents.serve("/jwks", {"keys": [public_jwk(RSA_KEY, "k1")]})
    config = {
        **documents.config,
        "OAUTH2_PROVIDER_CLIENT_ID_METADATA_ALLOW_PRIVATE_ADDRESSES": False,
    }
    with pytest.raises(ClientJWTError, match="cannot be fetched"):
        verify_client_jwt(
            Client(jwks_uri=url),
            sign(RSA_KEY),
            audience=AUD,
            settings=OAuth2Settings.from_config(config),
        )
    assert documents.hits["/jwks"] == 0
