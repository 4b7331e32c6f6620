"""requests-oauth2client (its own PAR, DPoP and private_key_jwt code) against the demo
provider over real HTTP: it registers with a public key, pushes its authorization
request, redeems the code with a client assertion and a DPoP proof, calls ``/api/me``
with the DPoP-bound token, and refreshes it. Nothing of the client side is ours. (It
asks for ``profile`` only: requests-oauth2client 1.8 fails checking an ID token that
comes with a DPoP token, ``DPoPToken.__init__() missing _dpop_key``, before any request.)

Then attacks on what it obtained: the bound token sent as ``Bearer``, a replayed proof,
a proof of another key, a replayed client assertion and a reused ``request_uri``.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

pytest.importorskip("jwt")
pytest.importorskip("requests_oauth2client")
from demo_provider import create_provider  # noqa: E402
from jwskate import Jwk  # noqa: E402
from requests_oauth2client import (  # noqa: E402
    DPoPKey,
    DPoPToken,
    OAuth2Client,
    PrivateKeyJwt,
)

from flask_oauthlib_core.testing import free_port  # noqa: E402


def access_token_hash(access_token: str) -> str:
    """``ath`` (RFC 9449 4.2), computed here rather than by the code under test."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


CALLBACK_PORT = 8765


def start(serve: Callable[..., str], tmp_path: Path) -> str:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database = "sqlite:///" + str(tmp_path / "provider.sqlite")
    serve(create_provider(database, "http://127.0.0.1:9/authorized", url), port)
    return url


def register(provider: str, key: Jwk) -> dict[str, Any]:
    """Register a loopback client authenticating with ``private_key_jwt``."""
    answer = requests.post(
        provider + "/oauth/register",
        json={
            "client_name": "requests-oauth2client",
            "redirect_uris": [f"http://127.0.0.1:{CALLBACK_PORT}/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "scope": "profile",
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [key.public_jwk().to_dict()]},
        },
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    registered: dict[str, Any] = answer.json()
    assert "client_secret" not in registered
    return registered


def sign_in(authorization_url: str) -> str:
    """Play alice in a browser: log in, allow; the callback URL the provider sent."""
    browser = requests.Session()
    to_login = browser.get(authorization_url, allow_redirects=False)
    assert to_login.status_code in (302, 303), to_login.text
    browser.post(
        urljoin(authorization_url, to_login.headers["Location"]),
        data={"username": "alice", "password": "wonderland"},
    )
    consent = browser.get(authorization_url)
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', consent.text)
    assert csrf_token, consent.text
    decided = browser.post(
        authorization_url,
        data={"confirm": "yes", "csrf_token": csrf_token.group(1)},
        allow_redirects=False,
    )
    assert decided.status_code == 302, decided.text
    return str(decided.headers["Location"])


def client_for(provider: str, client_id: str, key: Jwk) -> OAuth2Client:
    return OAuth2Client.from_discovery_endpoint(
        issuer=provider,
        auth=PrivateKeyJwt(client_id, key),
        redirect_uri=f"http://127.0.0.1:{CALLBACK_PORT}/callback",
        dpop_bound_access_tokens=True,
        testing=True,  # plain http on 127.0.0.1
    )


def test_par_dpop_and_private_key_jwt(serve: Callable[..., str], tmp_path: Path) -> None:
    provider = start(serve, tmp_path)
    key = Jwk.generate(alg="ES256", kid="rp-1")
    registered = register(provider, key)
    client = client_for(provider, registered["client_id"], key)
    assert client.pushed_authorization_request_endpoint == provider + "/oauth/par"

    dpop_key = DPoPKey.generate(alg="ES256")
    request = client.authorization_request(scope="profile", dpop_key=dpop_key)
    pushed = client.pushed_authorization_request(request)
    assert set(pushed.uri.partition("?")[2].split("&")) == {
        f"client_id={registered['client_id']}",
        "request_uri=" + pushed.request_uri.replace(":", "%3A"),
    }
    callback = sign_in(pushed.uri)
    response = request.validate_callback(callback)  # state and iss checked by it
    token = client.authorization_code(response, dpop_key=dpop_key)
    assert isinstance(token, DPoPToken) and token.token_type == "DPoP"

    # the bound token with a proof made by requests-oauth2client
    me = requests.get(provider + "/api/me", auth=token, timeout=10)
    assert me.status_code == 200 and me.json()["username"] == "alice", me.text

    # refresh: a new bound token, the old refresh token gone
    refreshed = client.refresh_token(token, dpop_key=dpop_key)
    assert isinstance(refreshed, DPoPToken) and refreshed.access_token != token.access_token
    again = requests.get(provider + "/api/me", auth=refreshed, timeout=10)
    assert again.status_code == 200, again.text


def test_what_it_obtained_cannot_be_misused(serve: Callable[..., str], tmp_path: Path) -> None:
    provider = start(serve, tmp_path)
    key = Jwk.generate(alg="ES256", kid="rp-1")
    registered = register(provider, key)
    client = client_for(provider, registered["client_id"], key)
    dpop_key = DPoPKey.generate(alg="ES256")
    request = client.authorization_request(scope="profile", dpop_key=dpop_key)
    pushed = client.pushed_authorization_request(request)
    callback = sign_in(pushed.uri)

    # the request_uri gave its one code
    reused = requests.get(pushed.uri, allow_redirects=False, timeout=10)
    assert reused.status_code in (302, 303)
    assert "/oauth/authorize" not in reused.headers["Location"]

    token = client.authorization_code(request.validate_callback(callback), dpop_key=dpop_key)
    api = provider + "/api/me"

    # the bound token as a bearer token
    as_bearer = requests.get(
        api, headers={"Authorization": "Bearer " + token.access_token}, timeout=10
    )
    assert as_bearer.status_code == 401

    # one proof, twice
    ath = access_token_hash(token.access_token)
    proof = str(dpop_key.proof(htm="GET", htu=api, ath=ath))
    headers = {"Authorization": "DPoP " + token.access_token, "DPoP": proof}
    assert requests.get(api, headers=headers, timeout=10).status_code == 200
    replayed = requests.get(api, headers=headers, timeout=10)
    assert replayed.status_code == 401
    assert replayed.json()["error"] == "invalid_dpop_proof"
    assert replayed.headers["WWW-Authenticate"].startswith("DPoP ")

    # a valid proof of another key
    other = DPoPKey.generate(alg="ES256")
    stolen = {
        "Authorization": "DPoP " + token.access_token,
        "DPoP": str(other.proof(htm="GET", htu=api, ath=ath)),
    }
    assert requests.get(api, headers=stolen, timeout=10).status_code == 401

    # a client assertion, twice
    assertion = PrivateKeyJwt(registered["client_id"], key).client_assertion(
        provider + "/oauth/token"
    )
    form = {
        "grant_type": "refresh_token",
        "refresh_token": token.refresh_token,
        "client_id": registered["client_id"],
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }
    first = requests.post(
        provider + "/oauth/token",
        data=form,
        headers={"DPoP": str(dpop_key.proof(htm="POST", htu=provider + "/oauth/token"))},
        timeout=10,
    )
    assert first.status_code == 200, first.text
    second = requests.post(
        provider + "/oauth/token",
        data={**form, "refresh_token": first.json()["refresh_token"]},
        headers={"DPoP": str(dpop_key.proof(htm="POST", htu=provider + "/oauth/token"))},
        timeout=10,
    )
    assert second.status_code == 401 and second.json()["error"] == "invalid_client"
