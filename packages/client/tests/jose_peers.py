"""An authorization and resource server written from RFC 9449 (DPoP), RFC 9126 (PAR),
RFC 9101 (JAR) and RFC 7523 (private_key_jwt), independently of the client's code: it
verifies with PyJWT and cryptography on its own, and records what it saw.

:func:`jose_server` returns a Flask app (serve it with ``serve``) whose ``config``
dict switches behaviours: ``nonce_at_token`` / ``nonce_at_api`` (answer
``use_dpop_nonce`` until the proof carries the current nonce), ``bearer_only`` (a server
that does not know DPoP), ``require_par``, ``client_jwk`` (the client's public JWK for
``private_key_jwt`` and request objects), ``expires_in``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import jwt
from flask import Flask, jsonify, redirect, request

CLIENT_ID, CLIENT_SECRET = "client-1", "secret-1"
WELL_KNOWN = "/.well-known/oauth-authorization-server"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASYMMETRIC = {
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jkt(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint, written here from the RFC."""
    required = {
        "EC": ["crv", "kty", "x", "y"],
        "RSA": ["e", "kty", "n"],
        "OKP": ["crv", "kty", "x"],
    }
    members = {name: jwk[name] for name in required[jwk["kty"]]}
    return b64(
        hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest()
    )


class Refused(Exception):
    def __init__(self, why: str, status: int = 400, error: str = "invalid_request") -> None:
        super().__init__(why)
        self.why, self.status, self.error = why, status, error


def check_proof(
    state: dict[str, Any], method: str, url: str, token: str | None, nonce: str | None
) -> dict[str, Any]:
    """RFC 9449 section 4.3: verify the request's one DPoP proof; return its public JWK."""
    proofs = request.headers.getlist("DPoP")
    if len(proofs) != 1:
        raise Refused("not exactly one DPoP header", error="invalid_dpop_proof")
    raw = proofs[0]
    try:
        header = jwt.get_unverified_header(raw)
    except jwt.PyJWTError:
        raise Refused("not a JWT", error="invalid_dpop_proof") from None
    if header.get("typ") != "dpop+jwt":
        raise Refused("typ", error="invalid_dpop_proof")
    alg = header.get("alg")
    if alg not in ASYMMETRIC:
        raise Refused("alg", error="invalid_dpop_proof")
    jwk = header.get("jwk")
    private_members = {"d", "p", "q", "dp", "dq", "qi", "k"}
    if not isinstance(jwk, dict) or private_members & set(jwk):
        raise Refused("jwk missing or private", error="invalid_dpop_proof")
    try:
        key = jwt.PyJWK(jwk, algorithm=alg).key
        claims = jwt.decode(raw, key, algorithms=[alg], options={"verify_aud": False})
    except jwt.PyJWTError:
        raise Refused("signature", error="invalid_dpop_proof") from None
    if claims.get("htm") != method or claims.get("htu") != url.split("?")[0]:
        raise Refused("htm/htu", error="invalid_dpop_proof")
    iat = claims.get("iat")
    if not isinstance(iat, int) or abs(time.time() - iat) > 60:
        raise Refused("iat", error="invalid_dpop_proof")
    jti = claims.get("jti")
    if not isinstance(jti, str) or jti in state["jtis"]:
        raise Refused("jti replayed", error="invalid_dpop_proof")
    state["jtis"].add(jti)
    if token is not None:
        wanted = b64(hashlib.sha256(token.encode()).digest())
        if claims.get("ath") != wanted:
            raise Refused("ath", error="invalid_dpop_proof")
    if nonce is not None and claims.get("nonce") != nonce:
        raise Refused("nonce", error="use_dpop_nonce")
    state["proofs"].append({"header": header, "claims": claims})
    return jwk


