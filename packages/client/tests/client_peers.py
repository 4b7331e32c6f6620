"""Real Authlib authorization servers for the client to talk to.

Authlib is a third-party peer nobody here wrote: the client is tested against it over
real HTTP, and the client's own Flask app is driven with Flask's test client.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from authlib.integrations.flask_oauth1 import AuthorizationServer as OAuth1Server
from authlib.integrations.flask_oauth1 import ResourceProtector as OAuth1Protector
from authlib.integrations.flask_oauth1 import current_credential
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector, current_token
from authlib.oauth1 import ClientMixin as OAuth1ClientMixin
from authlib.oauth1 import TemporaryCredential
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, jsonify, request


@dataclass
class Live:
    """A Flask app served on 127.0.0.1 by werkzeug in a thread."""

    app: Flask
    url: str
    state: dict[str, Any] = field(default_factory=dict)


# -- OAuth 2: Authlib AuthorizationServer + ResourceProtector ------------------------------


class Client2(ClientMixin):
    def __init__(self, client_id: str, secret: str, redirect_uri: str) -> None:
        self.client_id, self.secret, self.redirect_uri = client_id, secret, redirect_uri

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_allowed_scope(self, scope: str) -> str:
        return scope or ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(self.secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_post", "client_secret_basic")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


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

    def check_client(self, client: Client2) -> bool:
        return self["client_id"] == client.client_id

    def get_expires_in(self) -> int:
        return int(self["expires_in"])

    def is_expired(self) -> bool:
        return time.time() > self["issued_at"] + self["expires_in"]

    def is_revoked(self) -> bool:
        return bool(self.get("revoked"))

    def get_user(self) -> dict[str, str]:
        return {"name": "alice"}

    def get_client(self) -> Client2:
        return self["client"]


def authlib_oauth2_app(redirect_uri: str, expires_in: int = 3600) -> Live:
    """An Authlib OAuth 2 server: authorization code with PKCE, refresh, a resource."""
    app = Flask("authlib_oauth2")
    live = Live(app, "", {"codes": {}, "tokens": {}, "decision": "allow", "seen": []})
    client = Client2("client-1", "secret-1", redirect_uri)
    codes, tokens = live.state["codes"], live.state["tokens"]

    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

        def save_authorization_code(self, code: str, req: Any) -> None:
            codes[code] = Record(
                code=code,
                client_id=req.client.client_id,
                redirect_uri=req.payload.redirect_uri,
                scope=req.payload.scope,
                code_challenge=req.payload.data.get("code_challenge"),
                code_challenge_method=req.payload.data.get("code_challenge_method"),
            )

        def query_authorization_code(self, code: str, client: Client2) -> Record | None:
            return codes.get(code)

        def delete_authorization_code(self, authorization_code: Record) -> None:
            codes.pop(authorization_code["code"], None)

        def authenticate_user(self, authorization_code: Record) -> dict[str, str]:
            return {"name": "alice"}

    class RefreshGrant(grants.RefreshTokenGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
        INCLUDE_NEW_REFRESH_TOKEN = True

        def authenticate_refresh_token(self, refresh_token: str) -> Record | None:
            for token in tokens.values():
                if token.get("refresh_token") == refresh_token and not token.is_revoked():
                    return token
            return None

        def authenticate_user(self, credential: Record) -> dict[str, str]:
            return {"name": "alice"}

        def revoke_old_credential(self, refresh_token: Record) -> None:
            refresh_token["revoked"] = True

    def save_token(token: dict[str, Any], req: Any) -> None:
        tokens[token["access_token"]] = Record(
            token, client_id=req.client.client_id, client=req.client, issued_at=time.time()
        )

    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": expires_in}
    app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = True
    server = AuthorizationServer(
        app, query_client=lambda cid: client if cid == "client-1" else None, save_token=save_token
    )
    server.register_grant(CodeGrant, [CodeChallenge(required=False)])
    server.register_grant(RefreshGrant)

    class Validator(BearerTokenValidator):
        def authenticate_token(self, token_string: str) -> Record | None:
            return tokens.get(token_string)

    protect = ResourceProtector()
    protect.register_token_validator(Validator())

    @app.before_request
    def remember() -> None:
        live.state["seen"].append(
            {
                "path": request.path,
                "method": request.method,
                "headers": dict(request.headers),
                "query": request.query_string.decode(),
            }
        )

    @app.route("/authorize")
    def authorize() -> Any:
        user = {"name": "alice"}
        grant = server.get_consent_grant(end_user=user)
        if live.state["decision"] == "deny":
            user = None
        return server.create_authorization_response(grant=grant, grant_user=user)

    @app.route("/token", methods=["GET", "POST"])
    def issue_token() -> Any:
        return server.create_token_response()

    @app.route("/api/me")
    @protect()
    def me() -> Any:
        return jsonify(name="alice", scope=current_token.get_scope())

    @app.route("/api/echo", methods=["POST", "PUT", "PATCH", "DELETE", "GET"])
    @protect()
    def echo() -> Any:
        return jsonify(
            method=request.method,
            content_type=request.content_type,
            form=request.form.to_dict(),
            json=request.get_json(silent=True),
            args=request.args.to_dict(),
        )

    @app.route("/api/text")
    @protect()
    def text() -> Any:
        return "name=alice&role=admin", 200, {"Content-Type": "text/plain"}

    @app.route("/api/mislabelled")
    @protect()
    def mislabelled() -> Any:
        return '{"name": "alice"}', 200, {"Content-Type": "text/html"}

    @app.route("/broken/token", methods=["POST", "GET"])
    def broken_token() -> Any:
        return '{"access_token": ', 200, {"Content-Type": "application/json"}

    @app.route("/crash/token", methods=["POST", "GET"])
    def crash_token() -> Any:
        return "Internal Server Error", 500

    @app.route("/slow/token", methods=["POST", "GET"])
    def slow_token() -> Any:
        time.sleep(1.5)
        return jsonify(access_token="late")

    @app.route("/.well-known/oauth-authorization-server")
    def metadata() -> Any:
        return jsonify(
            issuer=live.url,
            authorization_endpoint=live.url + "/authorize",
            token_endpoint=live.url + "/token",
        )

    return live


# -- OAuth 1: Authlib AuthorizationServer + ResourceProtector ------------------------------


class DictCache:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        self.data[key] = value

    def delete(self, key: str) -> None:
        self.data.pop(key, None)

    def has(self, key: str) -> bool:
        return key in self.data


class Client1(OAuth1ClientMixin):
    def __init__(self, key: str, secret: str, redirect_uri: str) -> None:
        self.client_id, self.secret, self.redirect_uri = key, secret, redirect_uri

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_client_secret(self) -> str:
        return self.secret

    def get_rsa_public_key(self) -> None:
        return None


class Credential(dict):  # type: ignore[type-arg]
    def get_oauth_token(self) -> str:
        return self["oauth_token"]

    def get_oauth_token_secret(self) -> str:
        return self["oauth_token_secret"]

    def get_client_id(self) -> str:
        return self["client_id"]


def authlib_oauth1_app(redirect_uri: str) -> Live:
    """An Authlib OAuth 1.0a server: request token, authorize, access token, a resource."""
    from authlib.integrations.flask_oauth1 import (
        create_exists_nonce_func,
        register_nonce_hooks,
        register_temporary_credential_hooks,
    )

    app = Flask("authlib_oauth1")
    live = Live(app, "", {"tokens": {}})
    client = Client1("ckey-1", "csecret-1", redirect_uri)
    cache = DictCache()
    tokens = live.state["tokens"]

    def query_client(client_id: str) -> Client1 | None:
        return client if client_id == client.client_id else None

    server = OAuth1Server(app, query_client=query_client)
    register_temporary_credential_hooks(server, cache)
    register_nonce_hooks(server, cache)

    def create_token_credential(token: dict[str, Any], temporary: TemporaryCredential) -> Any:
        credential = Credential(token, client_id=temporary.get_client_id())
        tokens[token["oauth_token"]] = credential
        return credential

    server.register_hook("create_token_credential", create_token_credential)
    protect = OAuth1Protector(
        app,
        query_client=query_client,
        query_token=lambda client_id, oauth_token: tokens.get(oauth_token),
        exists_nonce=create_exists_nonce_func(cache),
    )

    @app.route("/request_token", methods=["GET", "POST"])
    def request_token() -> Any:
        return server.create_temporary_credentials_response()

    @app.route("/authorize")
    def authorize() -> Any:
        server.check_authorization_request()
        grant_user = type("User", (), {"get_user_id": lambda self: 1})()
        return server.create_authorization_response(grant_user=grant_user)

    @app.route("/access_token", methods=["GET", "POST"])
    def access_token() -> Any:
        return server.create_token_response()

    @app.route("/api/me", methods=["GET", "POST"])
    @protect()
    def me() -> Any:
        return jsonify(
            name="alice",
            client=current_credential["client_id"],
            method=request.method,
            form=request.form.to_dict(),
        )

    return live
