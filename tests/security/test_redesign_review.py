"""What the outside review of the redesign (issue 17) found, each over real HTTP: only a
provider's own check opens a stacked view, features' grant types work like the built-in
ones, the client authentication registry decides for public clients too, the metadata
tells the truth, and bad requests get clean OAuth errors."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from flask import Flask, jsonify, request
from oauth2_app import REDIRECT, Store, Token, create_app
from oauthlib.oauth2 import ClientCredentialsGrant
from oauthlib.oauth2.rfc6749 import errors

from flask_oauthlib_core import RedactingFilter
from flask_oauthlib_provider_oauth2 import (
    DEFAULT_FEATURES,
    Feature,
    OAuth2Provider,
    OAuth2RequestValidator,
    Server,
    rfc6749,
)
from flask_oauthlib_provider_oauth2.clientauth import CLIENT_SECRET_BASIC
from flask_oauthlib_provider_oauth2.rfc8628 import SUPPORTED as DEVICE_SUPPORTED

Serve = Callable[[Flask], str]
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
METADATA = "/.well-known/oauth-authorization-server"


def app_with_token(scopes: list[str], **config: Any) -> tuple[Flask, OAuth2Provider, Store]:
    app, oauth, store = create_app(**config)
    client = store.clients["confidential"]
    store.tokens["tok"] = Token(
        store, "tok", None, "confidential", scopes, None, store.alice, client
    )
    return app, oauth, store


def bearer(token: str = "tok") -> dict[str, str]:
    return {"Authorization": "Bearer " + token}


# -- only this provider's own check opens a stacked view ----------------------------------


def test_request_oauth_set_by_the_app_opens_nothing(serve: Serve) -> None:
    app, oauth, _ = app_with_token(["email"])

    @app.before_request
    def attach() -> None:  # a 0.9.6-era pattern: look at the token before any view
        valid, req = oauth.verify_request([])
        request.oauth = req  # type: ignore[attr-defined]

    url = serve(app)
    assert requests.get(url + "/api/me", timeout=10).status_code == 401
    assert requests.get(url + "/api/me", headers=bearer(), timeout=10).status_code == 200


class Unscoped:
    """A token type that fills in the user and client but no access token object."""

    scheme = "unscoped"

    def validate(self, validator: Any, credentials: str, req: Any, scopes: list[str]) -> bool:
        checked = SimpleNamespace(require_all_scopes=True)
        ok = bool(validator.validate_bearer_token(credentials, scopes, checked))
        for name in ("user", "client", "error_message", "insufficient_scope"):
            setattr(req, name, getattr(checked, name, None))
        return ok


def test_stacked_decorators_check_scopes_whatever_the_token_type(serve: Serve) -> None:
    app, oauth, _ = app_with_token(["email"])
    oauth.protector.register(Unscoped())

    @app.route("/api/admin")
    @oauth.require_oauth("email")
    @oauth.require_oauth("admin")
    def admin() -> Any:
        return jsonify(ok=True)

    url = serve(app)
    for scheme in ("Bearer", "Unscoped"):
        answer = requests.get(
            url + "/api/admin", headers={"Authorization": f"{scheme} tok"}, timeout=10
        )
        assert answer.status_code == 403, (scheme, answer.text)


def test_hooks_run_once_and_see_no_user_from_the_query(serve: Serve) -> None:
    app, oauth, _ = app_with_token(["email", "admin"])
    before: list[int] = []
    seen: list[Any] = []
    oauth.before_request(lambda: before.append(1))

    @oauth.after_request
    def audit(valid: bool, req: Any) -> tuple[bool, Any]:
        seen.append((req.user, req.client, req.access_token))
        return valid, req

    @app.route("/api/admin")
    @oauth.require_oauth("email")
    @oauth.require_oauth("admin")
    def admin() -> Any:
        return jsonify(ok=True)

    url = serve(app)
    assert requests.get(url + "/api/admin", headers=bearer(), timeout=10).status_code == 200
    assert before == [1]
    refused = requests.get(url + "/api/me?user=root&client=x&access_token=y", timeout=10)
    assert refused.status_code == 401
    assert seen[-1] == (None, None, None)


# -- grant types added by features ---------------------------------------------------------


class Exchange(ClientCredentialsGrant):
    """A grant type of our own for authenticated confidential clients."""

    def validate_token_request(self, request: Any) -> None:
        if request.grant_type != EXCHANGE:
            raise errors.UnsupportedGrantTypeError(request=request)
        if not self.request_validator.authenticate_client(request):
            raise errors.InvalidClientError(request=request)
        self.validate_grant_type(request)
        self.validate_scopes(request)


class ExchangeFeature(Feature):
    def install(self, server: Server) -> None:
        server.add_grant_type(EXCHANGE, Exchange(server.request_validator))


def test_a_features_grant_type_works_like_a_built_in_one(serve: Serve) -> None:
    app, oauth, store = create_app()
    oauth.add_feature(ExchangeFeature())
    url = serve(app)
    token = url + "/oauth/token"
    issued = requests.post(
        token, data={"grant_type": EXCHANGE}, auth=("confidential", "s3cret"), timeout=10
    )
    assert issued.status_code == 200, issued.text
    wrong = requests.post(
        token, data={"grant_type": EXCHANGE}, auth=("confidential", "nope"), timeout=10
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    store.clients["confidential"].allowed_grant_types = ["client_credentials"]  # type: ignore[attr-defined]
    refused = requests.post(
        token, data={"grant_type": EXCHANGE}, auth=("confidential", "s3cret"), timeout=10
    )
    assert refused.status_code == 400 and refused.json()["error"] == "unauthorized_client"


def test_a_provider_without_the_code_grant_still_answers(serve: Serve) -> None:
    features = [f for f in DEFAULT_FEATURES if not isinstance(f, rfc6749.AuthorizationCode)]
    store = create_app()[2]
    app = Flask("no_code")
    oauth = OAuth2Provider(app, features=features)
    for name, function in store.functions.items():
        getattr(oauth, name)(function)
    with pytest.raises(LookupError, match="add it first"):
        oauth.endpoint_handler("pushed_authorization")

    @app.route("/oauth/authorize")
    @oauth.authorize_handler
    def authorize(*args: Any, **kwargs: Any) -> bool:
        return True

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def token() -> None:
        return None

    url = serve(app)
    code = requests.get(
        url + f"/oauth/authorize?response_type=code&client_id=confidential&redirect_uri={REDIRECT}",
        allow_redirects=False,
        timeout=10,
    )
    assert code.is_redirect and "error=unsupported_response_type" in code.headers["Location"]
    machine = requests.post(
        url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("machine", "m-secret"),
        timeout=10,
    )
    assert machine.status_code == 200, machine.text
    exchange = requests.post(
        url + "/oauth/token",
        data={"grant_type": "authorization_code", "code": "x"},
        auth=("machine", "m-secret"),
        timeout=10,
    )
    assert exchange.status_code == 400 and exchange.json()["error"] == "unsupported_grant_type"


# -- client authentication ------------------------------------------------------------------


def test_the_registry_decides_for_public_clients_too(serve: Serve) -> None:
    class BasicOnly(OAuth2RequestValidator):
        client_auth_methods = (CLIENT_SECRET_BASIC,)

    app, oauth, store = create_app()
    f = store.functions
    oauth._validator = BasicOnly(
        f["clientgetter"], f["tokengetter"], f["grantgetter"],
        tokensetter=f["tokensetter"], grantsetter=f["grantsetter"],
    )  # fmt: skip
    url = serve(app)
    assert requests.get(url + METADATA, timeout=10).json()[
        "token_endpoint_auth_methods_supported"
    ] == ["client_secret_basic"]
    public = requests.post(
        url + "/oauth/token",
        data={"grant_type": "authorization_code", "code": "x", "client_id": "public"},
        timeout=10,
    )
    assert public.status_code == 401 and public.json()["error"] == "invalid_client"
    both = requests.post(
        url + "/oauth/token",
        data={"grant_type": "client_credentials", "client_secret": "wrong"},
        auth=("machine", "m-secret"),
        timeout=10,
    )
    assert both.status_code == 401 and both.json()["error"] == "invalid_client"
    assert both.headers["WWW-Authenticate"].startswith("Basic ")
    assert both.headers["Content-Type"] == "application/json"


# -- the metadata tells the truth -----------------------------------------------------------


def test_metadata_lists_only_what_the_storage_can_do(serve: Serve) -> None:
    app = Flask("partial")
    oauth = OAuth2Provider(app)
    oauth.clientgetter(lambda client_id: None)
    oauth.tokengetter(lambda access_token=None, refresh_token=None: None)

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    @oauth.authorize_handler
    def authorize(*args: Any, **kwargs: Any) -> Any:
        return True

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def token() -> None:
        return None

    @app.route("/oauth/device", methods=["POST"])
    @oauth.device_authorization_handler if DEVICE_SUPPORTED else (lambda f: f)
    def device() -> None:
        return None

    @app.route(METADATA)
    @oauth.metadata_handler
    def metadata() -> None:
        return None

    url = serve(app)
    document = requests.get(url + METADATA, timeout=10).json()
    assert document["grant_types_supported"] == ["client_credentials", "implicit", "refresh_token"]
    assert document["response_types_supported"] == ["token"]
    assert "device_authorization_endpoint" not in document
    if DEVICE_SUPPORTED:
        device_answer = requests.post(url + "/oauth/device", data={"client_id": "x"}, timeout=10)
        assert device_answer.status_code == 400
        assert device_answer.json()["error"] == "unsupported_grant_type"
    code = requests.get(
        url + f"/oauth/authorize?response_type=code&client_id=x&redirect_uri={REDIRECT}",
        allow_redirects=False,
        timeout=10,
    )
    assert code.status_code in (302, 400) and "500" not in code.text


# -- clean errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Bearer tok tok", "Bearer tok, Basic eDp5", "bearer\ttok x"])
def test_a_malformed_authorization_header_is_invalid_request(serve: Serve, header: str) -> None:
    app, _, _ = app_with_token(["email"])
    answer = requests.get(serve(app) + "/api/me", headers={"Authorization": header}, timeout=10)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_request"
    assert 'error="invalid_request"' in answer.headers["WWW-Authenticate"]


def test_a_token_in_the_header_and_the_query_is_refused(serve: Serve) -> None:
    app, _, _ = app_with_token(["email"], OAUTH2_PROVIDER_ALLOW_TOKEN_IN_QUERY=True)
    url = serve(app)
    assert requests.get(url + "/api/me?access_token=tok", timeout=10).status_code == 200
    both = requests.get(url + "/api/me?access_token=tok", headers=bearer(), timeout=10)
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"


def test_revocation_and_introspection_take_no_query(serve: Serve) -> None:
    app, oauth, store = app_with_token(["email"])

    @app.route("/oauth/introspect-any", methods=["GET", "POST"])
    @oauth.introspect_handler
    def introspect_any() -> None:
        return None

    @app.route("/oauth/revoke-any", methods=["GET", "POST"])
    @oauth.revoke_handler
    def revoke_any() -> None:
        return None

    url = serve(app)
    auth = ("confidential", "s3cret")
    for path in ("/oauth/introspect-any", "/oauth/revoke-any"):
        answer = requests.get(url + path + "?token=tok", auth=auth, timeout=10)
        assert answer.status_code == 400, (path, answer.text)
        assert answer.headers["Content-Type"] == "application/json"
    assert not store.tokens["tok"].revoked


# -- 0.9.6 API ------------------------------------------------------------------------------


def test_096_validators_and_assigned_servers_work(serve: Serve) -> None:
    app, oauth, store = app_with_token(["email"])
    f = store.functions

    class Old(OAuth2RequestValidator):
        def __init__(self, clientgetter: Any, tokengetter: Any, grantgetter: Any) -> None:
            self._clientgetter = clientgetter  # no super().__init__(), as some did
            self._tokengetter = tokengetter
            self._grantgetter = grantgetter

    oauth._validator = Old(f["clientgetter"], f["tokengetter"], f["grantgetter"])
    url = serve(app)
    assert requests.get(url + "/api/me", headers=bearer(), timeout=10).status_code == 200
    with app.app_context():
        server = Server(oauth.server.request_validator)
    oauth.server = server
    with app.app_context():
        assert oauth.server is server
    oauth.error_uri = "/elsewhere"
    assert oauth.error_uri == "/elsewhere"


# -- logging --------------------------------------------------------------------------------


def test_loggers_of_modules_imported_later_are_redacted() -> None:
    name = "requests_oauthlib.compliance_fixes.fitbit"
    sys.modules.pop(name, None)
    logging.Logger.manager.loggerDict.pop(name, None)
    create_app()  # init_app installs the filter
    __import__(name)
    assert any(isinstance(f, RedactingFilter) for f in logging.getLogger(name).filters)


# -- the device flow records the client oauthlib authenticated ------------------------------


@pytest.mark.skipif(not DEVICE_SUPPORTED, reason="the device flow needs oauthlib >= 4.0")
@pytest.mark.parametrize(
    "how",
    [
        {"params": {"client_id": "public"}, "data": {"scope": "email"}},
        {"data": {"scope": "email"}, "auth": ("confidential", "s3cret")},
    ],
    ids=["client_id in the query", "HTTP Basic only"],
)
def test_device_authorizations_name_the_authenticated_client(
    serve: Serve, how: dict[str, Any]
) -> None:
    from test_device import device_app

    url, devices, _ = device_app(serve)
    start = requests.post(url + "/oauth/device", timeout=10, **how)
    assert start.status_code == 200, start.text
    client_id = how["params"]["client_id"] if "params" in how else how["auth"][0]
    assert devices[start.json()["device_code"]].client_id == client_id
    refused = requests.post(url + "/oauth/device", data={"client_id": "nobody"}, timeout=10)
    assert refused.status_code in (400, 401)
    assert refused.headers["Content-Type"] == "application/json"


# -- OAuth 1: a validator assigned without a config enforces each app's settings -------------


def test_an_assigned_oauth1_validator_enforces_each_apps_settings() -> None:
    from oauth1_app import add_views, validator_for
    from oauth1_app import create_app as create_oauth1_app
    from test_provider_state import ask_request_token

    first, oauth, store = create_oauth1_app()
    second = Flask("second")
    second.config.update(
        OAUTH1_PROVIDER_ENFORCE_SSL=False,
        OAUTH1_PROVIDER_SIGNATURE_METHODS=["PLAINTEXT"],
        OAUTH1_PROVIDER_REALMS=["email"],
    )
    oauth.init_app(second)
    add_views(second, oauth)
    oauth._validator = validator_for(store)  # shared, and given no config
    for _ in range(2):
        assert ask_request_token(second, "PLAINTEXT") == 200
        assert ask_request_token(second, "HMAC-SHA1") == 400
        assert ask_request_token(first, "PLAINTEXT") == 400
        assert ask_request_token(first, "HMAC-SHA1") == 200
