"""OpenID Providers for the client's OpenID Connect tests, served over real HTTP.

- :func:`authlib_op`: Authlib's ``AuthorizationServer`` with its OpenID Connect code grant
  (``authlib.oidc.core``) and userinfo endpoint, signing with an RS256 key made here. A
  third-party peer nobody here wrote.
- :func:`forging_op`: a small provider these tests control, that issues whatever ID token
  a test asks for (expired, for another audience, signed with ``alg: none`` ...), to see
  the client refuse each.
- :func:`oidc_client`: the client app under test, with one remote app.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo, UserInfoEndpoint
from authlib.oidc.core.grants import OpenIDCode
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from flask import Flask, jsonify, redirect, request, session, url_for

from flask_oauthlib_client import OAuth, OAuthException, OAuthRemoteApp
from flask_oauthlib_client.oidc import at_hash

CLIENT_ID, CLIENT_SECRET = "oidc-client", "oidc-secret"
CALLBACK = "http://localhost/authorized"
DISCOVERY = "/.well-known/openid-configuration"
SUB = "248289761001"


@dataclass
class Live:
    """A Flask app served on 127.0.0.1, and what it saw and holds."""

    app: Flask
    url: str = ""
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def discovery(self) -> str:
        return self.url + DISCOVERY


# -- keys ---------------------------------------------------------------------------------


@dataclass
class SigningKey:
    """A private key, its ``kid`` and ``alg``, and its public JWK."""

    private: Any
    kid: str
    alg: str = "RS256"

    @property
    def public_jwk(self) -> dict[str, Any]:
        if self.alg == "ES256":  # PyJWT < 2.5 cannot export EC keys
            numbers = self.private.public_key().public_numbers()
            x, y = (b64(n.to_bytes(32, "big")) for n in (numbers.x, numbers.y))
            jwk: dict[str, Any] = {"kty": "EC", "crv": "P-256", "x": x, "y": y}
        else:
            jwk = json.loads(self._algorithm().to_jwk(self.private.public_key()))
        return dict(jwk, kid=self.kid, use="sig", alg=self.alg)

    @property
    def private_jwk(self) -> dict[str, Any]:
        return dict(json.loads(self._algorithm().to_jwk(self.private)), kid=self.kid)

    def _algorithm(self) -> Any:
        from jwt import algorithms

        if self.alg.startswith(("RS", "PS")):
            return algorithms.RSAAlgorithm
        return algorithms.ECAlgorithm if self.alg.startswith("ES") else algorithms.OKPAlgorithm

    def sign(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        headers = {"kid": self.kid, **(header or {})}
        return jwt.encode(claims, self.private, algorithm=self.alg, headers=headers)


def new_key(kid: str, alg: str = "RS256") -> SigningKey:
    """A fresh key for ``alg`` (RS*/PS*: RSA 2048, ES256: P-256, EdDSA: Ed25519)."""
    if alg.startswith(("RS", "PS")):
        private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif alg == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    elif alg == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        raise ValueError(alg)
    return SigningKey(private, kid, alg)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    """A JWS with ``alg: none`` and no signature."""
    head = b64(json.dumps({**header, "alg": "none"}).encode())
    return f"{head}.{b64(json.dumps(claims).encode())}."


def hmac_signed(claims: dict[str, Any], header: dict[str, Any], secret: bytes) -> str:
    """A JWS with ``alg: HS256`` keyed with ``secret`` (the key-confusion attack when the
    secret is the provider's public key)."""
    import hmac

    head = b64(json.dumps({**header, "alg": "HS256"}).encode())
    body = b64(json.dumps(claims).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


def discovery_document(url: str, issuer: str | None = None) -> dict[str, Any]:
    return {
        "issuer": issuer or url,
        "authorization_endpoint": url + "/authorize",
        "token_endpoint": url + "/token",
        "userinfo_endpoint": url + "/userinfo",
        "jwks_uri": url + "/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
    }


# -- Authlib's OpenID Provider -------------------------------------------------------------


class Client(ClientMixin):
    client_id = CLIENT_ID
    client_metadata: dict[str, Any] = {}

    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_default_redirect_uri(self) -> str:
        return CALLBACK

    def get_allowed_scope(self, scope: str) -> str:
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == CALLBACK

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(CLIENT_SECRET, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_post", "client_secret_basic")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


class Record(dict):  # type: ignore[type-arg]
    """A code or token kept in memory, with the accessors Authlib asks for."""

    def __getattr__(self, key: str) -> Any:
        return self[key]

    def get_redirect_uri(self) -> str:
        return self["redirect_uri"]

    def get_scope(self) -> str:
        return self.get("scope", "")

    def get_code_challenge(self) -> str | None:
        return self.get("code_challenge")

    def get_code_challenge_method(self) -> str | None:
        return self.get("code_challenge_method")

    def get_nonce(self) -> str | None:
        return self.get("nonce")

    def get_auth_time(self) -> int:
        return int(self["auth_time"])

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None

    def is_expired(self) -> bool:
        return time.time() > self["issued_at"] + self["expires_in"]

    def is_revoked(self) -> bool:
        return False

    def get_client(self) -> Client:
        return Client()

    def get_user(self) -> dict[str, str]:
        return {"sub": SUB}


def user_info(scope: str) -> UserInfo:
    claims = UserInfo(sub=SUB, name="Alice Liddell", email="alice@example.com")
    return claims.filter(scope)


def authlib_op(key: SigningKey) -> Live:
    """Authlib's OpenID Provider: code grant with PKCE and nonce, RS256 ID tokens signed
    with ``key``, a userinfo endpoint; its JWKS fetches counted in ``state["jwks"]``."""
    app = Flask("authlib_op")
    live = Live(app, state={"codes": {}, "tokens": {}, "jwks": 0, "nonces": []})
    codes, tokens = live.state["codes"], live.state["tokens"]

    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def save_authorization_code(self, code: str, req: Any) -> None:
            live.state["nonces"].append(req.payload.data.get("nonce"))
            codes[code] = Record(
                code=code,
                client_id=CLIENT_ID,
                redirect_uri=req.payload.redirect_uri,
                scope=req.payload.scope,
                code_challenge=req.payload.data.get("code_challenge"),
                code_challenge_method=req.payload.data.get("code_challenge_method"),
                nonce=req.payload.data.get("nonce"),
                auth_time=int(time.time()),
            )

        def query_authorization_code(self, code: str, client: Client) -> Record | None:
            return codes.get(code)

        def delete_authorization_code(self, authorization_code: Record) -> None:
            codes.pop(authorization_code["code"], None)

        def authenticate_user(self, authorization_code: Record) -> dict[str, str]:
            return {"sub": SUB}

    class IDTokens(OpenIDCode):
        def exists_nonce(self, nonce: str, req: Any) -> bool:
            return any(code.get("nonce") == nonce for code in codes.values())

        def resolve_client_private_key(self, client: Client) -> dict[str, Any]:
            return key.private_jwk

        def get_client_algorithm(self, client: Client) -> str:
            return key.alg

        def get_client_claims(self, client: Client) -> dict[str, Any]:
            return {"iss": live.url, "aud": [CLIENT_ID]}

        def get_encode_header(self, client: Client) -> dict[str, str]:
            return {"alg": key.alg, "kid": key.kid}

        def generate_user_info(self, user: Any, scope: str) -> UserInfo:
            return user_info(scope)

    def save_token(token: dict[str, Any], req: Any) -> None:
        tokens[token["access_token"]] = Record(token, issued_at=time.time())

    server = AuthorizationServer(app, query_client=lambda cid: Client(), save_token=save_token)
    server.register_grant(CodeGrant, [CodeChallenge(required=True), IDTokens(require_nonce=True)])

    class Validator(BearerTokenValidator):
        def authenticate_token(self, token_string: str) -> Record | None:
            return tokens.get(token_string)

    protect = ResourceProtector()
    protect.register_token_validator(Validator())

    class UserInfoAnswer(UserInfoEndpoint):
        def get_issuer(self) -> str:
            return live.url

        def generate_user_info(self, user: Any, scope: str) -> UserInfo:
            return user_info(scope)

    server.register_endpoint(UserInfoAnswer(resource_protector=protect))

    @app.route("/authorize")
    def authorize() -> Any:
        user = {"sub": SUB}
        grant = server.get_consent_grant(end_user=user)
        return server.create_authorization_response(grant=grant, grant_user=user)

    @app.route("/token", methods=["POST"])
    def issue_token() -> Any:
        return server.create_token_response()

    @app.route("/userinfo", methods=["GET", "POST"])
    def userinfo() -> Any:
        return server.create_endpoint_response("userinfo")

    @app.route("/jwks")
    def jwks() -> Any:
        live.state["jwks"] += 1
        return jsonify(keys=[key.public_jwk])

    @app.route(DISCOVERY)
    def discovery() -> Any:
        return jsonify(discovery_document(live.url))

    return live


# -- an OpenID Provider the tests control --------------------------------------------------

#: ``forge(claims, header, key) -> id_token``: what the forging provider answers
Forge = Callable[[dict[str, Any], dict[str, Any], SigningKey], str | None]


def forging_op(key: SigningKey) -> Live:
    """A provider whose token endpoint signs the ID token ``state["forge"]`` makes.

    ``state``: ``keys`` (the signing keys; ``keys[0]`` signs), ``published`` (the JWK
    Set, the public keys by default), ``forge`` (a :data:`Forge`; ``None`` signs the
    right claims with ``keys[0]``), ``claims`` (merged into the right claims), ``issuer``
    (of the discovery document), ``userinfo`` (its answer), ``jwks`` (fetches counted),
    ``nonces`` (each login's), ``refresh_id_token`` (claims of an ID token sent with a
    refreshed token, or ``None`` for none).
    """
    app = Flask("forging_op")
    live = Live(
        app,
        state={
            "keys": [key],
            "published": None,
            "forge": None,
            "claims": {},
            "issuer": None,
            "userinfo": None,
            "jwks": 0,
            "nonces": [],
            "codes": {},
            "refresh_id_token": None,
        },
    )
    state = live.state

    def right_claims(nonce: str | None, access_token: str, signer: SigningKey) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": live.url,
            "sub": SUB,
            "aud": CLIENT_ID,
            "exp": now + 300,
            "iat": now,
            "auth_time": now,
            "at_hash": at_hash(access_token, signer.alg),
        }
        if nonce is not None:
            claims["nonce"] = nonce
        return {**claims, **state["claims"]}

    @app.route(DISCOVERY)
    def discovery() -> Any:
        return jsonify(discovery_document(live.url, state["issuer"]))

    @app.route("/jwks")
    def jwks() -> Any:
        state["jwks"] += 1
        published = state["published"]
        if published is None:
            published = {"keys": [signer.public_jwk for signer in state["keys"]]}
        return jsonify(published)

    @app.route("/authorize")
    def authorize() -> Any:
        args = request.args
        assert args["client_id"] == CLIENT_ID
        code = secrets.token_urlsafe(16)
        state["nonces"].append(args.get("nonce"))
        state["codes"][code] = dict(args)
        query = {"code": code}
        if "state" in args:
            query["state"] = args["state"]
        return redirect(args["redirect_uri"] + "?" + urlencode(query))

    @app.route("/token", methods=["POST"])
    def token() -> Any:
        form = request.form
        signer = state["keys"][0]
        access_token = secrets.token_urlsafe(24)
        answer: dict[str, Any] = {"access_token": access_token, "token_type": "Bearer"}
        if form.get("grant_type") == "refresh_token":
            extra = state["refresh_id_token"]
            answer.update(refresh_token=secrets.token_urlsafe(24), expires_in=3600)
            if extra is not None:
                answer["id_token"] = signer.sign(
                    {**right_claims(None, access_token, signer), **extra}
                )
            return jsonify(answer)
        asked = state["codes"].pop(form["code"], None)
        if asked is None or form.get("client_secret") != CLIENT_SECRET:
            return jsonify(error="invalid_grant"), 400
        verifier = form.get("code_verifier", "")
        challenge = asked.get("code_challenge")
        if challenge and b64(hashlib.sha256(verifier.encode()).digest()) != challenge:
            return jsonify(error="invalid_grant", error_description="PKCE"), 400
        claims = right_claims(asked.get("nonce"), access_token, signer)
        forge: Forge | None = state["forge"]
        id_token = forge(claims, {"kid": signer.kid}, signer) if forge else signer.sign(claims)
        if id_token is not None:
            answer["id_token"] = id_token
        answer.update(refresh_token=secrets.token_urlsafe(24), expires_in=3600)
        answer["scope"] = asked.get("scope", "")
        return jsonify(answer)

    @app.route("/userinfo")
    def userinfo() -> Any:
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return jsonify(error="invalid_token"), 401
        return jsonify(state["userinfo"] or {"sub": SUB, "name": "Alice Liddell"})

    return live


# -- the client app under test --------------------------------------------------------------


def oidc_client(op_url: str, **settings: Any) -> tuple[Flask, OAuthRemoteApp]:
    """A client app logging in with the OpenID Provider at ``op_url``.

    ``/login`` starts a login; ``/authorized`` answers the token data as JSON (and keeps
    the token in the session, the tokengetter), or the ``OAuthException``'s ``error``
    (type) and ``message`` with a 400; ``/userinfo`` answers ``remote.userinfo()``.
    """
    app = Flask("oidc_client")
    app.secret_key = "test-secret"
    oauth = OAuth(app)
    settings.setdefault("request_token_params", {"scope": "openid profile email"})
    remote = oauth.remote_app(
        "idp",
        consumer_key=CLIENT_ID,
        consumer_secret=CLIENT_SECRET,
        server_metadata_url=op_url + DISCOVERY,
        **settings,
    )

    @app.route("/login")
    def login() -> Any:
        return remote.authorize(callback=url_for("authorized", _external=True))

    @app.route("/authorized")
    def authorized() -> Any:
        try:
            token = remote.authorized_response()
        except OAuthException as exc:
            return jsonify(error=exc.type, message=exc.message), 400
        session["token"] = token
        return jsonify(token)

    @remote.tokengetter
    def get_token() -> Any:
        return session.get("token")

    @remote.tokensaver
    def save_token(token: dict[str, Any]) -> None:
        session["token"] = token

    @app.route("/userinfo")
    def userinfo() -> Any:
        try:
            return jsonify(remote.userinfo())
        except OAuthException as exc:
            return jsonify(error=exc.type, message=exc.message), 400

    @app.route("/expire")
    def expire() -> Any:
        session["token"] = dict(session["token"], expires_at=int(time.time()) - 60)
        return jsonify(ok=True)

    @app.route("/token")
    def stored_token() -> Any:
        return jsonify(session.get("token"))

    return app, remote
