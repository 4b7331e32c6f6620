"""The provider of ``oauth2_app`` with dynamic client registration (RFC 7591, RFC 7592)
switched on, on in-memory storage whose ``clientsetter`` keeps secrets and
registration access tokens hashed, as the docs ask.

:func:`registration_app` serves it; :func:`register` posts metadata to it over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from oauth2_app import Store, create_app

from flask_oauthlib_core import hash_secret, matches_hash
from flask_oauthlib_core.testing import consent, redirect_location

#: a native app's loopback redirect URI (any port matches it, RFC 8252 7.3)
LOOPBACK = "http://127.0.0.1/callback"
#: an initial access token the policy of :func:`loopback_or_token` accepts
INITIAL_TOKEN = "initial-token-for-partners"
SCOPES = "email profile"


@dataclass
class RegisteredClient:
    """A client the ``clientsetter`` stored: every field of the dict it was given, the
    secret hashed."""

    client_id: str
    client_secret_hash: str | None = None
    is_confidential: bool = True
    token_endpoint_auth_method: str | None = None
    redirect_uris: list[str] = field(default_factory=list)
    default_scopes: list[str] = field(default_factory=list)
    allowed_grant_types: list[str] | None = None
    allowed_response_types: list[str] | None = None
    post_logout_redirect_uris: list[str] = field(default_factory=list)
    client_id_issued_at: int = 0
    client_secret_expires_at: int = 0
    registration_access_token_hash: str | None = None
    client_metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def default_redirect_uri(self) -> str | None:
        return self.redirect_uris[0] if self.redirect_uris else None

    def check_client_secret(self, secret: str) -> bool:
        return matches_hash(secret, self.client_secret_hash)


def loopback_or_token(metadata: dict[str, Any], request: Any) -> bool:
    """The demo's policy: open to native apps on loopback redirect URIs, every other
    registration needs the initial access token."""
    if request.initial_access_token is not None:
        return bool(request.initial_access_token == INITIAL_TOKEN)
    uris = metadata["redirect_uris"]
    return bool(uris) and all(uri.startswith("http://127.0.0.1") for uri in uris)


@dataclass
class Registration:
    """A served provider with registration on, and what its storage saw."""

    url: str
    store: Store
    oauth: Any
    #: every ``(client_id, client)`` the clientsetter was called with
    calls: list[tuple[str, dict[str, Any] | None]]

    def client(self, client_id: str) -> RegisteredClient:
        client = self.store.clients[client_id]
        assert isinstance(client, RegisteredClient)
        return client

    def register(self, metadata: Any = None, token: str | None = None, **kw: Any) -> Any:
        return register(self.url, metadata, token, **kw)

    def configure(self, method: str, answer: dict[str, Any], **kw: Any) -> Any:
        """``method`` at the client's ``registration_client_uri``, with its token unless
        ``token=`` says otherwise."""
        token = kw.pop("token", answer["registration_access_token"])
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(
            method, answer["registration_client_uri"], headers=headers, timeout=10, **kw
        )


def register(url: str, metadata: Any = None, token: str | None = None, **kw: Any) -> Any:
    """POST ``metadata`` as JSON to the registration endpoint (``data=`` and
    ``headers=`` send something else)."""
    headers = kw.pop("headers", {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if "data" not in kw:
        kw["json"] = metadata
    return requests.post(url + "/oauth/register", headers=headers, timeout=10, **kw)


def registration_app(
    serve: Callable[..., str],
    policy: Callable[..., Any] | None = None,
    *,
    management: bool = True,
    clientsetter: bool = True,
    **config: Any,
) -> Registration:
    """The ``oauth2_app`` provider with registration on (scopes ``email profile``), its
    registration view, the client configuration view unless ``management`` is false,
    and a ``clientsetter`` unless ``clientsetter`` is false; served."""
    settings: dict[str, Any] = {
        "OAUTH2_PROVIDER_REGISTRATION_ENABLED": True,
        "OAUTH2_PROVIDER_REGISTRATION_SCOPES": SCOPES,
        **config,
    }
    app, oauth, store = create_app(**settings)
    calls: list[tuple[str, dict[str, Any] | None]] = []

    def save_client(
        client_id: str, client: dict[str, Any] | None, request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        calls.append((client_id, None if client is None else dict(client)))
        if client is None:
            store.clients.pop(client_id, None)
            for token in [t for t in store.tokens.values() if t.client_id == client_id]:
                token.delete()
            return None
        fields = dict(client)
        if "client_secret" in fields:
            secret = fields.pop("client_secret")
            fields["client_secret_hash"] = hash_secret(secret) if secret else None
        stored = store.clients.get(client_id)
        if stored is None:
            stored = RegisteredClient(**fields)
            store.clients[client_id] = stored  # type: ignore[assignment]
        for name, value in fields.items():
            setattr(stored, name, value)
        return stored

    if clientsetter:
        oauth.clientsetter(save_client)
    if policy is not None:
        oauth.registration_policy(policy)

    @app.route("/oauth/register", methods=["POST"])
    @oauth.registration_handler
    def registration() -> None:
        return None

    if management:

        @app.route("/oauth/register/<client_id>", methods=["GET", "PUT", "DELETE"])
        @oauth.client_configuration_handler
        def client_configuration(client_id: str) -> None:
            return None

    return Registration(serve(app), store, oauth, calls)


def login(url: str, answer: dict[str, Any], redirect_uri: str, **session: Any) -> dict[str, Any]:
    """Log in with Authlib as the client ``answer`` registered: authorization code with a
    PKCE S256 challenge, alice consents, then the code is exchanged."""
    # imported here: the contrib packages' tests import this module without Authlib
    from authlib.integrations.requests_client import OAuth2Session

    client = OAuth2Session(
        answer["client_id"],
        answer.get("client_secret"),
        token_endpoint_auth_method=answer["token_endpoint_auth_method"],
        scope="email",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        **session,
    )
    verifier = "v" * 64
    authorize_url, _ = client.create_authorization_url(
        url + "/oauth/authorize", code_verifier=verifier
    )
    callback = redirect_location(consent(authorize_url, open_page=True))
    token: dict[str, Any] = client.fetch_token(
        url + "/oauth/token", authorization_response=callback, code_verifier=verifier
    )
    return token
