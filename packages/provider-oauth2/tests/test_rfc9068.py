"""RFC 9068: JWT access tokens, verified locally by require_oauth and by a resource server
with no database, over real HTTP."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
import requests
from flask import Flask, jsonify, request
from oauth2_app import Provider, create_app, token_request
from oidc_app import pem

from flask_oauthlib_provider_oauth2.jwks import load_key
from flask_oauthlib_provider_oauth2.jwt_resource_server import JWTAccessTokenVerifier


def start(serve: Any, **config: Any) -> Provider:
    settings = {"OAUTH2_PROVIDER_OIDC_KEYS": [pem("RS256", 0)], **config}
    settings.setdefault("OAUTH2_PROVIDER_ACCESS_TOKEN_FORMAT", "jwt")
    app, oauth, store = create_app(**settings)

    @app.route("/oauth/jwks")
    @oauth.endpoint_handler("jwks")
    def jwks() -> None:
        return None

    @oauth.jwt_usergetter
    def user_of(sub: str, claims: Any) -> Any:
        return store.alice if sub == str(store.alice.id) else None

    counted = {"calls": 0}
    load = store.functions["tokengetter"]

    @oauth.tokengetter
    def counting(*args: Any, **kwargs: Any) -> Any:
        counted["calls"] += 1
        return load(*args, **kwargs)

    provider = Provider(app, oauth, store, serve(app))
    provider.counted = counted  # type: ignore[attr-defined]
    return provider


def password_token(provider: Provider, **extra: str) -> dict[str, Any]:
    answer = token_request(
        provider.url,
        grant_type="password",
        username="alice",
        password="wonderland",
        scope="email",
        **extra,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def me(provider: Provider, access_token: str) -> Any:
    headers = {"Authorization": "Bearer " + access_token}
    return requests.get(provider.url + "/api/me", headers=headers, timeout=10)


def forged(claims: dict[str, Any], key: str | None = None, **headers: Any) -> str:
    kid = load_key(pem("RS256", 0)).kid
    head = {"kid": kid, "typ": "at+jwt", **headers}
    return jwt.encode(claims, key or pem("RS256", 0), algorithm="RS256", headers=head)


def good_claims(provider: Provider, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": provider.url,
        "aud": provider.url,
        "sub": "1",
        "client_id": "confidential",
        "exp": now + 300,
        "iat": now,
        "jti": "j1",
        "scope": "email",
    }
    claims.update(overrides)
    return claims


def test_issued_and_verified_without_the_tokengetter(serve: Any) -> None:
    provider = start(serve)
    body = password_token(provider)
    access = body["access_token"]
    header = jwt.get_unverified_header(access)
    assert header["typ"] == "at+jwt" and header["alg"] == "RS256"
    # stored through the tokensetter as usual; refresh tokens stay opaque
    assert access in provider.store.tokens and body["refresh_token"].count(".") == 0
    provider.counted["calls"] = 0  # type: ignore[attr-defined]
    answer = me(provider, access)
    assert answer.status_code == 200 and answer.json()["username"] == "alice"
    assert provider.counted["calls"] == 0  # type: ignore[attr-defined]


def test_pyjwt_verifies_against_the_jwks_endpoint(serve: Any) -> None:
    provider = start(serve)
    access = password_token(provider)["access_token"]
    keys = jwt.PyJWKClient(provider.url + "/oauth/jwks")
    key = keys.get_signing_key_from_jwt(access)
    claims = jwt.decode(
        access, key.key, algorithms=["RS256"], audience=provider.url, issuer=provider.url
    )
    assert claims["client_id"] == "confidential" and claims["sub"] == "1"
    assert claims["scope"] == "email" and claims["exp"] > claims["iat"]
    assert set(claims) >= {"iss", "exp", "aud", "sub", "client_id", "iat", "jti"}


def test_authlib_verifies_it_too(serve: Any) -> None:
    authlib_jose = pytest.importorskip("authlib.jose")
    provider = start(serve)
    access = password_token(provider)["access_token"]
    jwks = requests.get(provider.url + "/oauth/jwks", timeout=10).json()
    claims = authlib_jose.jwt.decode(access, authlib_jose.JsonWebKey.import_key_set(jwks))
    claims.validate()
    assert claims["iss"] == provider.url


@pytest.mark.parametrize(
    "change",
    ["wrong-aud", "expired", "wrong-iss", "tampered", "other-key", "no-typ", "no-client-id"],
)
def test_bad_tokens_refused(serve: Any, change: str) -> None:
    provider = start(serve)
    assert me(provider, forged(good_claims(provider))).status_code == 200
    if change == "wrong-aud":
        token = forged(good_claims(provider, aud="https://other.example"))
    elif change == "expired":
        token = forged(good_claims(provider, exp=int(time.time()) - 600))
    elif change == "wrong-iss":
        token = forged(good_claims(provider, iss="https://other.example"))
    elif change == "other-key":
        token = forged(good_claims(provider), key=pem("RS256", 1))
    elif change == "no-typ":
        token = forged(good_claims(provider), typ="JWT")
    elif change == "no-client-id":
        claims = good_claims(provider)
        del claims["client_id"]
        token = forged(claims)
    else:
        head, _, sig = forged(good_claims(provider)).split(".")
        payload = good_claims(provider, scope="email profile")
        raw = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
        token = f"{head}.{raw}.{sig}"
    answer = me(provider, token)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"


def test_scope_and_malformed(serve: Any) -> None:
    provider = start(serve)
    headers = {"Authorization": "Bearer " + forged(good_claims(provider))}
    profile = requests.get(provider.url + "/api/profile", headers=headers, timeout=10)
    assert profile.status_code == 403
    for junk in ("eyJ.eyJ.x", "eyJhbGciOiJub25lIn0.e30.", "a.b.c", "eyJ" + "A" * 5000 + ".x.y"):
        assert me(provider, junk).status_code == 401


def test_revocation_check_when_switched_on(serve: Any) -> None:
    provider = start(serve, OAUTH2_PROVIDER_JWT_ACCESS_TOKEN_CHECK_REVOCATION=True)
    access = password_token(provider)["access_token"]
    assert me(provider, access).status_code == 200
    assert provider.counted["calls"] >= 1  # type: ignore[attr-defined]
    revoked = requests.post(
        provider.url + "/oauth/revoke",
        data={"token": access},
        auth=("confidential", "s3cret"),
        timeout=10,
    )
    assert revoked.status_code == 200
    assert me(provider, access).status_code == 401


def test_without_the_switch_revocation_is_not_seen(serve: Any) -> None:
    provider = start(serve)
    access = password_token(provider)["access_token"]
    provider.store.tokens[access].revoked = True
    assert me(provider, access).status_code == 200  # the price of local verification


def test_per_client_format_and_opaque_default(serve: Any) -> None:
    provider = start(serve, OAUTH2_PROVIDER_ACCESS_TOKEN_FORMAT="opaque")
    assert password_token(provider)["access_token"].count(".") == 0
    provider.store.clients["confidential"].access_token_format = "jwt"  # type: ignore[attr-defined]
    access = password_token(provider)["access_token"]
    assert jwt.get_unverified_header(access)["typ"] == "at+jwt"
    assert me(provider, access).status_code == 200
    # a resource server can verify it: the keys are published though the app's format
    # is opaque and OpenID Connect is off
    keys = jwt.PyJWKClient(provider.url + "/oauth/jwks")
    signing = keys.get_signing_key_from_jwt(access)
    claims = jwt.decode(access, signing.key, algorithms=["RS256"], audience=provider.url)
    assert claims["client_id"] == "confidential"


def test_resources_and_default_audience(serve: Any) -> None:
    api = "https://api.example/"
    provider = start(
        serve,
        OAUTH2_PROVIDER_JWT_ACCESS_TOKEN_AUDIENCE=api,
    )
    access = password_token(provider)["access_token"]
    assert jwt.decode(access, options={"verify_signature": False})["aud"] == api
    # the provider's own API accepts only tokens for its default audience
    assert me(provider, access).status_code == 200
    assert me(provider, forged(good_claims(provider))).status_code == 401


def test_dpop_binding_claim() -> None:
    from types import SimpleNamespace

    from flask_oauthlib_provider_oauth2 import OAuth2Settings
    from flask_oauthlib_provider_oauth2.rfc9068 import JWTAccessToken, JWTAccessTokenGenerator

    settings = OAuth2Settings.from_config(
        {"OAUTH2_PROVIDER_ISSUER": "https://as.example", "OAUTH2_PROVIDER_OIDC_KEYS": [pem()]}
    )
    generator = JWTAccessTokenGenerator(settings, lambda r: "opaque", None)
    req = SimpleNamespace(
        client=SimpleNamespace(client_id="c", access_token_format="jwt"),
        user=None,
        grant_type="client_credentials",
        expires_in=60,
        scopes=["a"],
        dpop_jkt="thumb",
    )
    claims = generator.claims(req)
    assert claims["cnf"] == {"jkt": "thumb"} and claims["sub"] == "c"
    assert claims["aud"] == "https://as.example"
    req.resources = ["https://r1.example/", "https://r2.example/"]
    assert generator.claims(req)["aud"] == req.resources
    req.resources = ["https://r1.example/"]
    assert generator.claims(req)["aud"] == "https://r1.example/"
    token = generator(req)
    decoded = jwt.decode(token, options={"verify_signature": False})
    assert JWTAccessToken.from_claims(token, decoded).dpop_jkt == "thumb"


def test_resource_server_with_no_database(serve: Any) -> None:
    provider = start(serve)
    rs = Flask("resource_server")
    verifier = JWTAccessTokenVerifier(
        issuer=provider.url, jwks_uri=provider.url + "/oauth/jwks", audience=provider.url
    )
    elsewhere = JWTAccessTokenVerifier(
        issuer=provider.url, jwks_uri=provider.url + "/oauth/jwks", audience="https://x.example"
    )

    @rs.route("/data")
    @verifier.require_jwt("email")
    def data() -> Any:
        token = request.oauth.access_token  # type: ignore[attr-defined]
        return jsonify(sub=token.sub, client=token.client_id, scopes=token.scopes)

    @rs.route("/admin")
    @verifier.require_jwt("admin")
    def admin() -> Any:
        return "no"

    @rs.route("/other")
    @elsewhere.require_jwt()
    def other() -> Any:
        return "no"

    url = serve(rs)
    access = password_token(provider)["access_token"]
    headers = {"Authorization": "Bearer " + access}
    answer = requests.get(url + "/data", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"sub": "1", "client": "confidential", "scopes": ["email"]}
    assert requests.get(url + "/admin", headers=headers, timeout=10).status_code == 403
    assert requests.get(url + "/other", headers=headers, timeout=10).status_code == 401
    assert requests.get(url + "/data", timeout=10).status_code == 401
    bad = {"Authorization": "Bearer " + forged(good_claims(provider), key=pem("RS256", 1))}
    assert requests.get(url + "/data", headers=bad, timeout=10).status_code == 401
    junk = {"Authorization": "Bearer a.b.c"}
    assert requests.get(url + "/data", headers=junk, timeout=10).status_code == 401


def test_resource_server_with_no_database_honours_dpop(serve: Any) -> None:
    """A DPoP-bound JWT access token works at a database-free resource server only as
    ``DPoP`` with a fresh proof of its key; as ``Bearer``, replayed or with another
    key's proof it is refused."""
    from dpop_testing import ec_key, proof

    provider = start(serve)
    rs = Flask("dpop_resource_server")
    verifier = JWTAccessTokenVerifier(
        issuer=provider.url, jwks_uri=provider.url + "/oauth/jwks", audience=provider.url
    )

    @rs.route("/data")
    @verifier.require_jwt("email")
    def data() -> Any:
        return jsonify(jkt=request.oauth.access_token.dpop_jkt)  # type: ignore[attr-defined]

    url = serve(rs) + "/data"
    key = ec_key()
    from oauth2_app import SECRETS

    answer = requests.post(
        provider.url + "/oauth/token",
        data={"grant_type": "password", "username": "alice", "password": "wonderland"},
        auth=("confidential", SECRETS["confidential"]),
        headers={"DPoP": proof(key, "POST", provider.url + "/oauth/token")},
        timeout=10,
    )
    assert answer.status_code == 200 and answer.json()["token_type"] == "DPoP", answer.text
    token = answer.json()["access_token"]
    # the provider's own require_oauth refuses it as a bearer token too
    assert me(provider, token).status_code == 401
    bound = {"Authorization": "DPoP " + token, "DPoP": proof(key, url=url, access_token=token)}
    answer = requests.get(url, headers=bound, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["jkt"]
    replayed = requests.get(url, headers=bound, timeout=10)
    assert replayed.status_code == 401 and replayed.json()["error"] == "invalid_dpop_proof"
    assert replayed.headers["WWW-Authenticate"].startswith("DPoP ")
    as_bearer = requests.get(url, headers={"Authorization": "Bearer " + token}, timeout=10)
    assert as_bearer.status_code == 401 and as_bearer.json()["error"] == "invalid_token"
    assert as_bearer.headers["WWW-Authenticate"].startswith("DPoP ")  # RFC 9449 7.2
    assert "algs=" in as_bearer.headers["WWW-Authenticate"]
    own = me(provider, token)
    assert own.headers["WWW-Authenticate"].startswith("DPoP ")
    other = {"Authorization": "DPoP " + token, "DPoP": proof(ec_key(), url=url, access_token=token)}
    assert requests.get(url, headers=other, timeout=10).status_code == 401
    no_proof = requests.get(url, headers={"Authorization": "DPoP " + token}, timeout=10)
    assert no_proof.status_code == 401
    # an unbound token is not accepted as DPoP
    plain = password_token(provider)["access_token"]
    unbound = {"Authorization": "DPoP " + plain, "DPoP": proof(key, url=url, access_token=plain)}
    assert requests.get(url, headers=unbound, timeout=10).status_code == 401
