"""An OAuth 1 provider written the way the API reference shows, on in-memory storage."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask, jsonify, request
from oauthlib.oauth1 import Client as OAuth1Client

from flask_oauthlib_core.testing import consent
from flask_oauthlib_provider_oauth1 import OAuth1Provider, OAuth1RequestValidator

CALLBACK = "http://127.0.0.1:8000/authorized"
CLIENT_KEY = "clientkey0123456789ab"
CLIENT_SECRET = "clientsecret0123456789"
RSA_CLIENT_KEY = "rsaclient0123456789ab"
#: the access token :meth:`Store.add_access_token` stores unless told otherwise
ACCESS_TOKEN, ACCESS_SECRET = "t" * 24, "s" * 24


@dataclass
class User:
    """The app's user: alice signs every request token."""

    id: int
    username: str


@dataclass
class Client:
    """A client as the 0.9.6 documentation's model has it (``rsa_key`` for RSA-SHA1)."""

    client_key: str
    client_secret: str
    redirect_uris: list[str]
    default_realms: list[str]
    rsa_key: str | None = None


@dataclass
class RequestToken:
    store: Store
    client: Client
    token: str
    secret: str
    realms: list[str]
    redirect_uri: str
    verifier: str | None = None
    user: User | None = None

    @property
    def client_key(self) -> str:
        return self.client.client_key

    def delete(self) -> None:
        self.store.grants.pop(self.token, None)


@dataclass
class RedeemableRequestToken(RequestToken):
    """A request token that ``redeem()`` uses up atomically (the store's lock)."""

    redeemed: bool = False

    def redeem(self) -> bool:
        with self.store.lock:
            if self.redeemed:
                return False
            self.redeemed = True
            return True


@dataclass
class AccessToken:
    client: Client
    user: User
    token: str
    secret: str
    realms: list[str]


