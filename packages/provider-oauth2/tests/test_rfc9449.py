"""DPoP (RFC 9449) at the token endpoint: tokens bound to the proof's key, invalid
proofs refused with ``invalid_dpop_proof``, codes bound with ``dpop_jkt``, public
clients' refresh tokens bound, nonces, introspection and metadata."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from dpop_testing import TOKEN_URL, dpop_app, ec_key, jkt, proof
from flask.testing import FlaskClient
from oauth2_app import REDIRECT, authorize_url, redeem

from flask_oauthlib_core.testing import authorization_code, pkce_pair

PASSWORD = {"grant_type": "password", "username": "alice", "password": "wonderland"}


def password_token(client: FlaskClient, dpop: str | None = None, **extra: Any) -> Any:
    headers = {"DPoP": dpop} if dpop is not None else {}
    data = {**PASSWORD, "scope": "email", **extra}
    return client.post("/oauth/token", data=data, auth=("confidential", "s3cret"), headers=headers)


def test_a_proof_binds_the_token_to_its_key() -> None:
    app, _oauth, store = dpop_app()
    key = ec_key()
    answer = password_token(app.test_client(), proof(key, "POST", TOKEN_URL))
    assert answer.status_code == 200, answer.json
    assert answer.json["token_type"] == "DPoP"
    tok = store.tokens[answer.json["access_token"]]
    assert tok.dpop_jkt == jkt(key) and tok.token_type == "DPoP"


def test_without_a_proof_the_token_is_a_bearer_token() -> None:
    app, _oauth, store = dpop_app()
    answer = password_token(app.test_client())
    assert answer.json["token_type"] == "Bearer"
    assert store.tokens[answer.json["access_token"]].dpop_jkt is None


def test_storage_that_loses_the_key_answers_a_bearer_token() -> None:
    from oauth2_app import create_app

    app, _oauth, store = create_app()  # its tokensetter keeps no dpop_jkt
    answer = password_token(app.test_client(), proof(ec_key(), "POST", TOKEN_URL))
    assert answer.status_code == 200 and answer.json["token_type"] == "Bearer"


@pytest.mark.parametrize(
    "make",
    [
        lambda key: proof(key, "GET", TOKEN_URL),  # another method
        lambda key: proof(key, "POST", "http://localhost/oauth/other"),  # another URL
        lambda key: proof(key, "POST", TOKEN_URL, iat=1),  # stale
        lambda key: proof(key, "POST", TOKEN_URL, jwk=jwk_of_other()),  # another key
        lambda key: proof(key, "POST", TOKEN_URL, typ="JWT"),
        lambda key: proof(key, "POST", TOKEN_URL, jti=None),
        lambda key: "not.a.jwt",
        lambda key: "x" * 10000,
    ],
    ids=["method", "url", "stale", "other-key", "typ", "no-jti", "garbage", "huge"],
)
def test_an_invalid_proof_is_refused(make: Any) -> None:
    app, _oauth, store = dpop_app()
    answer = password_token(app.test_client(), make(ec_key()))
    assert answer.status_code == 400
    assert answer.json["error"] == "invalid_dpop_proof"
    assert store.tokens == {}


def jwk_of_other() -> dict[str, str]:
    from dpop_testing import public_jwk

    return public_jwk(ec_key())


def test_a_replayed_proof_is_refused_at_the_token_endpoint() -> None:
    app, _oauth, _store = dpop_app()
    client = app.test_client()
    sent = proof(ec_key(), "POST", TOKEN_URL)
    assert password_token(client, sent).status_code == 200
    again = password_token(client, sent)
    assert again.status_code == 400 and again.json["error"] == "invalid_dpop_proof"


def public_code(client: FlaskClient, **params: str) -> tuple[str, str]:
    verifier, challenge = pkce_pair()
    url = authorize_url(
        client_id="public", code_challenge=challenge, code_challenge_method="S256", **params
    )
    return authorization_code(url, browser=client), verifier


def test_dpop_jkt_binds_the_code_to_the_key() -> None:
    app, _oauth, store = dpop_app()
    client = app.test_client()
    key, other = ec_key(), ec_key()
    code, verifier = public_code(client, dpop_jkt=jkt(key))
    assert store.grants[code].dpop_jkt == jkt(key)
    refused = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "public",
            "code_verifier": verifier,
        },
        headers={"DPoP": proof(other, "POST", TOKEN_URL)},
    )
    assert refused.status_code == 400 and refused.json["error"] == "invalid_dpop_proof"
    code, verifier = public_code(client, dpop_jkt=jkt(key))
    data = {"code_verifier": verifier}
    assert redeem(client, code, "public", **data).json["error"] == "invalid_dpop_proof"
    code, verifier = public_code(client, dpop_jkt=jkt(key))
    ok = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "public",
            "code_verifier": verifier,
        },
        headers={"DPoP": proof(key, "POST", TOKEN_URL)},
    )
    assert ok.status_code == 200 and ok.json["token_type"] == "DPoP"


def test_a_malformed_dpop_jkt_is_refused() -> None:
    app, _oauth, store = dpop_app()
    client = app.test_client()
    answer = client.get(authorize_url(dpop_jkt="not a thumbprint"))
    assert answer.status_code in (302, 303)
    assert "invalid_request" in answer.headers["Location"]
    assert store.grants == {}


def refresh(client: FlaskClient, token: str, as_public: bool, dpop: str | None = None) -> Any:
    data = {"grant_type": "refresh_token", "refresh_token": token}
    headers = {"DPoP": dpop} if dpop else {}
    if as_public:
        data["client_id"] = "public"
        return client.post("/oauth/token", data=data, headers=headers)
    return client.post("/oauth/token", data=data, headers=headers, auth=("confidential", "s3cret"))


def test_a_public_clients_refresh_token_is_bound_to_the_key() -> None:
    app, _oauth, _store = dpop_app()
    client = app.test_client()
    key = ec_key()
    code, verifier = public_code(client)
    issued = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "public",
            "code_verifier": verifier,
        },
        headers={"DPoP": proof(key, "POST", TOKEN_URL)},
    ).json
    assert issued["token_type"] == "DPoP"
    without = refresh(client, issued["refresh_token"], True)
    assert without.status_code == 400 and without.json["error"] == "invalid_dpop_proof"
    other = refresh(client, issued["refresh_token"], True, proof(ec_key(), "POST", TOKEN_URL))
    assert other.status_code == 400 and other.json["error"] == "invalid_dpop_proof"
    ok = refresh(client, issued["refresh_token"], True, proof(key, "POST", TOKEN_URL))
    assert ok.status_code == 200 and ok.json["token_type"] == "DPoP"


def test_a_confidential_clients_refresh_binds_the_new_token_to_the_proof() -> None:
    app, _oauth, store = dpop_app()
    client = app.test_client()
    issued = password_token(client, proof(ec_key(), "POST", TOKEN_URL)).json
    plain = refresh(client, issued["refresh_token"], False)
    assert plain.status_code == 200 and plain.json["token_type"] == "Bearer"
    key = ec_key()
    bound = refresh(client, plain.json["refresh_token"], False, proof(key, "POST", TOKEN_URL))
    assert bound.json["token_type"] == "DPoP"
    assert store.tokens[bound.json["access_token"]].dpop_jkt == jkt(key)


def test_nonces_are_required_when_switched_on() -> None:
    app, _oauth, _store = dpop_app(SECRET_KEY="k" * 32, OAUTH2_PROVIDER_DPOP_NONCE=True)
    client = app.test_client()
    key = ec_key()
    first = password_token(client, proof(key, "POST", TOKEN_URL))
    assert first.status_code == 400 and first.json["error"] == "use_dpop_nonce"
    nonce = first.headers["DPoP-Nonce"]
    forged = password_token(client, proof(key, "POST", TOKEN_URL, nonce=nonce[:-2] + "AA"))
    assert forged.json["error"] == "use_dpop_nonce"
    ok = password_token(client, proof(key, "POST", TOKEN_URL, nonce=nonce))
    assert ok.status_code == 200 and ok.json["token_type"] == "DPoP"


def test_introspection_shows_the_binding() -> None:
    app, _oauth, _store = dpop_app()
    client = app.test_client()
    key = ec_key()
    token = password_token(client, proof(key, "POST", TOKEN_URL)).json["access_token"]
    answer = client.post(
        "/oauth/introspect", data={"token": token}, auth=("confidential", "s3cret")
    ).json
    assert answer["active"] and answer["token_type"] == "DPoP"
    assert answer["cnf"] == {"jkt": jkt(key)}


def test_metadata_names_the_algorithms() -> None:
    app, _oauth, _store = dpop_app(OAUTH2_PROVIDER_DPOP_SIGNING_ALGS=["ES256"])
    document = app.test_client().get("/.well-known/oauth-authorization-server").json
    assert document["dpop_signing_alg_values_supported"] == ["ES256"]


def test_an_unknown_algorithm_in_the_config_is_refused() -> None:
    from flask_oauthlib_provider_oauth2 import OAuth2Settings

    with pytest.raises(ValueError, match="DPOP_SIGNING_ALGS"):
        OAuth2Settings.from_config({"OAUTH2_PROVIDER_DPOP_SIGNING_ALGS": ["HS256"]})
    with pytest.raises(ValueError, match="SECRET_KEY"):
        OAuth2Settings.from_config({"OAUTH2_PROVIDER_DPOP_NONCE": True})


def test_over_real_http(serve: Any) -> None:
    app, _oauth, _store = dpop_app()
    base = serve(app)
    key = ec_key()
    token_url = base + "/oauth/token"
    issued = requests.post(
        token_url,
        data={**PASSWORD, "scope": "email"},
        auth=("confidential", "s3cret"),
        headers={"DPoP": proof(key, "POST", token_url)},
        timeout=10,
    ).json()
    assert issued["token_type"] == "DPoP"
    access = issued["access_token"]
    me = base + "/api/me"
    ok = requests.get(
        me,
        headers={
            "Authorization": "DPoP " + access,
            "DPoP": proof(key, url=me, access_token=access),
        },
        timeout=10,
    )
    assert ok.status_code == 200
    as_bearer = requests.get(me, headers={"Authorization": "Bearer " + access}, timeout=10)
    assert as_bearer.status_code == 401
