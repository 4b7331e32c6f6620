"""The OAuth registry, lazy settings from app config, and response parsing."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from flask import Flask

from flask_oauthlib_client import (
    MissingSetting,
    OAuth,
    OAuthException,
    OAuthRemoteApp,
    OAuthResponse,
    encode_request_data,
    parse_response,
)


def test_init_app_later_and_attribute_access() -> None:
    oauth = OAuth()
    remote = oauth.remote_app("dev", consumer_key="k", authorize_url="https://a/authorize")
    assert oauth.dev is remote and oauth.remote_apps == {"dev": remote}
    with pytest.raises(AttributeError):
        oauth.missing  # noqa: B018
    unregistered = oauth.remote_app("tmp", register=False, consumer_key="k")
    assert isinstance(unregistered, OAuthRemoteApp) and "tmp" not in oauth.remote_apps
    assert oauth.app is None
    app = Flask("late")
    oauth.init_app(app)
    assert app.extensions["oauthlib.client"] is oauth and oauth.app is app


def test_two_apps_do_not_share_state() -> None:
    oauth = OAuth()
    one, two = Flask("one"), Flask("two")
    oauth.init_app(one)
    oauth.init_app(two)
    assert one.extensions["oauthlib.client"] is two.extensions["oauthlib.client"] is oauth
    assert one.extensions["oauthlib.client.http"] is not two.extensions["oauthlib.client.http"]


def test_a_second_registry_on_one_app_is_refused() -> None:
    app = Flask("dup")
    OAuth(app)
    with pytest.raises(RuntimeError, match="already registered"):
        OAuth(app)


def test_requests_outside_an_initialised_app_explain_init_app() -> None:
    oauth = OAuth()
    remote = oauth.remote_app("dev", consumer_key="k", base_url="http://127.0.0.1:9/")
    with Flask("bare").test_request_context(), pytest.raises(RuntimeError, match="init_app"):
        remote.get("me", token="t")


@pytest.mark.parametrize("style", ["dict", "flat"])
def test_settings_are_read_lazily_from_app_config(style: str) -> None:
    oauth = OAuth()
    remote = oauth.remote_app("gh", app_key="GITHUB", request_token_params={"scope": "x"})
    app = Flask("factory")
    oauth.init_app(app)
    settings = {
        "consumer_key": "key",
        "consumer_secret": "secret",
        "authorize_url": "https://gh/authorize",
        "access_token_url": "https://gh/token",
        "access_token_method": "post",
        "base_url": "https://api.gh/",
    }
    if style == "dict":
        app.config["GITHUB"] = settings
    else:
        app.config.update({f"GITHUB_{k.upper()}": v for k, v in settings.items()})
    with app.app_context():
        assert remote.consumer_key == "key"
        assert remote.access_token_method == "POST"
        assert remote.request_token_params == {"scope": "x"}
        assert remote.expand_url("user") == "https://api.gh/user"
        assert remote.expand_url("https://other/x") == "https://other/x"
        assert remote.request_token_url is None
        assert remote.pkce is True and remote.enforce_state is True and remote.timeout == 10


def test_missing_setting_names_the_keys() -> None:
    app = Flask("missing")
    oauth = OAuth(app)
    remote = oauth.remote_app("gh", app_key="GITHUB")
    with app.test_request_context(), pytest.raises(MissingSetting) as info:
        remote.authorize(callback="http://localhost/cb")
    message = str(info.value)
    assert "'consumer_key'" in message and "GITHUB_CONSUMER_KEY" in message
    assert isinstance(info.value, KeyError)


def test_oauth2_authorize_needs_a_callback() -> None:
    app = Flask("cb")
    oauth = OAuth(app)
    remote = oauth.remote_app("dev", consumer_key="k", authorize_url="https://a/authorize")
    with app.test_request_context(), pytest.raises(ValueError, match="callback"):
        remote.authorize()


def fake_response(content_type: str | None) -> requests.Response:
    resp = requests.Response()
    resp.status_code = 201
    if content_type:
        resp.headers["Content-Type"] = content_type
    return resp


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("application/json", b'{"a": 1}', {"a": 1}),
        ("text/javascript; charset=utf-8", b'{"a": 1}', {"a": 1}),
        ("application/json", b"", {}),
        (None, b'{"a": 1}', {"a": 1}),
        ("application/x-www-form-urlencoded", b"a=1&b=", {"a": "1", "b": ""}),
        ("text/plain", b"a=1", {"a": "1"}),
    ],
)
def test_parse_response(content_type: str | None, body: bytes, expected: Any) -> None:
    assert parse_response(fake_response(content_type), body) == expected


def test_parse_response_strict_and_xml() -> None:
    assert parse_response(fake_response("text/plain"), b"a=1", strict=True) == "a=1"
    element = parse_response(fake_response("text/xml"), b"<user><name>al</name></user>")
    assert element.find("name").text == "al"
    with pytest.raises(ValueError):
        parse_response(fake_response("application/json"), b"{bad")


def test_oauth_response() -> None:
    resp = OAuthResponse(fake_response("application/json"), b'{"x": 1}')
    assert resp.status == 201 and resp.data == {"x": 1} and resp.raw == b'{"x": 1}'
    assert resp.raw_data == resp.raw and resp.headers["content-type"] == "application/json"
    broken = OAuthResponse(fake_response("application/json"), b"{bad")
    assert broken.data == "{bad"


def test_oauth_exception() -> None:
    exc = OAuthException("boom", type="invalid_response", data={"error": "x"})
    assert str(exc) == "boom" and exc.message == "boom" and exc.type == "invalid_response"
    assert exc.data == {"error": "x"} and "invalid_response" in repr(exc)
    assert OAuthException("plain").type is None


def test_encode_request_data() -> None:
    assert encode_request_data({"a": 1}, "json") == ('{"a": 1}', "application/json")
    assert encode_request_data({"a": [1, 2]}, "urlencoded")[0] == "a=1&a=2"
    with pytest.raises(ValueError):
        encode_request_data({}, "xml")


def test_callback_behind_a_tls_terminating_proxy() -> None:
    from urllib.parse import parse_qs, urlsplit

    from flask import url_for
    from werkzeug.middleware.proxy_fix import ProxyFix

    app = Flask("proxied")
    app.secret_key = "k"
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)  # type: ignore[method-assign]
    remote = OAuth(app).remote_app("dev", consumer_key="k", authorize_url="https://idp/authorize")

    @app.route("/login")
    def login() -> object:
        return remote.authorize(callback=url_for("authorized", _external=True))

    @app.route("/authorized")
    def authorized() -> str:
        return ""

    resp = app.test_client().get(
        "/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example"}
    )
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query["redirect_uri"] == ["https://app.example/authorized"]