def check_assertion(state: dict[str, Any], form: Any, audiences: list[str]) -> None:
    """RFC 7523 2.2 / 3: the client assertion, verified with the client's public key."""
    if form.get("client_assertion_type") != ASSERTION_TYPE or "client_secret" in form:
        raise Refused("assertion type", 401, "invalid_client")
    public = jwt.PyJWK(state["config"]["client_jwk"]).key
    try:
        claims = jwt.decode(
            form["client_assertion"],
            public,
            algorithms=list(ASYMMETRIC),
            audience=audiences,
            options={"require": ["exp", "iss", "sub", "aud", "jti"]},
        )
    except (jwt.PyJWTError, KeyError):
        raise Refused("assertion", 401, "invalid_client") from None
    if claims["iss"] != CLIENT_ID or claims["sub"] != CLIENT_ID or claims["jti"] in state["jtis"]:
        raise Refused("assertion claims", 401, "invalid_client")
    state["jtis"].add(claims["jti"])
    state["assertions"].append(claims)


def authenticate(state: dict[str, Any], form: Any, audiences: list[str]) -> None:
    if "client_assertion" in form:
        return check_assertion(state, form, audiences)
    if state["config"].get("client_jwk"):
        raise Refused("this client authenticates with private_key_jwt", 401, "invalid_client")
    auth = request.authorization
    secret = auth.password if auth and auth.username == CLIENT_ID else form.get("client_secret")
    if secret != CLIENT_SECRET:
        raise Refused("client secret", 401, "invalid_client")