@dataclass
class Store:
    alice: User = field(default_factory=lambda: User(1, "alice"))
    clients: dict[str, Client] = field(default_factory=dict)
    grants: dict[str, RequestToken] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    nonces: set[tuple[Any, ...]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: what the grantsetter saves: by default request tokens that ``redeem()`` atomically;
    #: ``RequestToken`` (or a subclass) is storage as the 0.9.6 documentation shows it
    request_token_class: type[RequestToken] = RedeemableRequestToken

    def add_access_token(
        self, token: str = ACCESS_TOKEN, secret: str = ACCESS_SECRET, realms: Any = ("email",)
    ) -> AccessToken:
        """Store an access token of :data:`CLIENT_KEY` for alice, as if it were issued."""
        access = AccessToken(self.clients[CLIENT_KEY], self.alice, token, secret, list(realms))
        self.tokens[token] = access
        return access


def storage_functions(store: Store) -> dict[str, Callable[..., Any]]:
    """The nine storage functions on ``store``, by the name of the provider's decorator
    that registers each (``clientgetter`` ...)."""

    def get_client(client_key: str) -> Client | None:
        return store.clients.get(client_key)

    def get_request_token(token: str) -> RequestToken | None:
        return store.grants.get(token)

    def save_request_token(token: dict[str, Any], req: Any) -> RequestToken:
        grant = store.request_token_class(
            store,
            req.client,
            token["oauth_token"],
            token["oauth_token_secret"],
            req.realms,
            req.redirect_uri,
        )
        store.grants[grant.token] = grant
        return grant

    def load_verifier(verifier: str, token: str) -> RequestToken | None:
        grant = store.grants.get(token)
        return grant if grant and grant.verifier == verifier else None

    def save_verifier(token: str, verifier: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        grant = store.grants[token]
        grant.verifier = verifier["oauth_verifier"]
        grant.user = store.alice

    def get_access_token(client_key: str, token: str) -> AccessToken | None:
        tok = store.tokens.get(token)
        return tok if tok and tok.client.client_key == client_key else None

    def save_access_token(token: dict[str, Any], req: Any) -> None:
        store.tokens[token["oauth_token"]] = AccessToken(
            req.client,
            req.user,
            token["oauth_token"],
            token["oauth_token_secret"],
            token["oauth_authorized_realms"].split(" "),
        )

    def get_nonce(
        client_key: str, timestamp: str, nonce: str, request_token: Any, access_token: Any
    ) -> bool:
        return (client_key, timestamp, nonce, request_token, access_token) in store.nonces

    def save_nonce(
        client_key: str, timestamp: str, nonce: str, request_token: Any, access_token: Any
    ) -> None:
        store.nonces.add((client_key, timestamp, nonce, request_token, access_token))

    return {
        "clientgetter": get_client,
        "grantgetter": get_request_token,
        "grantsetter": save_request_token,
        "verifiergetter": load_verifier,
        "verifiersetter": save_verifier,
        "tokengetter": get_access_token,
        "tokensetter": save_access_token,
        "noncegetter": get_nonce,
        "noncesetter": save_nonce,
    }


def validator_for(
    store: Store,
    cls: type[OAuth1RequestValidator] = OAuth1RequestValidator,
    config: Any = None,
    **functions: Callable[..., Any],
) -> Any:
    """A validator on ``store``'s storage functions (``functions`` replace some), as an
    app assigns to ``oauth._validator``."""
    return cls(**{**storage_functions(store), **functions}, config=config)


def create_app(
    store: Store | None = None, rsa_public_key: str | None = None, **config: Any
) -> tuple[Flask, OAuth1Provider, Store]:
    store = store or Store()
    store.clients[CLIENT_KEY] = Client(CLIENT_KEY, CLIENT_SECRET, [CALLBACK], ["email"])
    store.clients[RSA_CLIENT_KEY] = Client(
        RSA_CLIENT_KEY, "", [CALLBACK], ["email"], rsa_public_key
    )
    app = Flask("oauth1_provider")
    app.config.update(
        OAUTH1_PROVIDER_ENFORCE_SSL=False,
        OAUTH1_PROVIDER_REALMS=["email", "profile"],
    )
    app.config.update(config)
    oauth = OAuth1Provider(app)

    for name, function in storage_functions(store).items():
        getattr(oauth, name)(function)  # as @oauth.clientgetter ... do

    add_views(app, oauth)
    return app, oauth, store


@dataclass
class Provider:
    app: Flask
    oauth: OAuth1Provider
    store: Store
    url: str

    @classmethod
    def start(
        cls,
        serve: Callable[[Flask], str],
        store: Store | None = None,
        rsa_public_key: str | None = None,
        **config: Any,
    ) -> Provider:
        """:func:`create_app` served by ``serve``."""
        app, oauth, store = create_app(store, rsa_public_key, **config)
        return cls(app, oauth, store, serve(app))

    def consent(self, authorization_url: str, allow: bool = True) -> requests.Response:
        """Play the user: open the consent page (it must be there), then allow or deny."""
        page = requests.get(authorization_url, allow_redirects=False, timeout=10)
        assert page.status_code == 200, page.text
        return consent(authorization_url, allow)  # type: ignore[no-any-return]


def add_views(app: Flask, oauth: OAuth1Provider) -> None:
    """The provider's endpoints, an error page and two protected resources on ``app``."""

    @app.route("/oauth/request_token", methods=["GET", "POST"])
    @oauth.request_token_handler
    def request_token() -> dict[str, str]:
        return {}

    @app.route("/oauth/access_token", methods=["GET", "POST"])
    @oauth.access_token_handler
    def access_token() -> dict[str, str]:
        return {}

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    @oauth.authorize_handler
    def authorize(*args: Any, **kwargs: Any) -> Any:
        if request.method == "GET":
            return f"<h1>Allow access to {' '.join(kwargs['realms'])}?</h1>"
        return request.form.get("confirm", "no") == "yes"

    @app.route("/oauth/errors")
    def errors() -> Any:
        return jsonify(error=request.args.get("error")), 400

    @app.route("/api/email", methods=["GET", "POST"])
    @oauth.require_oauth("email")
    def email() -> Any:
        return jsonify(
            user=request.oauth.user.username,
            client=request.oauth.client.client_key,
            realms=request.oauth.realms,
            form=request.form.to_dict(),
        )

    @app.route("/api/profile")
    @oauth.require_oauth("profile")
    def profile() -> Any:
        return jsonify(user=request.oauth.user.username)


# -- signed requests for the app's test client (http://localhost) -------------------------


def signed_headers(path: str, method: str = "GET", **options: Any) -> dict[str, str]:
    """The headers of a request for ``path`` of the app's test client, signed as the test
    client :data:`CLIENT_KEY`; ``options`` go to oauthlib's ``Client`` (``client_key``,
    ``resource_owner_key``, ``callback_uri``, ``nonce``, ``timestamp`` ...)."""
    options = {"client_key": CLIENT_KEY, "client_secret": CLIENT_SECRET, **options}
    _, headers, _ = OAuth1Client(**options).sign("http://localhost" + path, http_method=method)
    return dict(headers)


def request_token_headers(**options: Any) -> dict[str, str]:
    """A signed request for a request token, to come back to :data:`CALLBACK`."""
    return signed_headers("/oauth/request_token", "POST", callback_uri=CALLBACK, **options)


def resource_headers(path: str = "/api/email", **options: Any) -> dict[str, str]:
    """A signed request for a resource with :data:`ACCESS_TOKEN`."""
    options = {
        "resource_owner_key": ACCESS_TOKEN,
        "resource_owner_secret": ACCESS_SECRET,
        **options,
    }
    return signed_headers(path, **options)
