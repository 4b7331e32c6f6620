"""A provider app written the way the API reference shows, on in-memory storage, and the
``make_provider`` and ``provider`` fixtures that serve it.

``Store(modern=True)`` gives grants and tokens the optional members that let the provider
enforce PKCE, single-use codes and refresh token rotation; ``modern=False`` is storage
exactly as 0.9.6 apps wrote it. The ``provider`` fixture takes either by name
(:data:`STORAGES`, ``indirect`` parametrisation; :data:`on_both_storages` runs a test on
both).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from flask import Flask, jsonify, request
from flask.testing import FlaskClient

from flask_oauthlib_core.testing import consent, redirect_params
from flask_oauthlib_provider_oauth2 import OAuth2Provider

REDIRECT = "http://127.0.0.1:8000/authorized"
#: the secrets of the clients every store holds (the public client has none)
SECRETS = {"confidential": "s3cret", "public": "", "machine": "m-secret"}
#: the storage the ``provider`` fixture can be given: modern, or as 0.9.6 apps wrote it
STORAGES = ("modern", "0.9.6")
#: run a test on both kinds of storage
on_both_storages = pytest.mark.parametrize("provider", STORAGES, indirect=True)


@dataclass
class User:
    """The app's user; every code and token here is alice's."""

    id: int
    username: str


@dataclass
class Client:
    """A client as the 0.9.6 documentation's model has it."""

    client_id: str
    client_secret: str
    redirect_uris: list[str]
    default_scopes: list[str]
    is_confidential: bool = True
    user: User | None = None

    @property
    def default_redirect_uri(self) -> str:
        return self.redirect_uris[0]


@dataclass
class Grant:
    store: Store
    client_id: str
    code: str
    user: User
    scopes: list[str]
    redirect_uri: str
    expires: datetime

    def delete(self) -> None:
        self.store.grants.pop(self.code, None)


@dataclass
class ModernGrant(Grant):
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    used: bool = False
    issued: list[str] = field(default_factory=list)

    def delete(self) -> None:
        self.used = True

    def redeem(self) -> bool:
        if self.used:
            return False
        self.used = True
        return True

    def revoke_issued_tokens(self) -> None:
        for access in self.issued:
            if access in self.store.tokens:
                self.store.tokens[access].revoked = True


@dataclass
class Token:
    store: Store
    access_token: str
    refresh_token: str | None
    client_id: str
    scopes: list[str]
    expires: datetime | None
    user: User | None
    client: Client | None = None
    revoked: bool = False
    family: str = ""

    def delete(self) -> None:
        self.store.tokens.pop(self.access_token, None)

    def revoke(self) -> None:
        self.revoked = True

    def rotate(self) -> bool:
        if self.revoked:
            return False
        self.revoked = True
        return True

    def revoke_family(self) -> None:
        for token in self.store.tokens.values():
            if token.family == self.family:
                token.revoked = True


def hex_token(request: Any) -> str:
    """A token generator as OAUTH2_PROVIDER_TOKEN_GENERATOR names it."""
    return secrets.token_hex(20)


class Store:
    def __init__(self, modern: bool = True) -> None:
        self.modern = modern
        self.alice = User(1, "alice")
        self.clients: dict[str, Client] = {}
        self.grants: dict[str, Grant] = {}
        self.tokens: dict[str, Token] = {}
        self.add_client(
            Client("confidential", SECRETS["confidential"], [REDIRECT], ["email", "profile"])
        )
        self.add_client(
            Client(
                "public",
                SECRETS["public"],
                [REDIRECT, "http://127.0.0.1/cb"],
                ["email"],
                is_confidential=False,
            )
        )
        self.add_client(
            Client("machine", SECRETS["machine"], [REDIRECT], ["email"], user=self.alice)
        )
        self.fail_storage = False
        #: the storage functions create_app registered, by decorator name
        self.functions: dict[str, Any] = {}

    def add_client(self, client: Client) -> Client:
        self.clients[client.client_id] = client
        return client

    def token_for(self, access_token: str) -> Token:
        return self.tokens[access_token]

    def add_token(
        self,
        access_token: str,
        scopes: Iterable[str] = ("email",),
        client_id: str = "confidential",
        expires: datetime | None = None,
        **fields: Any,
    ) -> Token:
        """Store a token of ``client_id`` for alice, as if the provider had issued it; by
        default for ``email`` and valid for an hour (``expires`` may be naive UTC, as 0.9.6
        apps stored it)."""
        token = Token(
            self,
            access_token,
            fields.pop("refresh_token", None),
            client_id,
            list(scopes),
            expires or datetime.now(timezone.utc) + timedelta(hours=1),
            fields.pop("user", self.alice),
            self.clients.get(client_id),
            **fields,
        )
        self.tokens[access_token] = token
        return token


