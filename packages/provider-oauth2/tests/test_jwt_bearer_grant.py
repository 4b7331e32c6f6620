"""RFC 7523 2.1: the JWT bearer authorization grant, over real HTTP."""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt
import pytest
import requests
from oauth2_app import Provider, token_request
from oidc_app import pem

from flask_oauthlib_provider_oauth2.jwks import load_key

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
IDP = "https://idp.example"


def idp_jwks() -> dict[str, Any]:
    jwk = dict(load_key(pem("RS256", 2)).jwk)
    jwk["kid"] = "idp"
    return {"keys": [jwk]}


def assertion(audience: str, key: str = "", alg: str = "RS256", **overrides: Any) -> str:
    now = int(time.time())
    claims = {"iss": IDP, "sub": "alice", "aud": audience, "exp": now + 60, "iat": now}
    claims["jti"] = secrets.token_hex(8)
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key or pem("RS256", 2), algorithm=alg, headers={"kid": "idp"})


@pytest.fixture
def idp_provider(make_provider: Any) -> Provider:
    provider = make_provider(OAUTH2_PROVIDER_JWT_BEARER_ISSUERS={IDP: idp_jwks()})
    store = provider.store

    @provider.oauth.jwt_bearer_usergetter
    def user_of(issuer: str, subject: str, client: Any, request: Any) -> Any:
        return store.alice if (issuer, subject) == (IDP, "alice") else None

    return provider


def grant(provider: Provider, value: str | None, **extra: str) -> Any:
    data = {"grant_type": GRANT, **extra}
    if value is not None:
        data["assertion"] = value
    return token_request(provider.url, "confidential", **data)


def test_off_by_default(provider: Provider) -> None:
    answer = grant(provider, assertion(provider.url))
    assert answer.status_code == 400 and answer.json()["error"] == "unsupported_grant_type"
    doc = requests.get(provider.url + "/.well-known/oauth-authorization-server", timeout=10)
    assert GRANT not in doc.json()["grant_types_supported"]


def test_issuers_without_usergetter_offer_nothing(make_provider: Any) -> None:
    provider = make_provider(OAUTH2_PROVIDER_JWT_BEARER_ISSUERS={IDP: idp_jwks()})
    answer = grant(provider, assertion(provider.url))
    assert answer.json()["error"] == "unsupported_grant_type"


def test_happy_path(idp_provider: Provider) -> None:
    url = idp_provider.url
    doc = requests.get(url + "/.well-known/oauth-authorization-server", timeout=10)
    assert GRANT in doc.json()["grant_types_supported"]
    answer = grant(idp_provider, assertion(url + "/oauth/token"), scope="email")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "refresh_token" not in body and body["scope"] == "email"
    me = requests.get(
        url + "/api/me", headers={"Authorization": "Bearer " + body["access_token"]}, timeout=10
    )
    assert me.status_code == 200 and me.json()["username"] == "alice"
    # the issuer identifier is an accepted audience too
    assert grant(idp_provider, assertion(url)).status_code == 200


def test_replay_refused(idp_provider: Provider) -> None:
    value = assertion(idp_provider.url)
    assert grant(idp_provider, value).status_code == 200
    again = grant(idp_provider, value)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "https://untrusted.example"},
        {"sub": None},
        {"sub": "mallory"},
        {"aud": "https://elsewhere.example"},
        {"exp": None},
        {"exp": lambda: int(time.time()) - 600},
        {"exp": lambda: int(time.time()) + 30 * 24 * 3600},
        {"jti": None},
        {"nbf": lambda: int(time.time()) + 3600},
    ],
    ids=[
        "untrusted-iss",
        "no-sub",
        "unknown-user",
        "wrong-aud",
        "no-exp",
        "expired",
        "exp-too-far",
        "no-jti",
        "nbf-future",
    ],
)
def test_bad_assertions_are_invalid_grant(idp_provider: Provider, overrides: Any) -> None:
    # times are made now, not when the tests were collected
    now = {k: v() if callable(v) else v for k, v in overrides.items()}
    answer = grant(idp_provider, assertion(idp_provider.url, **now))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_grant"


def test_wrong_key_hmac_and_none_refused(idp_provider: Provider) -> None:
    url = idp_provider.url
    assert grant(idp_provider, assertion(url, key=pem("RS256", 1))).json()["error"] == (
        "invalid_grant"
    )
    hs = assertion(url, key="x" * 64, alg="HS256")
    assert grant(idp_provider, hs).json()["error"] == "invalid_grant"
    now = int(time.time())
    claims = {"iss": IDP, "sub": "alice", "aud": url, "exp": now + 60, "jti": "n"}
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert grant(idp_provider, unsigned).json()["error"] == "invalid_grant"
    for junk in ("a.b.c", "junk", "eyJ.eyJ.eyJ", "\x00.\x00.\x00"):
        answer = grant(idp_provider, junk)
        assert answer.status_code == 400
        assert answer.json()["error"] in ("invalid_grant", "invalid_request")


def test_request_and_client_rules(idp_provider: Provider) -> None:
    url = idp_provider.url
    missing = grant(idp_provider, None)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    scope = grant(idp_provider, assertion(url), scope="admin")
    assert scope.json()["error"] == "invalid_scope"
    # a confidential client must authenticate (RFC 7523 3.1)
    anonymous = requests.post(
        url + "/oauth/token",
        data={"grant_type": GRANT, "assertion": assertion(url), "client_id": "confidential"},
        timeout=10,
    )
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "invalid_client"
    wrong = requests.post(
        url + "/oauth/token",
        data={"grant_type": GRANT, "assertion": assertion(url)},
        auth=("confidential", "wrong"),
        timeout=10,
    )
    assert wrong.status_code == 401


def test_config_is_checked() -> None:
    from flask_oauthlib_provider_oauth2 import OAuth2Settings

    for bad in ({IDP: "http://idp.example/jwks"}, {IDP: {"nokeys": 1}}, ["x"]):
        with pytest.raises(ValueError, match="JWT_BEARER_ISSUERS"):
            OAuth2Settings.from_config({"OAUTH2_PROVIDER_JWT_BEARER_ISSUERS": bad})


def test_a_forged_host_does_not_make_an_assertion_for_another_server_valid(
    make_provider: Any,
) -> None:
    """An assertion the IdP issued for another relying party is refused however the
    request names the host, once ``OAUTH2_PROVIDER_ISSUER`` says who this server is."""
    provider = make_provider(
        OAUTH2_PROVIDER_JWT_BEARER_ISSUERS={IDP: idp_jwks()},
        OAUTH2_PROVIDER_ISSUER="https://auth.example.com",
    )
    store = provider.store

    @provider.oauth.jwt_bearer_usergetter
    def user_of(issuer: str, subject: str, client: Any, request: Any) -> Any:
        return store.alice if (issuer, subject) == (IDP, "alice") else None

    ours = grant(provider, assertion("https://auth.example.com/oauth/token"))
    assert ours.status_code == 200, ours.text
    forged = requests.post(
        provider.url + "/oauth/token",
        data={"grant_type": GRANT, "assertion": assertion("https://rp1.example.com")},
        auth=("confidential", "s3cret"),
        headers={"Host": "rp1.example.com"},
        timeout=10,
    )
    assert forged.status_code == 400 and forged.json()["error"] == "invalid_grant"
