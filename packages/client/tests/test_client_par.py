"""Pushed (RFC 9126) and signed (RFC 9101) authorization requests and ``private_key_jwt``
(RFC 7523) from the client, over real HTTP, against the server of ``jose_peers``, which
checks the pushed request, its client authentication, the request object's signature
and the assertion on its own."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask
from jose_peers import WELL_KNOWN, jose_server
from login_app import login_app

from flask_oauthlib_client import OAuthRemoteApp
from flask_oauthlib_core.testing import go_to_provider


def rsa_pem_and_jwk() -> tuple[str, dict[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return pem, public


def ec_private_jwk() -> tuple[dict[str, Any], dict[str, Any]]:
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.private_numbers()

    def b64(number: int) -> str:
        return base64.urlsafe_b64encode(number.to_bytes(32, "big")).rstrip(b"=").decode()

    public = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64(numbers.public_numbers.x),
        "y": b64(numbers.public_numbers.y),
    }
    private = {**public, "d": b64(numbers.private_value)}
    return dict(private, kid="ec-1"), public


def par_app(url: str, **settings: Any) -> tuple[Flask, OAuthRemoteApp]:
    settings = {
        "consumer_key": "client-1",
        "consumer_secret": "secret-1",
        "base_url": url + "/api/",
        "server_metadata_url": url + WELL_KNOWN,
        **settings,
    }
    return login_app(**settings)


def seen(server: Flask, path: str) -> list[dict[str, Any]]:
    return [s for s in server.config["STATE"]["seen"] if s["path"] == path]


def log_in(app: Flask) -> tuple[Any, Any]:
    tc = app.test_client()
    redirect = tc.get("/login")
    assert redirect.status_code == 302, redirect.get_data(as_text=True)
    done = tc.get(go_to_provider(tc))
    return redirect, done


def browser_params(redirect: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(redirect.headers["Location"]).query)


@pytest.mark.parametrize("basic", [False, True])
def test_use_par_pushes_the_request(serve: Any, basic: bool) -> None:
    server = jose_server()
    url = serve(server)
    method = "client_secret_basic" if basic else "client_secret_post"
    app, _ = par_app(url, use_par=True, token_endpoint_auth_method=method, dpop=True)
    redirect, done = log_in(app)
    assert set(browser_params(redirect)) == {"client_id", "request_uri"}
    pushed = seen(server, "/par")[-1]
    assert {"state", "code_challenge", "redirect_uri", "dpop_jkt"} <= set(pushed["form"])
    assert ("Authorization" in pushed["headers"]) is basic
    assert ("client_secret" in pushed["form"]) is not basic
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["token_type"] == "DPoP"


def test_metadata_requiring_par_is_followed(serve: Any) -> None:
    server = jose_server(require_par=True)
    url = serve(server)
    app, _ = par_app(url)
    redirect, done = log_in(app)
    assert set(browser_params(redirect)) == {"client_id", "request_uri"}
    assert done.status_code == 200, done.get_data(as_text=True)


def test_private_key_jwt_at_par_token_and_refresh(serve: Any) -> None:
    pem, public = rsa_pem_and_jwk()
    server = jose_server(client_jwk=public, expires_in=5)
    url = serve(server)
    app, remote = par_app(
        url,
        consumer_secret=None,
        use_par=True,
        token_endpoint_auth_method="private_key_jwt",
        client_private_key=pem,
        client_key_id="rsa-1",
    )
    tc = app.test_client()
    done = tc.get(go_to_provider(tc))
    assert done.status_code == 200, done.get_data(as_text=True)
    assert tc.get("/me").status_code == 200  # expiring: refreshed first, with an assertion
    assertions = server.config["STATE"]["assertions"]
    assert len(assertions) == 3  # PAR, code exchange, refresh
    assert all(a["aud"] == url and a["iss"] == a["sub"] == "client-1" for a in assertions)
    assert len({a["jti"] for a in assertions}) == 3
    for path in ("/par", "/token"):
        assert all("client_secret" not in s["form"] for s in seen(server, path))
    header = jwt.get_unverified_header(seen(server, "/token")[-1]["form"]["client_assertion"][0])
    assert header["kid"] == "rsa-1" and header["alg"] == "RS256"


def test_a_key_the_server_does_not_know_is_refused(serve: Any) -> None:
    _, public = rsa_pem_and_jwk()
    other_pem, _ = rsa_pem_and_jwk()
    server = jose_server(client_jwk=public)
    url = serve(server)
    app, _ = par_app(
        url, token_endpoint_auth_method="private_key_jwt", client_private_key=other_pem
    )
    tc = app.test_client()
    done = tc.get(go_to_provider(tc))
    assert done.status_code == 400 and done.get_json()["error"] == "invalid_response"


@pytest.mark.parametrize("push", [False, True])
def test_signed_request_object(serve: Any, push: bool) -> None:
    private, public = ec_private_jwk()
    server = jose_server(client_jwk=public)
    url = serve(server)
    app, _ = par_app(
        url,
        consumer_secret=None,
        use_par=push,
        request_object_signing_alg="ES256",
        token_endpoint_auth_method="private_key_jwt",
        client_private_key=private,
    )
    redirect, done = log_in(app)
    sent = browser_params(redirect)
    assert set(sent) == ({"client_id", "request_uri"} if push else {"client_id", "request"})
    assert done.status_code == 200, done.get_data(as_text=True)
    claims = server.config["STATE"]["request_objects"][-1]
    assert (
        claims["aud"] == url and claims["iss"] == "client-1" and claims["response_type"] == "code"
    )
    assert {"state", "code_challenge", "redirect_uri", "exp", "iat", "jti"} <= set(claims)


def test_a_tampered_request_object_is_refused(serve: Any) -> None:
    private, _ = ec_private_jwk()
    _, public = ec_private_jwk()  # the server knows another key
    server = jose_server(client_jwk=public)
    url = serve(server)
    app, _ = par_app(url, request_object_signing_alg="ES256", client_private_key=private)
    tc = app.test_client()
    redirect = tc.get("/login")
    import requests

    answer = requests.get(redirect.headers["Location"], allow_redirects=False, timeout=5)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request_object"


def test_a_refused_push_raises(serve: Any) -> None:
    server = jose_server()
    url = serve(server)
    app, remote = par_app(url, use_par=True, consumer_secret="wrong")
    from flask_oauthlib_client import OAuthException

    with app.test_request_context("/"), pytest.raises(OAuthException) as refused:
        remote.authorize(callback="http://localhost/authorized")
    assert refused.value.type == "par_failed" and refused.value.data["error"] == "invalid_client"
    assert "wrong" not in str(refused.value)