def create_app(
    store: Store | None = None, *, with_usergetter: bool = True, **config: Any
) -> tuple[Flask, OAuth2Provider, Store]:
    from flask_oauthlib_core import StorageUnavailable

    store = store or Store()
    app = Flask("oauth2_provider")
    app.config.update(config)
    oauth = OAuth2Provider(app)

    def check_storage() -> None:
        if store.fail_storage:
            raise StorageUnavailable("the test database is down")

    @oauth.clientgetter
    def load_client(client_id: str) -> Client | None:
        check_storage()
        return store.clients.get(client_id)

    @oauth.grantgetter
    def load_grant(client_id: str, code: str) -> Grant | None:
        grant = store.grants.get(code)
        return grant if grant and grant.client_id == client_id else None

    @oauth.grantsetter
    def save_grant(
        client_id: str, code: dict[str, str], req: Any, *args: Any, **kwargs: Any
    ) -> Grant:
        expires = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(seconds=100)
        common = {
            "store": store,
            "client_id": client_id,
            "code": code["code"],
            "user": store.alice,
            "scopes": req.scopes,
            "redirect_uri": req.redirect_uri,
            "expires": expires,
        }
        if store.modern:
            grant: Grant = ModernGrant(
                **common,
                code_challenge=req.code_challenge,
                code_challenge_method=req.code_challenge_method,
            )
        else:
            grant = Grant(**common)
        store.grants[grant.code] = grant
        return grant

    @oauth.tokengetter
    def load_token(
        access_token: str | None = None, refresh_token: str | None = None
    ) -> Token | None:
        check_storage()
        if access_token:
            return store.tokens.get(access_token)
        for token in store.tokens.values():
            if refresh_token and token.refresh_token == refresh_token:
                return token
        return None

    @oauth.tokensetter
    def save_token(token: dict[str, Any], req: Any, *args: Any, **kwargs: Any) -> Token:
        check_storage()
        expires = datetime.now(timezone.utc) + timedelta(seconds=token["expires_in"])
        old = getattr(req, "refresh_token_object", None)
        tok = Token(
            store=store,
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token"),
            client_id=req.client.client_id,
            scopes=token["scope"].split(),
            expires=expires,
            # the implicit grant has no grant to carry the user: real apps use their
            # current user here, as this one does
            user=req.user or store.alice,
            client=req.client,
            family=old.family if old else secrets.token_hex(8),
        )
        store.tokens[tok.access_token] = tok
        grant = getattr(req, "grant", None)
        if isinstance(grant, ModernGrant):
            grant.issued.append(tok.access_token)
        return tok

    def load_user(
        username: str, password: str, client: Client, req: Any, *args: Any, **kwargs: Any
    ) -> User | None:
        if username == "alice" and password == "wonderland":
            return store.alice
        return None

    if with_usergetter:
        oauth.usergetter(load_user)
    store.functions = {
        "clientgetter": load_client,
        "grantgetter": load_grant,
        "grantsetter": save_grant,
        "tokengetter": load_token,
        "tokensetter": save_token,
    }

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    @oauth.authorize_handler
    def authorize(*args: Any, **kwargs: Any) -> Any:
        if request.method == "GET":
            return (
                f"<h1>Allow {kwargs['client_id']} to read {' '.join(kwargs['scopes'])}?</h1>"
                "<form method='post'><button name='confirm' value='yes'>Allow</button></form>"
            )
        return request.form.get("confirm", "no") == "yes"

    @app.route("/oauth/token", methods=["GET", "POST"])
    @oauth.token_handler
    def access_token() -> Any:
        return None

    @app.route("/oauth/revoke", methods=["POST"])
    @oauth.revoke_handler
    def revoke_token() -> None:
        pass

    @app.route("/oauth/introspect", methods=["POST"])
    @oauth.introspect_handler
    def introspect() -> None:
        pass

    @app.route("/.well-known/oauth-authorization-server")
    @oauth.metadata_handler
    def metadata() -> dict[str, Any]:
        return {"scopes_supported": ["email", "profile"]}

    @app.route("/oauth/errors")
    def errors() -> Any:
        return jsonify(error=request.args.get("error")), 400

    @app.route("/api/me")
    @oauth.require_oauth("email")
    def me() -> Any:
        return jsonify(username=request.oauth.user.username, client=request.oauth.client.client_id)

    @app.route("/api/profile", methods=["GET", "POST"])
    @oauth.require_oauth("email", "profile")
    def profile() -> Any:
        return jsonify(scopes=request.oauth.scopes, token=request.oauth.access_token.client_id)

    return app, oauth, store


