"""The extension points: features, the client authentication registry, the resource
protector's token types, and per-app settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import requests
from flask import jsonify, request
from oauth2_app import Provider, token_request
from oauthlib.oauth2 import ClientCredentialsGrant
from oauthlib.oauth2.rfc6749 import errors

from flask_oauthlib_provider_oauth2 import (
    DEFAULT_FEATURES,
    BearerRequest,
    Feature,
    OAuth2RequestValidator,
    OAuth2Settings,
    ProtectedRequest,
    Server,
)
from flask_oauthlib_provider_oauth2.clientauth import CLIENT_SECRET_POST, NONE
from flask_oauthlib_provider_oauth2.rfc8628 import DeviceFlow

METADATA = "/.well-known/oauth-authorization-server"
MACHINE_GRANT = "urn:example:params:oauth:grant-type:machine"


class Echo(Feature):
    """An endpoint of our own: answers the form it was sent, as JSON."""

    endpoints: ClassVar[Mapping[str, str]] = {"echo": "echo_endpoint"}

    def endpoint(self, kind: str, server: Server, view_result: Any) -> Any:
        def create(uri: str, method: str, body: str | None, headers: dict[str, str]) -> Any:
            answer = {"body": body, "view": view_result, "kind": kind}
            return {"Content-Type": "application/json"}, jsonify(answer).get_data(True), 200

        return create

    def metadata(self, server: Server, urls: Mapping[str, str]) -> dict[str, Any]:
        return {"echo_supported": "echo_endpoint" in urls}


class MachineCredentials(ClientCredentialsGrant):
    """A token for an authenticated confidential client, under a URN of our own."""

    def validate_token_request(self, request: Any) -> None:
        if request.grant_type != MACHINE_GRANT:
            raise errors.UnsupportedGrantTypeError(request=request)
        if not self.request_validator.authenticate_client(request):
            raise errors.InvalidClientError(request=request)
        self.validate_grant_type(request)
        self.validate_scopes(request)


class MachineGrant(Feature):
    """A grant type of our own."""

    def install(self, server: Server) -> None:
        server.add_grant_type(MACHINE_GRANT, MachineCredentials(server.request_validator))


def test_a_feature_adds_an_endpoint_and_its_metadata(make_provider: Any) -> None:
    provider: Provider = make_provider()
    provider.oauth.add_feature(Echo())

    @provider.app.route("/oauth/echo", methods=["POST"])
    @provider.oauth.endpoint_handler("echo")
    def echo() -> str:
        return "from the view"

    answer = requests.post(provider.url + "/oauth/echo", data={"a": "1"}, timeout=10)
    assert answer.json() == {"body": "a=1", "view": "from the view", "kind": "echo"}
    assert answer.headers["Cache-Control"] == "no-store"
    document = requests.get(provider.url + METADATA, timeout=10).json()
    assert document["echo_endpoint"] == provider.url + "/oauth/echo"
    assert document["echo_supported"] is True


def test_a_feature_adds_a_grant_type(make_provider: Any) -> None:
    provider: Provider = make_provider()
    token_url = provider.url + "/oauth/token"
    before = requests.post(
        token_url, data={"grant_type": MACHINE_GRANT}, auth=("machine", "m-secret"), timeout=10
    )
    assert before.status_code == 400 and before.json()["error"] == "unsupported_grant_type"
    provider.oauth.add_feature(MachineGrant())
    issued = requests.post(
        token_url, data={"grant_type": MACHINE_GRANT}, auth=("machine", "m-secret"), timeout=10
    )
    assert issued.status_code == 200, issued.text
    assert provider.store.tokens[issued.json()["access_token"]].client_id == "machine"
    document = requests.get(provider.url + METADATA, timeout=10).json()
    assert MACHINE_GRANT in document["grant_types_supported"]


def test_the_device_flow_is_one_feature(make_provider: Any) -> None:
    provider: Provider = make_provider()
    assert any(isinstance(feature, DeviceFlow) for feature in provider.oauth.features)
    without = [f for f in DEFAULT_FEATURES if not isinstance(f, DeviceFlow)]
    with provider.app.app_context():
        server = Server(provider.oauth.server.request_validator, features=without)
    assert all(isinstance(f, Feature) for f in server.features)
    assert "urn:ietf:params:oauth:grant-type:device_code" not in server.grant_types


def test_client_authentication_methods_are_one_registry(make_provider: Any) -> None:
    class PostOnly(OAuth2RequestValidator):
        client_auth_methods = (CLIENT_SECRET_POST, NONE)

    provider: Provider = make_provider()
    functions = provider.store.functions
    provider.oauth._validator = PostOnly(
        functions["clientgetter"], functions["tokengetter"], functions["grantgetter"],
        tokensetter=functions["tokensetter"], grantsetter=functions["grantsetter"],
    )  # fmt: skip
    document = requests.get(provider.url + METADATA, timeout=10).json()
    assert document["token_endpoint_auth_methods_supported"] == ["client_secret_post", "none"]
    assert document["introspection_endpoint_auth_methods_supported"] == ["client_secret_post"]
    token_url = provider.url + "/oauth/token"
    by_basic = requests.post(
        token_url,
        data={"grant_type": "client_credentials"},
        auth=("machine", "m-secret"),
        timeout=10,
    )
    assert by_basic.status_code == 401 and by_basic.json()["error"] == "invalid_client"
    by_post = requests.post(
        token_url,
        data={
            "grant_type": "client_credentials",
            "client_id": "machine",
            "client_secret": "m-secret",
        },
        timeout=10,
    )
    assert by_post.status_code == 200, by_post.text


class Signed:
    """A token type of our own: ``Authorization: Signed <token>``."""

    scheme = "signed"

    def validate(
        self, validator: Any, credentials: str, req: ProtectedRequest, scopes: list[str]
    ) -> bool:
        if not credentials.startswith("ok."):
            req.error_message = "The signature does not match."
            return False
        return bool(validator.validate_bearer_token(credentials[3:], scopes, req))


def test_the_resource_protector_takes_more_token_types(make_provider: Any) -> None:
    provider: Provider = make_provider()
    provider.oauth.protector.register(Signed())
    token = token_request(provider.url, "machine", grant_type="client_credentials").json()[
        "access_token"
    ]
    me = provider.url + "/api/me"
    signed = requests.get(me, headers={"Authorization": "Signed ok." + token}, timeout=10)
    assert signed.status_code == 200 and signed.json()["client"] == "machine"
    forged = requests.get(me, headers={"Authorization": "Signed no." + token}, timeout=10)
    assert forged.status_code == 401
    assert forged.json()["error_description"] == "The signature does not match."
    bearer = requests.get(me, headers={"Authorization": "Bearer " + token}, timeout=10)
    assert bearer.status_code == 200


def test_settings_are_resolved_once_per_app(make_provider: Any) -> None:
    provider: Provider = make_provider(OAUTH2_PROVIDER_TOKEN_EXPIRES_IN=120)
    app, oauth = provider.app, provider.oauth
    with app.app_context():
        settings = oauth.settings
        assert isinstance(settings, OAuth2Settings) and settings.token_expires_in == 120
        app.config["OAUTH2_PROVIDER_TOKEN_EXPIRES_IN"] = 60
        assert oauth.settings is settings
        assert oauth.server.settings is settings
    # registering a storage function again builds both anew, from the config then
    oauth.tokengetter(provider.store.functions["tokengetter"])
    with app.app_context():
        assert oauth.settings.token_expires_in == 60
        assert oauth.server.settings is oauth.settings


def test_request_oauth_is_completed_from_flask_only_when_read(make_provider: Any) -> None:
    provider: Provider = make_provider()
    seen: dict[str, Any] = {}

    @provider.oauth.after_request
    def audit(valid: bool, req: BearerRequest) -> tuple[bool, BearerRequest]:
        seen["before"] = "uri" in vars(req)
        seen["state"] = req.state  # an oauthlib parameter: completes the request
        seen["after"] = "uri" in vars(req)
        return valid, req

    @provider.app.route("/api/plain")
    @provider.oauth.require_oauth()
    def plain() -> Any:
        return jsonify(user=request.oauth.user)

    requests.get(provider.url + "/api/plain?state=xyz", timeout=10)
    assert seen == {"before": False, "state": "xyz", "after": True}
