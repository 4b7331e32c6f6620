"""Authorization servers a client registers with (RFC 7591), served over real HTTP.

:func:`authlib_registration_app` is Authlib's: its ``ClientRegistrationEndpoint``, and
the authorization code grant (PKCE required of public clients) and refresh grant for the
clients registered there, each authenticating with the method it registered. Every
request it receives is recorded, form and headers, so a test sees what the client sent
(``resource`` parameters included: Authlib ignores them).

:func:`scripted_registration_app` answers registration requests the way a test says:
errors, nonsense, slowness.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector, current_token
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from client_peers import Live, Record
from flask import Flask, jsonify, request

WELL_KNOWN = "/.well-known/oauth-authorization-server"
#: the initial access token :func:`authlib_registration_app` asks for when told to
INITIAL_TOKEN = "initial-access-token-7f3a9c"


class RegisteredClient(ClientMixin):
    """A client Authlib's registration endpoint registered, from its metadata."""

    def __init__(self, info: dict[str, Any], metadata: dict[str, Any]) -> None:
        self.client_id: str = info["client_id"]
        self.client_secret: str = info["client_secret"]
        self.metadata = metadata

    @property
    def auth_method(self) -> str:
        return str(self.metadata.get("token_endpoint_auth_method", "client_secret_basic"))

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return str(self.metadata["redirect_uris"][0])

    def get_allowed_scope(self, scope: str) -> str:
        allowed = set(self.metadata.get("scope", "").split())
        return " ".join(s for s in (scope or "").split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.metadata.get("redirect_uris", [])

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type in self.metadata.get("response_types", ["code"])

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.metadata.get("grant_types", ["authorization_code"])


def authlib_registration_app(serve: Any, *, initial_token: bool = False) -> Live:
    """Authlib's authorization server with open registration (or, with
    ``initial_token``, for holders of :data:`INITIAL_TOKEN` only); served."""
    app = Flask("authlib_registration")
    live = Live(app, "", {"clients": {}, "codes": {}, "tokens": {}, "seen": []})
    clients: dict[str, RegisteredClient] = live.state["clients"]
    codes, tokens = live.state["codes"], live.state["tokens"]
    methods = ["client_secret_basic", "client_secret_post", "none"]

    class CodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = methods

        def save_authorization_code(self, code: str, req: Any) -> None:
            codes[code] = Record(
                code=code,
                client_id=req.client.client_id,
                redirect_uri=req.payload.redirect_uri,
                scope=req.payload.scope,
                code_challenge=req.payload.data.get("code_challenge"),
                code_challenge_method=req.payload.data.get("code_challenge_method"),
            )

        def query_authorization_code(self, code: str, client: Any) -> Record | None:
            return codes.get(code)

        def delete_authorization_code(self, authorization_code: Record) -> None:
            codes.pop(authorization_code["code"], None)

        def authenticate_user(self, authorization_code: Record) -> dict[str, str]:
            return {"name": "alice"}

    class RefreshGrant(grants.RefreshTokenGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = methods
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

    class Registration(ClientRegistrationEndpoint):
        def authenticate_token(self, req: Any) -> Any:
            if not initial_token:
                return {"open": True}
            given = req.headers.get("Authorization", "")
            return {"partner": True} if given == f"Bearer {INITIAL_TOKEN}" else None

        def get_server_metadata(self) -> dict[str, Any]:
            return metadata_document(live.url)

        def save_client(
            self, client_info: dict[str, Any], client_metadata: dict[str, Any], req: Any
        ) -> RegisteredClient:
            client = RegisteredClient(client_info, client_metadata)
            clients[client.client_id] = client
            return client

        def generate_client_registration_info(self, client: Any, req: Any) -> dict[str, str]:
            return {
                "registration_access_token": "rat-" + secrets.token_hex(16),
                "registration_client_uri": f"{live.url}/register/{client.client_id}",
            }

    def save_token(token: dict[str, Any], req: Any) -> None:
        tokens[token["access_token"]] = Record(
            token, client_id=req.client.client_id, client=req.client, issued_at=time.time()
        )

    app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = True
    server = AuthorizationServer(app, query_client=clients.get, save_token=save_token)
    server.register_grant(CodeGrant, [CodeChallenge(required=True)])
    server.register_grant(RefreshGrant)
    server.register_endpoint(Registration)

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
                "args": request.args.to_dict(flat=False),
                "form": request.form.to_dict(flat=False),
                "json": request.get_json(silent=True),
                "headers": dict(request.headers),
            }
        )

    @app.route(WELL_KNOWN)
    def metadata() -> Any:
        return jsonify(metadata_document(live.url))

    @app.route("/register", methods=["POST"])
    def register() -> Any:
        return server.create_endpoint_response("client_registration")

    @app.route("/authorize")
    def authorize() -> Any:
        grant = server.get_consent_grant(end_user={"name": "alice"})
        return server.create_authorization_response(grant=grant, grant_user={"name": "alice"})

    @app.route("/token", methods=["POST"])
    def issue_token() -> Any:
        return server.create_token_response()

    @app.route("/api/me")
    @protect()
    def me() -> Any:
        return jsonify(name="alice", client=current_token["client_id"])

    live.url = serve(app)
    return live


def metadata_document(url: str, **fields: Any) -> dict[str, Any]:
    """The RFC 8414 document of a server at ``url`` with a registration endpoint."""
    return {
        "issuer": url,
        "authorization_endpoint": url + "/authorize",
        "token_endpoint": url + "/token",
        "registration_endpoint": url + "/register",
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "response_types_supported": ["code"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
        "scopes_supported": ["profile", "email"],
        **fields,
    }


def scripted_registration_app(serve: Any) -> Live:
    """A server whose registration endpoint answers ``live.state["answer"]``: a
    ``(status, body, content type)`` (and a dict of more headers), or ``"slow"``; its
    metadata is
    ``live.state["metadata"]`` when set. Requests are recorded in ``live.state["seen"]``."""
    app = Flask("scripted_registration")
    live = Live(app, "", {"answer": None, "metadata": None, "seen": []})

    @app.route(WELL_KNOWN)
    def metadata() -> Any:
        found = live.state["metadata"]
        return jsonify(found if found is not None else metadata_document(live.url))

    @app.route("/register", methods=["POST"])
    def register() -> Any:
        live.state["seen"].append(
            {"headers": dict(request.headers), "json": request.get_json(silent=True)}
        )
        answer = live.state["answer"]
        if answer == "slow":
            time.sleep(1.5)
            answer = (201, '{"client_id": "late"}', "application/json")
        status, body, content_type, *headers = answer
        return body, status, {"Content-Type": content_type, **(headers[0] if headers else {})}

    @app.route("/elsewhere", methods=["GET", "POST"])
    def elsewhere() -> Any:
        live.state["seen"].append({"headers": dict(request.headers), "elsewhere": True})
        return jsonify(client_id="stolen", client_secret="stolen")

    live.url = serve(app)
    return live