def jose_server(**config: Any) -> Flask:
    app = Flask("jose_server")
    state: dict[str, Any] = {
        "config": config,
        "jtis": set(),
        "proofs": [],
        "assertions": [],
        "seen": [],
        "codes": {},
        "tokens": {},
        "refresh": {},
        "pushed": {},
        "nonce": "n-" + secrets.token_hex(4),
    }
    app.config["STATE"] = state

    def base() -> str:
        return request.host_url.rstrip("/")

    @app.errorhandler(Refused)
    def refused(exc: Refused) -> Any:
        resp = jsonify(error=exc.error, error_description=exc.why)
        resp.status_code = exc.status
        if exc.error == "use_dpop_nonce":
            resp.headers["DPoP-Nonce"] = state["nonce"]
        return resp

    @app.before_request
    def record() -> None:
        state["seen"].append(
            {
                "path": request.path,
                "args": request.args.to_dict(flat=False),
                "form": request.form.to_dict(flat=False),
                "headers": dict(request.headers),
            }
        )

    @app.route(WELL_KNOWN)
    def metadata() -> Any:
        url = base()
        return jsonify(
            issuer=url,
            authorization_endpoint=url + "/authorize",
            token_endpoint=url + "/token",
            pushed_authorization_request_endpoint=url + "/par",
            require_pushed_authorization_requests=bool(config.get("require_par")),
            dpop_signing_alg_values_supported=config.get("dpop_algs", ["ES256", "RS256"]),
        )

    def request_object_params(raw: str) -> dict[str, Any]:
        """RFC 9101 6: verify the request object with the client's key; its claims."""
        header = jwt.get_unverified_header(raw)
        if header.get("typ") != "oauth-authz-req+jwt":
            raise Refused("request object typ", error="invalid_request_object")
        public = jwt.PyJWK(config["client_jwk"]).key
        try:
            claims = jwt.decode(
                raw,
                public,
                algorithms=list(ASYMMETRIC),
                audience=base(),
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError:
            raise Refused("request object signature", error="invalid_request_object") from None
        if claims["iss"] != CLIENT_ID or claims.get("client_id") != CLIENT_ID:
            raise Refused("request object iss", error="invalid_request_object")
        state["request_objects"] = [*state.get("request_objects", []), claims]
        return claims

    @app.route("/par", methods=["POST"])
    def par() -> Any:
        authenticate(state, request.form, [base(), base() + "/token", base() + "/par"])
        if "request_uri" in request.form:
            raise Refused("request_uri may not be pushed")
        params: dict[str, Any] = request.form.to_dict(flat=False)
        params = {k: v[0] if len(v) == 1 else v for k, v in params.items()}
        for drop in ("client_secret", "client_assertion", "client_assertion_type"):
            params.pop(drop, None)
        if "request" in params:
            params = request_object_params(params["request"])
        uri = "urn:ietf:params:oauth:request_uri:" + secrets.token_urlsafe(8)
        state["pushed"][uri] = params
        return jsonify(request_uri=uri, expires_in=60), 201

    @app.route("/authorize")
    def authorize() -> Any:
        args: dict[str, Any] = request.args.to_dict(flat=True)
        if "request_uri" in args:
            if set(args) != {"client_id", "request_uri"}:
                raise Refused("a pushed request carries client_id and request_uri only")
            params = state["pushed"].pop(args["request_uri"], None)  # one-time
            if params is None or params.get("client_id") != args["client_id"]:
                raise Refused("unknown request_uri")
        elif config.get("require_par"):
            raise Refused("this server requires pushed authorization requests")
        elif "request" in args:
            params = request_object_params(args["request"])
        else:
            params = args
        code = "code-" + secrets.token_urlsafe(8)
        state["codes"][code] = params
        back = {"code": code, "state": params.get("state", "")}
        return redirect(params["redirect_uri"] + "?" + urlencode(back))

    def issue(jwk: dict[str, Any] | None) -> dict[str, Any]:
        access, refresh = "at-" + secrets.token_urlsafe(8), "rt-" + secrets.token_urlsafe(8)
        bound = jkt(jwk) if jwk is not None else None
        state["tokens"][access] = bound
        state["refresh"][refresh] = bound
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "DPoP" if bound else "Bearer",
            "expires_in": config.get("expires_in", 3600),
        }

    def token_proof(url: str) -> dict[str, Any] | None:
        if config.get("bearer_only") or "DPoP" not in request.headers:
            return None
        return check_proof(
            state, "POST", url, None, state["nonce"] if config.get("nonce_at_token") else None
        )

    @app.route("/token", methods=["POST"])
    def token() -> Any:
        url = base() + "/token"
        form = request.form
        authenticate(state, form, [base(), url])
        jwk = token_proof(url)
        if form.get("grant_type") == "authorization_code":
            params = state["codes"].pop(form.get("code"), None)
            if params is None or params.get("redirect_uri") != form.get("redirect_uri"):
                raise Refused("code", error="invalid_grant")
            challenge = b64(hashlib.sha256(form.get("code_verifier", "").encode()).digest())
            if params.get("code_challenge") != challenge:
                raise Refused("PKCE", error="invalid_grant")
            if params.get("dpop_jkt") and not config.get("bearer_only"):
                if jwk is None or jkt(jwk) != params["dpop_jkt"]:
                    raise Refused("dpop_jkt", error="invalid_dpop_proof")
        elif form.get("grant_type") == "refresh_token":
            rt = form.get("refresh_token")
            if rt not in state["refresh"]:
                raise Refused("refresh token", error="invalid_grant")
            bound = state["refresh"].pop(rt)
            if bound is not None and (jwk is None or jkt(jwk) != bound):
                raise Refused("refresh token bound to another key", error="invalid_grant")
        else:
            raise Refused("grant_type", error="unsupported_grant_type")
        resp = jsonify(issue(jwk))
        if config.get("nonce_at_token"):
            resp.headers["DPoP-Nonce"] = state["nonce"]
        return resp

    @app.route("/api/me")
    def me() -> Any:
        scheme, _, access = (request.headers.get("Authorization") or "").partition(" ")
        if access not in state["tokens"]:
            return jsonify(error="invalid_token"), 401
        bound = state["tokens"][access]
        if bound is None:
            if scheme != "Bearer" or "DPoP" in request.headers:
                return jsonify(error="invalid_token"), 401
            return jsonify(user="alice", bound=False)
        if scheme != "DPoP":
            return jsonify(error="invalid_token"), 401
        nonce = state["nonce"] if config.get("nonce_at_api") else None
        try:
            jwk = check_proof(state, "GET", base() + "/api/me", access, nonce)
        except Refused as exc:
            resp = jsonify(error=exc.error)
            resp.status_code = 401
            resp.headers["WWW-Authenticate"] = f'DPoP error="{exc.error}", algs="ES256"'
            if exc.error == "use_dpop_nonce":
                resp.headers["DPoP-Nonce"] = state["nonce"]
            return resp
        if jkt(jwk) != bound:
            return jsonify(error="invalid_token"), 401
        return jsonify(user="alice", bound=True)

    return app
