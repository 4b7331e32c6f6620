"""RFC 7523 client authentication: private_key_jwt and client_secret_jwt, over real HTTP."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import jwt
import pytest
import requests
from oauth2_app import REDIRECT, Client, Provider, Store
from oidc_app import pem

from flask_oauthlib_provider_oauth2.jwks import load_key

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
HS_SECRET = secrets.token_urlsafe(48)


def public_jwks(private_pem: str, kid: str = "k1") -> dict[str, Any]:
    jwk = dict(load_key(private_pem).jwk)
    jwk["kid"] = kid
    return {"keys": [jwk]}


def signed(claims: dict[str, Any], key: str = "", alg: str = "RS256", **headers: Any) -> str:
    key = key or pem("RS256", 0)
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": "k1", **headers})


def claims_for(client_id: str, aud: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "exp": now + 60,
        "iat": now,
        "jti": secrets.token_hex(8),
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


@pytest.fixture
def jwt_provider(make_provider: Any) -> Provider:
    store = Store()
    signer = store.add_client(Client("signer", "", [REDIRECT], ["email"], user=store.alice))
    signer.jwks = public_jwks(pem("RS256", 0))  # type: ignore[attr-defined]
    signer.token_endpoint_auth_method = "private_key_jwt"  # type: ignore[attr-defined]
    hs = store.add_client(Client("hs", HS_SECRET, [REDIRECT], ["email"], user=store.alice))
    hs.token_endpoint_auth_method = "client_secret_jwt"  # type: ignore[attr-defined]
    hashed = store.add_client(Client("hashed", "", [REDIRECT], ["email"], user=store.alice))
    hashed.check_client_secret = lambda s: s == HS_SECRET  # type: ignore[attr-defined]
    short = store.add_client(Client("short", "s3cret", [REDIRECT], ["email"], user=store.alice))
    basic = store.add_client(Client("basic", HS_SECRET, [REDIRECT], ["email"], user=store.alice))
    basic.token_endpoint_auth_method = "client_secret_basic"  # type: ignore[attr-defined]
    basic.jwks = public_jwks(pem("RS256", 0))  # type: ignore[attr-defined]
    del short
    return make_provider(store)


def post(url: str, path: str, assertion: str | None, auth: Any = None, **data: str) -> Any:
    if assertion is not None:
        data.update(client_assertion_type=ASSERTION_TYPE, client_assertion=assertion)
    return requests.post(url + path, data=data, auth=auth, timeout=10)


def token(url: str, assertion: str | None, **extra: Any) -> Any:
    return post(url, "/oauth/token", assertion, grant_type="client_credentials", **extra)


def test_private_key_jwt_at_the_token_endpoint(jwt_provider: Provider) -> None:
    url = jwt_provider.url
    answer = token(url, signed(claims_for("signer", url + "/oauth/token")))
    assert answer.status_code == 200, answer.text
    assert jwt_provider.store.tokens[answer.json()["access_token"]].client_id == "signer"
    # the issuer identifier is an audience too (OpenID Connect Core 9)
    assert token(url, signed(claims_for("signer", url))).status_code == 200
    # and aud may be a list
    assert token(url, signed(claims_for("signer", ["x", url]))).status_code == 200


def test_metadata_lists_the_methods_and_algorithms(jwt_provider: Provider) -> None:
    doc = requests.get(jwt_provider.url + "/.well-known/oauth-authorization-server", timeout=10)
    document = doc.json()
    assert {"private_key_jwt", "client_secret_jwt"} <= set(
        document["token_endpoint_auth_methods_supported"]
    )
    algs = document["token_endpoint_auth_signing_alg_values_supported"]
    assert "RS256" in algs and "HS256" in algs and "none" not in algs
    assert document["introspection_endpoint_auth_signing_alg_values_supported"] == algs
    assert document["revocation_endpoint_auth_signing_alg_values_supported"] == algs


def test_replayed_assertion_refused(jwt_provider: Provider) -> None:
    url = jwt_provider.url
    assertion = signed(claims_for("signer", url + "/oauth/token"))
    assert token(url, assertion).status_code == 200
    again = token(url, assertion)
    assert again.status_code == 401 and again.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "https://elsewhere.example"},
        {"aud": None},
        {"exp": lambda: int(time.time()) - 600},
        {"exp": None},
        {"exp": lambda: int(time.time()) + 7 * 24 * 3600},
        {"exp": "soon"},
        {"iss": "other"},
        {"sub": "other"},
        {"jti": None},
        {"nbf": lambda: int(time.time()) + 600},
        {"iat": lambda: int(time.time()) + 600},
    ],
    ids=[
        "wrong-aud",
        "no-aud",
        "expired",
        "no-exp",
        "exp-too-far",
        "exp-not-number",
        "iss-not-sub",
        "sub-other-client",
        "no-jti",
        "nbf-future",
        "iat-future",
    ],
)
def test_bad_claims_refused(jwt_provider: Provider, overrides: dict[str, Any]) -> None:
    url = jwt_provider.url
    claims = claims_for("signer", url + "/oauth/token")
    # times are made now, not when the tests were collected
    claims.update({k: v() if callable(v) else v for k, v in overrides.items()})
    answer = token(url, signed({k: v for k, v in claims.items() if v is not None}))
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "invalid_client"


def test_alg_none_and_wrong_key_refused(jwt_provider: Provider) -> None:
    url = jwt_provider.url
    claims = claims_for("signer", url + "/oauth/token")
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": "k1"})
    assert token(url, unsigned).status_code == 401
    other = signed(claims_for("signer", url + "/oauth/token"), key=pem("RS256", 1))
    assert token(url, other).status_code == 401
    # HMAC with the public key as secret: the key confusion attack
    pub = json.dumps(public_jwks(pem("RS256", 0))["keys"][0])
    forged = jwt.encode(
        claims_for("signer", url + "/oauth/token"),
        pub + "x" * 64,
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    assert token(url, forged).status_code == 401
    # a JWT access token is not an assertion
    typed = signed(claims_for("signer", url + "/oauth/token"), typ="at+jwt")
    assert token(url, typed).status_code == 401


def test_assertion_and_secret_at_once_refused(jwt_provider: Provider) -> None:
    url = jwt_provider.url
    both = token(url, signed(claims_for("signer", url)), auth=("signer", "whatever"))
    assert both.status_code == 401 and both.json()["error"] == "invalid_client"
    hs = jwt.encode(claims_for("hs", url), HS_SECRET, algorithm="HS256")
    both = token(url, hs, client_secret=HS_SECRET, client_id="hs")
    assert both.status_code == 401


def test_client_registered_for_basic_cannot_use_jwt(jwt_provider: Provider) -> None:
    url = jwt_provider.url
    assert token(url, signed(claims_for("basic", url))).status_code == 401
    hs = jwt.encode(claims_for("basic", url), HS_SECRET, algorithm="HS256")
    assert token(url, hs).status_code == 401
    # while its own method works
    assert token(url, None, auth=("basic", HS_SECRET)).status_code == 200


def test_client_secret_jwt(jwt_provider: Provider) -> None:
    url = jwt_provider.url
    for alg in ("HS256", "HS384", "HS512"):
        assertion = jwt.encode(claims_for("hs", url + "/oauth/token"), HS_SECRET, algorithm=alg)
        assert token(url, assertion).status_code == 200, alg
    wrong = jwt.encode(claims_for("hs", url), HS_SECRET + "x", algorithm="HS256")
    assert token(url, wrong).status_code == 401


def test_client_secret_jwt_needs_a_plaintext_secret(jwt_provider: Provider) -> None:
    url = jwt_provider.url
    assertion = jwt.encode(claims_for("hashed", url), HS_SECRET, algorithm="HS256")
    answer = token(url, assertion)
    assert answer.status_code == 401
    assert "client_secret_jwt" in answer.json()["error_description"]
    # a secret shorter than the hash cannot key it (RFC 7518 3.2)
    weak = jwt.encode(
        claims_for("short", url), "s3cret" * 6, algorithm="HS256"
    )  # a MAC with another secret of a valid length: refused before any check of it
    answer = token(url, weak)
    assert answer.status_code == 401
    assert "too short" in answer.json()["error_description"]


def test_private_key_jwt_at_introspection_and_revocation(jwt_provider: Provider) -> None:
    url = jwt_provider.url
    access = token(url, signed(claims_for("signer", url))).json()["access_token"]
    look = post(url, "/oauth/introspect", signed(claims_for("signer", url)), token=access)
    assert look.status_code == 200 and look.json()["active"] is True
    replay = signed(claims_for("signer", url + "/oauth/introspect"))
    assert post(url, "/oauth/introspect", replay, token=access).json()["active"] is True
    assert post(url, "/oauth/introspect", replay, token=access).status_code == 401
    bad = signed(claims_for("signer", url), key=pem("RS256", 1))
    assert post(url, "/oauth/introspect", bad, token=access).status_code == 401
    assert post(url, "/oauth/revoke", bad, token=access).status_code == 401
    assert jwt_provider.store.tokens[access].revoked is False
    done = post(url, "/oauth/revoke", signed(claims_for("signer", url)), token=access)
    assert done.status_code == 200
    assert jwt_provider.store.tokens[access].revoked is True


@pytest.mark.parametrize(
    "data",
    [
        {"client_assertion_type": ASSERTION_TYPE, "client_assertion": "a.b.c"},
        {"client_assertion_type": ASSERTION_TYPE, "client_assertion": "not a jwt"},
        {"client_assertion_type": ASSERTION_TYPE, "client_assertion": "eyJ.eyJ.x" * 3000},
        {"client_assertion_type": "urn:other", "client_assertion": "a.b.c"},
        {"client_assertion_type": ASSERTION_TYPE},
        {"client_assertion": "a.b.c"},
        {"client_assertion_type": ASSERTION_TYPE, "client_assertion": "\x00.\x00.\x00"},
    ],
)
def test_malformed_assertions_never_500(jwt_provider: Provider, data: dict[str, str]) -> None:
    answer = requests.post(
        jwt_provider.url + "/oauth/token",
        data={"grant_type": "client_credentials", **data},
        timeout=10,
    )
    assert answer.status_code in (400, 401), answer.text
    assert answer.json()["error"] in ("invalid_client", "invalid_request")


def test_the_host_header_never_makes_an_audience_once_the_issuer_is_set(
    make_provider: Any,
) -> None:
    """With ``OAUTH2_PROVIDER_ISSUER`` an assertion's ``aud`` must name this server as the
    issuer says, not as the request's ``Host`` does: an assertion the client made for
    another server (same key) was accepted by sending that server's name as ``Host``."""
    store = Store()
    signer = store.add_client(Client("signer", "", [REDIRECT], ["email"], user=store.alice))
    signer.jwks = public_jwks(pem("RS256", 0))  # type: ignore[attr-defined]
    signer.token_endpoint_auth_method = "private_key_jwt"  # type: ignore[attr-defined]
    provider = make_provider(store, OAUTH2_PROVIDER_ISSUER="https://auth.example.com")
    url = provider.url
    for aud in ("https://auth.example.com", "https://auth.example.com/oauth/token"):
        assert token(url, signed(claims_for("signer", aud))).status_code == 200, aud
    other = "https://other-as.example.net/oauth/token"
    forged = requests.post(
        url + "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": signed(claims_for("signer", other)),
        },
        headers={"Host": "other-as.example.net"},
        timeout=10,
    )
    assert forged.status_code == 401 and forged.json()["error"] == "invalid_client"
    # the URL the request was sent to is no audience of its own then either
    assert token(url, signed(claims_for("signer", url + "/oauth/token"))).status_code == 401
