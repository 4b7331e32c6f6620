"""The provider of ``oauth2_app`` with a PAR endpoint, and signed request objects, for the
tests of RFC 9126 and RFC 9101 (Flask test client: the pushed requests live in the app)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from flask.testing import FlaskClient
from oauth2_app import REDIRECT, SECRETS, Store, create_app
from werkzeug.test import TestResponse

from flask_oauthlib_core.testing import redirect_params
from flask_oauthlib_provider_oauth2 import OAuth2Provider

ISSUER = "https://issuer.example"
CLIENT_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
VERIFIER = "v" * 43
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=")


def public_jwks(key: Any = CLIENT_KEY, kid: str = "k1") -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {"keys": [{**jwk, "kid": kid, "use": "sig"}]}


def request_object(
    client_id: str = "confidential",
    key: Any = CLIENT_KEY,
    alg: str = "RS256",
    kid: str | None = "k1",
    **claims: Any,
) -> str:
    """A request object of ``client_id`` for a code for ``email``; ``claims`` add,
    replace or (``None``) drop claims."""
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": client_id,
        "aud": ISSUER,
        "exp": now + 300,
        "iat": now,
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "email",
        "state": "xyz",
        **claims,
    }
    body = {name: value for name, value in body.items() if value is not None}
    headers = {"kid": kid} if kid else None
    return jwt.encode(body, key if alg != "none" else None, algorithm=alg, headers=headers)


@dataclass
class Site:
    app: Flask
    oauth: OAuth2Provider
    store: Store
    client: FlaskClient

    @classmethod
    def make(cls, **config: Any) -> Site:
        app, oauth, store = create_app(**{"OAUTH2_PROVIDER_ISSUER": ISSUER, **config})

        @app.route("/oauth/par", methods=["GET", "POST"])
        @oauth.par_handler
        def par() -> None:
            return None

        for client in store.clients.values():
            setattr(client, "jwks", public_jwks())  # noqa: B010 - not a field of Client
        return cls(app, oauth, store, app.test_client())

    def push(self, as_client: str | None = "confidential", **params: Any) -> TestResponse:
        """POST a code request for ``email`` to the PAR endpoint as ``as_client``
        (HTTP Basic, or ``client_id`` for the public client); ``params`` add, replace or
        (``None``) drop parameters."""
        data: dict[str, Any] = {
            "response_type": "code",
            "redirect_uri": REDIRECT,
            "scope": "email",
            "state": "xyz",
            **params,
        }
        auth = None
        if as_client and SECRETS.get(as_client):
            auth = (as_client, SECRETS[as_client])
        elif as_client:
            data.setdefault("client_id", as_client)
        data = {name: value for name, value in data.items() if value is not None}
        return self.client.post("/oauth/par", data=data, auth=auth)

    def request_uri(self, as_client: str = "confidential", **params: Any) -> str:
        answer = self.push(as_client, **params)
        assert answer.status_code == 201, answer.text
        assert answer.headers["Cache-Control"] == "no-store"
        return str(answer.json["request_uri"])

    def authorize(self, method: str = "GET", **params: str) -> TestResponse:
        path = "/oauth/authorize?" + urlencode(params)
        if method == "GET":
            return self.client.get(path)
        return self.client.post(path, data={"confirm": "yes"})

    def code(self, **params: str) -> str:
        """Open the consent page of ``params``, allow, and return the code."""
        page = self.authorize(**params)
        assert page.status_code == 200, page.headers.get("Location")
        answer = self.authorize("POST", **params)
        found = redirect_params(answer.headers["Location"])
        assert "code" in found, found
        return found["code"]

    def fatal_error(self, answer: TestResponse) -> str:
        """The error of an answer sent to the error page (never to the client)."""
        assert answer.status_code == 302, answer.text
        location = answer.headers["Location"]
        assert not location.startswith(REDIRECT), location
        return redirect_params(location)["error"]

    def client_error(self, answer: TestResponse) -> str:
        """The error of an answer sent back to the client's redirect URI."""
        assert answer.status_code == 302, answer.text
        location = answer.headers["Location"]
        assert location.startswith(REDIRECT), location
        return redirect_params(location)["error"]
