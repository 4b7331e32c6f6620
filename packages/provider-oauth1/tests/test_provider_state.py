"""What the provider builds per app: the server and the settings, built on first use and
again after a registration, kept apart for each app, refused on an app without init_app.

Everything here goes through public means: decorators, ``oauth._validator`` (the 0.9.6
way to replace the validator), ``oauth.settings``/``oauth.server`` and real requests.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from oauth1_app import (
    Store,
    add_views,
    create_app,
    request_token_headers,
    resource_headers,
    validator_for,
)

from flask_oauthlib_provider_oauth1 import DEFAULTS, OAuth1RequestValidator, OAuth1Settings


def provider_with_token(**config: Any) -> tuple[Flask, Any, Store]:
    app, oauth, store = create_app(**config)
    store.add_access_token()
    return app, oauth, store


def get_email(app: Flask) -> int:
    """A correctly signed request (a fresh nonce each time) for the ``email`` resource."""
    return app.test_client().get("/api/email", headers=resource_headers()).status_code


def ask_request_token(app: Flask, method: str = "HMAC-SHA1") -> int:
    headers = request_token_headers(signature_method=method)
    return app.test_client().post("/oauth/request_token", headers=headers).status_code


def test_a_getter_registered_after_a_request_is_used_by_the_next() -> None:
    app, oauth, _ = provider_with_token()
    assert get_email(app) == 200

    @oauth.tokengetter
    def revoked(client_key: str, token: str) -> None:
        return None

    assert get_email(app) == 401


def test_a_validator_assigned_after_a_request_is_used_by_the_next() -> None:
    class NoRealms(OAuth1RequestValidator):
        def validate_realms(self, *args: Any, **kwargs: Any) -> bool:
            return False

    app, oauth, store = provider_with_token()
    assert get_email(app) == 200
    oauth._validator = validator_for(store, NoRealms, app.config)
    assert get_email(app) == 401
    oauth._validator = None  # back to the registered functions
    assert get_email(app) == 200


def test_a_hook_registered_after_a_request_runs_on_the_next() -> None:
    app, oauth, _ = provider_with_token()
    assert get_email(app) == 200
    oauth.before_request(lambda: ("closed", 503))
    assert get_email(app) == 503


def test_an_app_without_init_app_gets_an_error_naming_it() -> None:
    _, oauth, _ = create_app()
    other = Flask("other")
    other.testing = True

    @other.route("/api")
    @oauth.require_oauth("email")
    def api() -> str:
        return "never"

    with other.app_context():
        with pytest.raises(RuntimeError, match=r"init_app\(app\)") as info:
            oauth.server  # noqa: B018
        assert "'other'" in str(info.value)
        with pytest.raises(RuntimeError, match="init_app"):
            oauth.settings  # noqa: B018
    with pytest.raises(RuntimeError, match="init_app"):
        other.test_client().get("/api", headers={"Authorization": "OAuth x"})


def test_one_provider_keeps_the_settings_of_two_apps_apart() -> None:
    first, oauth, _ = create_app()
    second = Flask("second")
    second.config.update(
        OAUTH1_PROVIDER_ENFORCE_SSL=False,
        OAUTH1_PROVIDER_SIGNATURE_METHODS=["PLAINTEXT"],
        OAUTH1_PROVIDER_REALMS=["email"],
        OAUTH1_PROVIDER_TIMESTAMP_SKEW=5,
    )
    oauth.init_app(second)
    add_views(second, oauth)
    for _ in range(2):  # each app twice, in turn: nothing leaks from one to the other
        assert ask_request_token(second, "PLAINTEXT") == 200
        assert ask_request_token(second, "HMAC-SHA1") == 400
        assert ask_request_token(first, "PLAINTEXT") == 400
        assert ask_request_token(first, "HMAC-SHA1") == 200
    with first.app_context():
        assert oauth.settings.signature_methods == DEFAULTS["OAUTH1_PROVIDER_SIGNATURE_METHODS"]
        assert oauth.settings.realms == ("email", "profile")
        first_server = oauth.server
    with second.app_context():
        assert oauth.settings.signature_methods == ("PLAINTEXT",)
        assert oauth.settings.timestamp_skew == 5
        assert oauth.server is not first_server
        assert oauth.server.request_validator.realms == ["email"]


def test_settings_are_read_once_per_app() -> None:
    app, oauth, _ = create_app()
    assert ask_request_token(app, "PLAINTEXT") == 400
    app.config["OAUTH1_PROVIDER_SIGNATURE_METHODS"] = ["PLAINTEXT"]  # too late
    assert ask_request_token(app, "PLAINTEXT") == 400
    with app.app_context():
        assert "PLAINTEXT" not in oauth.settings.signature_methods


def test_settings_and_server_outside_an_app_context() -> None:
    """As in 0.9.6: the app last initialised."""
    app, oauth, _ = create_app(OAUTH1_PROVIDER_TIMESTAMP_WINDOW=30)
    assert oauth.settings.timestamp_window == 30
    assert oauth.server.request_validator.timestamp_lifetime == 30
    assert oauth.error_uri == "/oauth/errors"


def test_settings_from_config() -> None:
    assert (
        OAuth1Settings.from_config({}) == OAuth1Settings() == OAuth1Settings.from_config(DEFAULTS)
    )
    settings = OAuth1Settings.from_config(
        {
            "OAUTH1_PROVIDER_SIGNATURE_METHODS": "HMAC-SHA256",
            "OAUTH1_PROVIDER_REALMS": ["a", "b"],
            "OAUTH1_PROVIDER_KEY_LENGTH": [10, 40],
            "OAUTH1_PROVIDER_CSRF_REQUIRED": 1,
        }
    )
    assert settings.signature_methods == ("HMAC-SHA256",)
    assert settings.realms == ("a", "b") and settings.key_length == (10, 40)
    assert settings.csrf_required is True
    with pytest.raises(ValueError, match="OAUTH1_PROVIDER_TIMESTAMP_WINDOW"):
        OAuth1Settings.from_config({"OAUTH1_PROVIDER_TIMESTAMP_WINDOW": "ten minutes"})
    with pytest.raises(ValueError, match="OAUTH1_PROVIDER_KEY_LENGTH"):
        OAuth1Settings.from_config({"OAUTH1_PROVIDER_KEY_LENGTH": 20})


def test_a_bad_setting_is_an_error_naming_the_key() -> None:
    app, oauth, _ = create_app(OAUTH1_PROVIDER_TIMESTAMP_SKEW=None)
    with app.app_context(), pytest.raises(ValueError, match="OAUTH1_PROVIDER_TIMESTAMP_SKEW"):
        oauth.server  # noqa: B018


def test_a_validator_reads_a_mapping_once_on_first_use() -> None:
    """0.9.6 code builds the validator with ``config=app.config``, maybe before the app's
    config is loaded: what counts is the config when the validator is first used."""
    config: dict[str, Any] = {"OAUTH1_PROVIDER_ENFORCE_SSL": False}
    validator = OAuth1RequestValidator(*([lambda **kw: None] * 9), config=config)
    config.update(OAUTH1_PROVIDER_ENFORCE_SSL=True, OAUTH1_PROVIDER_TIMESTAMP_SKEW=7)
    assert validator.enforce_ssl is True and validator.timestamp_skew == 7
    config["OAUTH1_PROVIDER_ENFORCE_SSL"] = False
    assert validator.enforce_ssl is True
    settings = OAuth1Settings(realms=("email",))
    given = OAuth1RequestValidator(*([lambda **kw: None] * 9), config=settings)
    assert given.settings is settings and given.realms == ["email"]


def test_a_subclass_overriding_server_serves_protected_resources() -> None:
    """``require_oauth`` goes through ``oauth.server``, as the token endpoints do, so a
    subclass wrapping it (auditing, a custom server) sees resource requests too."""
    from oauth1_app import storage_functions

    from flask_oauthlib_provider_oauth1 import OAuth1Provider

    used: list[str] = []

    class Audited(OAuth1Provider):
        @property
        def server(self) -> Any:
            used.append("server")
            return super().server

    store = Store()
    app, _, _ = create_app(store)  # the clients of the test store
    audited_app = Flask("audited")
    audited_app.config.update(app.config)
    oauth = Audited(audited_app)
    for name, function in storage_functions(store).items():
        getattr(oauth, name)(function)
    add_views(audited_app, oauth)
    store.add_access_token()
    assert get_email(audited_app) == 200
    assert used