@dataclass
class Provider:
    app: Flask
    oauth: OAuth2Provider
    store: Store
    url: str

    @classmethod
    def start(
        cls, serve: Callable[[Flask], str], store: Store | None = None, **config: Any
    ) -> Provider:
        """:func:`create_app` on ``store`` with ``config``, served by ``serve``."""
        app, oauth, store = create_app(store, **config)
        return cls(app, oauth, store, serve(app))

    def consent(self, authorization_url: str, allow: bool = True) -> requests.Response:
        """Play the user: open the consent page, then allow or deny."""
        return consent(authorization_url, allow, open_page=True)  # type: ignore[no-any-return]

    def callback_params(self, authorization_url: str, allow: bool = True) -> dict[str, str]:
        return redirect_params(self.consent(authorization_url, allow))


def authorize_url(base: str = "", client_id: str = "confidential", **params: str | None) -> str:
    """The authorization URL of the app at ``base`` (``""`` for its test client): a code
    for ``email`` to :data:`REDIRECT`; ``params`` add to it, replace, or leave out (``None``)."""
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "scope": "email",
        **params,
    }
    return f"{base}/oauth/authorize?" + urlencode({k: v for k, v in query.items() if v is not None})


def token_request(
    via: str | FlaskClient, as_client: str | None = "confidential", **data: str
) -> Any:
    """POST ``data`` to the token endpoint of the app at ``via`` (a base URL, or its test
    client) as the client ``as_client``: with HTTP Basic, or ``client_id`` in the body for
    the client without a secret; ``None`` sends ``data`` alone."""
    auth = None
    if as_client is not None and SECRETS.get(as_client):
        auth = (as_client, SECRETS[as_client])
    elif as_client is not None:
        data["client_id"] = as_client
    if isinstance(via, FlaskClient):
        return via.post("/oauth/token", data=data, auth=auth)
    return requests.post(via + "/oauth/token", data=data, auth=auth, timeout=10)


def redeem(via: str | FlaskClient, code: str, as_client: str = "confidential", **extra: str) -> Any:
    """Exchange ``code`` (issued for :data:`REDIRECT`) at the app at ``via``."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    return token_request(via, as_client, **{**data, **extra})


# -- fixtures (registered by the conftest.py of each folder whose tests use them) ------------


@pytest.fixture
def make_provider(serve: Callable[[Flask], str]) -> Callable[..., Provider]:
    """``make_provider(store=None, **config)``: a :class:`Provider` served for this test."""
    return partial(Provider.start, serve)


@pytest.fixture
def provider(request: pytest.FixtureRequest, make_provider: Callable[..., Provider]) -> Provider:
    """The provider on modern storage, or on the storage parametrised in: ``"0.9.6"``
    (``@pytest.mark.parametrize("provider", ["0.9.6"], indirect=True)``) or both
    (:data:`on_both_storages`)."""
    storage = getattr(request, "param", "modern")
    if storage not in STORAGES:
        raise ValueError(f"unknown storage {storage!r}: one of {STORAGES}")
    return make_provider(Store(modern=storage == "modern"))
