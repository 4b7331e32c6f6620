"""flask_oauthlib.client as 0.9.6 apps and their test suites use it, beyond the documented API.

The patterns are 0.9.6's own: ``app.extensions['oauthlib.client']`` holding the ``OAuth``
object, settings read with no app context, ``OAuthRemoteApp.http_request`` patched with
canned ``(resp, content)`` pairs to drive a whole login with no network, the module
helpers. What 1.0 added stays on: the canned flows go through ``state``, PKCE and
``POST`` token requests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, has_app_context, jsonify, request, session, url_for
from oauthlib.oauth1 import SIGNATURE_RSA

from flask_oauthlib.client import (
    OAuth,
    OAuthException,
    OAuthRemoteApp,
    OAuthResponse,
    encode_request_data,
    get_etree,
    parse_response,
    prepare_request,
)


class Response:
    """The stand-in response 0.9.6's own tests used: ``code`` from a headers dict."""

    def __init__(self, content: Any, headers: dict[str, Any] | None = None) -> None:
        self.content = content
        self.headers = headers or {}

    @property
    def code(self) -> int:
        return int(self.headers.get("status-code", 500))

    @property
    def status_code(self) -> int:
        return self.code

    def read(self) -> Any:
        return self.content

    def close(self) -> Response:
        return self


JSON_OK = {"status-code": 200, "content-type": "application/json"}
FORM_OK = {"status-code": 200, "content-type": "application/x-www-form-urlencoded"}


def create_client(app: Flask) -> OAuth:
    """0.9.6's tests/oauth2/client.py, abridged: a ``dev`` remote and its views."""
    oauth = OAuth(app)
    remote = oauth.remote_app(
        "dev",
        consumer_key="dev",
        consumer_secret="dev",
        request_token_params={"scope": "email"},
        base_url="http://127.0.0.1:5000/api/",
        request_token_url=None,
        access_token_method="POST",
        access_token_url="http://127.0.0.1:5000/oauth/token",
        authorize_url="http://127.0.0.1:5000/oauth/authorize",
    )

    @app.route("/login")
    def login() -> Any:
        return remote.authorize(callback=url_for("authorized", _external=True))

    @app.route("/authorized")
    def authorized() -> Any:
        resp = remote.authorized_response()
        if resp is None:
            return f"Access denied: error={request.args['error']}"
        if isinstance(resp, dict) and "access_token" in resp:
            session["dev_token"] = (resp["access_token"], "")
            return jsonify(resp)
        return str(resp)

    @app.route("/address")
    def address() -> Any:
        resp = remote.get("address/hangzhou")
        return jsonify(resp.data), resp.status

    @app.route("/method/<name>")
    def method(name: str) -> Any:
        func = getattr(remote, name)
        return func("method").raw_data

    @remote.tokengetter
    def get_oauth_token() -> Any:
        return session.get("dev_token")

    return oauth


@pytest.fixture
def app() -> Flask:
    app = Flask("client_096")
    app.secret_key = "development"
    return app


# -- the extension object ----------------------------------------------------------------------


def test_app_extension_is_the_oauth_object(app: Flask) -> None:
    oauth = create_client(app)
    client = app.extensions["oauthlib.client"]
    assert client is oauth and client.app is app
    assert client.dev.name == "dev"
    assert client.remote_apps["dev"] is client.dev
    assert sorted(client.remote_apps) == ["dev"]


def test_raise_app(app: Flask) -> None:
    create_client(app)
    client = app.extensions["oauthlib.client"]
    with pytest.raises(AttributeError):
        client.demo  # noqa: B018


def test_app_is_none_until_init_app() -> None:
    oauth = OAuth()
    assert oauth.app is None
    app = Flask("late")
    oauth.init_app(app)
    assert oauth.app is app and app.extensions["oauthlib.client"] is oauth


# -- construction and settings -----------------------------------------------------------------


def test_raise_init() -> None:
    with pytest.raises(TypeError):
        OAuthRemoteApp("oauth", "twitter")  # type: ignore[arg-type]


def test_not_raise_init() -> None:
    OAuthRemoteApp("oauth", "twitter", app_key="foo")  # type: ignore[arg-type]
    OAuthRemoteApp("oauth", "twitter", consumer_key="key")  # type: ignore[arg-type]


#: every setting 0.9.6 declared as ``@cached_property``
CACHED_PROPERTIES = {
    "base_url": "https://api.twitter.com/1.1/",
    "request_token_url": "request url",
    "access_token_url": "token url",
    "authorize_url": "auth url",
    "consumer_key": "twitter key",
    "consumer_secret": "twitter secret",
    "rsa_key": "rsa key",
    "signature_method": "RSA-SHA1",
    "request_token_params": {"realms": "email"},
    "request_token_method": "POST",
    "access_token_params": {"x": "1"},
    "access_token_method": "POST",
    "content_type": "application/json",
}


def test_lazy_load() -> None:
    oauth = OAuth()
    twitter = oauth.remote_app("twitter", base_url="https://api.twitter.com/1/", app_key="twitter")
    assert twitter.base_url == "https://api.twitter.com/1/"

    app = Flask(__name__)
    app.config.update(
        {
            "twitter": dict(
                request_token_params={"realms": "email"},
                consumer_key="twitter key",
                consumer_secret="twitter secret",
                request_token_url="request url",
                access_token_url="token url",
                authorize_url="auth url",
            )
        }
    )
    oauth.init_app(app)
    assert not has_app_context()
    assert twitter.consumer_key == "twitter key"
    assert twitter.consumer_secret == "twitter secret"
    assert twitter.request_token_url == "request url"
    assert twitter.access_token_url == "token url"
    assert twitter.authorize_url == "auth url"
    assert twitter.content_type is None
    assert "realms" in twitter.request_token_params


def test_lazy_load_with_plain_text_config() -> None:
    oauth = OAuth()
    twitter = oauth.remote_app("twitter", app_key="TWITTER")

    app = Flask(__name__)
    app.config["TWITTER_CONSUMER_KEY"] = "twitter key"
    app.config["TWITTER_CONSUMER_SECRET"] = "twitter secret"
    app.config["TWITTER_REQUEST_TOKEN_URL"] = "request url"
    app.config["TWITTER_ACCESS_TOKEN_URL"] = "token url"
    app.config["TWITTER_AUTHORIZE_URL"] = "auth url"

    oauth.init_app(app)

    assert twitter.consumer_key == "twitter key"
    assert twitter.consumer_secret == "twitter secret"
    assert twitter.request_token_url == "request url"
    assert twitter.access_token_url == "token url"
    assert twitter.authorize_url == "auth url"


@pytest.mark.parametrize("style", ["dict", "flat"])
def test_every_cached_property_reads_the_config_without_a_context(style: str) -> None:
    oauth = OAuth()
    remote = oauth.remote_app("twitter", app_key="TWITTER")
    app = Flask("lazy")
    if style == "dict":
        app.config["TWITTER"] = dict(CACHED_PROPERTIES)
    else:
        app.config.update({f"TWITTER_{k.upper()}": v for k, v in CACHED_PROPERTIES.items()})
    oauth.init_app(app)
    assert not has_app_context()
    for name, value in CACHED_PROPERTIES.items():
        assert getattr(remote, name) == value, name


def test_settings_given_directly_need_no_app_at_all() -> None:
    remote = OAuth().remote_app("twitter", **CACHED_PROPERTIES)  # type: ignore[arg-type]
    for name, value in CACHED_PROPERTIES.items():
        assert getattr(remote, name) == value, name


def test_several_apps_sharing_one_oauth_read_the_current_app() -> None:
    oauth = OAuth()
    remote = oauth.remote_app("gh", app_key="GH")
    one, two = Flask("one"), Flask("two")
    one.config["GH_CONSUMER_KEY"], two.config["GH_CONSUMER_KEY"] = "key-one", "key-two"
    oauth.init_app(one)
    oauth.init_app(two)
    with one.app_context():
        assert remote.consumer_key == "key-one"
    with two.app_context():
        assert remote.consumer_key == "key-two"
    assert remote.consumer_key == "key-two"  # no context: the app bound last, as in 0.9.6


def test_settings_can_be_assigned_and_deleted_like_cached_properties() -> None:
    oauth = OAuth()
    remote = oauth.remote_app("gh", app_key="GH", base_url="https://given/")
    app = Flask("assign")
    app.config["GH_CONSUMER_KEY"] = "from-config"
    oauth.init_app(app)
    remote.consumer_key = "assigned"
    remote.base_url = "https://assigned/"
    assert (remote.consumer_key, remote.base_url) == ("assigned", "https://assigned/")
    del remote.consumer_key, remote.base_url
    assert (remote.consumer_key, remote.base_url) == ("from-config", "https://given/")
    app.config["GH_REQUEST_TOKEN_PARAMS"] = params = {}
    remote.request_token_params["scope"] = "email"  # changed in place, as 0.9.6 allowed
    assert params == {"scope": "email"} and remote.request_token_params is params


# -- oauthlib clients --------------------------------------------------------------------------


def test_token_types() -> None:
    oauth = OAuth()
    remote = oauth.remote_app("remote", consumer_key="remote key", consumer_secret="remote secret")

    client_token = {"access_token": "access token"}
    str_token = "access token"
    list_token = ["access token"]
    tuple_token = ("access token",)

    assert remote.make_client(token=str_token).token == client_token
    assert remote.make_client(token=list_token).token == client_token
    assert remote.make_client(token=tuple_token).token == client_token
    assert remote.make_client(token=client_token).token == client_token


def test_get_oauth1_client_params() -> None:
    oauth = OAuth()
    remote = oauth.remote_app(
        "twitter",
        base_url="https://api.twitter.com/1.1/",
        request_token_url="https://api.twitter.com/oauth/request_token",
        access_token_url="https://api.twitter.com/oauth/access_token",
        authorize_url="https://api.twitter.com/oauth/authenticate",
        consumer_key="twitter key",
        consumer_secret="twitter secret",
        signature_method=SIGNATURE_RSA,
        rsa_key="-----BEGIN RSA PRIVATE KEY-----...",
        request_token_params={"realms": ["email", "profile"]},
    )
    params = remote.get_oauth1_client_params(("access token", "token secret"))
    assert params == {
        "realm": "email profile",
        "signature_method": SIGNATURE_RSA,
        "rsa_key": "-----BEGIN RSA PRIVATE KEY-----...",
        "resource_owner_key": "access token",
        "resource_owner_secret": "token secret",
    }
    client = remote.make_client(("access token", "token secret"))
    assert client.client_key == "twitter key" and client.resource_owner_key == "access token"
    assert client.signature_method == SIGNATURE_RSA
    remote.rsa_key = None
    with pytest.raises(ValueError, match="rsa_key is required"):
        remote.get_oauth1_client_params(None)


def test_expand_url() -> None:
    remote = OAuth().remote_app("dev", consumer_key="k", base_url="https://api.example/v1/")
    assert remote.expand_url("user") == "https://api.example/v1/user"
    assert remote.expand_url("/root") == "https://api.example/root"
    assert remote.expand_url("https://other.example/x") == "https://other.example/x"


# -- module helpers ----------------------------------------------------------------------------


def test_encode_request_data() -> None:
    data, _ = encode_request_data("foo", None)
    assert data == "foo"

    data, f = encode_request_data(None, "json")
    assert data == "{}"
    assert f == "application/json"

    data, f = encode_request_data(None, "urlencoded")
    assert data == ""
    assert f == "application/x-www-form-urlencoded"

    with pytest.raises(TypeError):
        encode_request_data({}, "xml")


def test_prepare_request() -> None:
    assert prepare_request("http://x/") == ("http://x/", {}, None, "GET")
    assert prepare_request("http://x/", data={"a": "1"}) == ("http://x/", {}, {"a": "1"}, "POST")
    uri, headers, data, method = prepare_request(
        "http://x/?q=1", {"X": "y"}, {"wd": "flask"}, "GET"
    )
    assert (uri, headers, data, method) == ("http://x/?q=1&wd=flask", {"X": "y"}, None, "GET")


def test_parse_response() -> None:
    resp = Response(b'{"a": 1}', headers={"status-code": 200, "content-type": "application/json"})
    assert parse_response(resp, resp.read()) == {"a": 1}
    assert parse_response(Response(b"", {}), b"") == {}  # no content type: JSON, as 0.9.6
    form = Response("a=1&b=2&a=3", headers=FORM_OK)
    assert parse_response(form, form.read()) == {"a": "1", "b": "2"}
    text = Response(b"a=1", headers={"content-type": "text/plain"})
    assert parse_response(text, text.read()) == {"a": "1"}
    assert parse_response(text, text.read(), strict=True) == "a=1"
    forced = Response(b'{"a": 1}', headers={"content-type": "text/html"})
    assert parse_response(forced, forced.read(), content_type="application/json") == {"a": 1}


def test_parse_xml() -> None:
    resp = Response("<foo>bar</foo>", headers={"status-code": 200, "content-type": "text/xml"})
    root = parse_response(resp, resp.read())
    assert root.tag == "foo" and root.text == "bar"
    assert get_etree().tostring(root) == b"<foo>bar</foo>"
    assert get_etree().fromstring(b"<a><b/></a>").find("b") is not None


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<foo>&xxe;</foo>"""
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""
EXTERNAL_DTD = b'<?xml version="1.0"?><!DOCTYPE foo SYSTEM "http://127.0.0.1:9/x.dtd"><foo/>'
UTF16_XXE = (
    XXE.decode().replace('version="1.0"', 'version="1.0" encoding="utf-16"').encode("utf-16")
)


@pytest.mark.parametrize("body", [XXE, BILLION_LAUGHS, EXTERNAL_DTD, UTF16_XXE])
def test_xml_with_a_dtd_is_refused(body: bytes) -> None:
    resp = Response(body, headers={"status-code": 200, "content-type": "application/xml"})
    started = time.monotonic()
    with pytest.raises(ValueError, match="document type declaration"):
        parse_response(resp, body)
    with pytest.raises(ValueError):
        get_etree().fromstring(body)
    assert time.monotonic() - started < 1
    # an API answer with a DTD is kept as text, never expanded
    assert OAuthResponse(resp, body).data == body.decode("utf-8", "replace")


def test_malformed_xml_is_still_a_parse_error() -> None:
    with pytest.raises(get_etree().ParseError):
        parse_response(Response(b"<a>", {"content-type": "text/xml"}), b"<a>")


# -- one patchable transport: a whole OAuth 2 login with no network ----------------------------


def callback_of(login: Any) -> tuple[str, dict[str, list[str]]]:
    query = parse_qs(urlsplit(login.headers["Location"]).query)
    return query["state"][0], query


@mock.patch("flask_oauthlib.client.OAuthRemoteApp.http_request")
def test_oauth2_login_and_api_calls_with_a_patched_transport(
    http_request: mock.MagicMock, app: Flask
) -> None:
    create_client(app)
    client = app.test_client()
    login = client.get("/login")
    state, query = callback_of(login)
    assert query["scope"] == ["email"] and query["code_challenge_method"] == ["S256"]
    assert http_request.call_count == 0

    http_request.return_value = (
        Response(b"", JSON_OK),
        b'{"access_token": "mocked token", "token_type": "Bearer"}',
    )
    resp = client.get(f"/authorized?code=the-code&state={state}")
    assert resp.get_json()["access_token"] == "mocked token"
    [token_call] = http_request.call_args_list
    uri, headers = token_call.args
    assert uri == "http://127.0.0.1:5000/oauth/token"
    assert token_call.kwargs["method"] == "POST"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = parse_qs(token_call.kwargs["data"].decode())
    assert form["code"] == ["the-code"] and form["client_secret"] == ["dev"]
    assert len(form["code_verifier"][0]) >= 43

    http_request.reset_mock()
    http_request.return_value = (Response(b"", JSON_OK), b'{"city": "hangzhou"}')
    assert client.get("/address").get_json() == {"city": "hangzhou"}
    [api_call] = http_request.call_args_list
    assert api_call.args[0] == "http://127.0.0.1:5000/api/address/hangzhou"
    assert api_call.args[1]["Authorization"] == "Bearer mocked token"
    assert api_call.kwargs["method"] == "GET"

    http_request.return_value = (Response(b"", JSON_OK), b"ok")
    for name in ("post", "put", "patch", "delete"):
        http_request.reset_mock()
        assert client.get(f"/method/{name}").data == b"ok"
        assert http_request.call_args.kwargs["method"] == name.upper()


def test_oauth2_api_calls_with_patch_object(app: Flask) -> None:
    create_client(app)
    canned = (Response(b"", {"status-code": 201, "content-type": "application/json"}), b"{}")
    with (
        app.test_request_context(),
        mock.patch.object(OAuthRemoteApp, "http_request", return_value=canned) as http_request,
    ):
        session["dev_token"] = ("tok", "")
        remote = app.extensions["oauthlib.client"].remote_apps["dev"]
        resp = remote.post("users", data={"name": "alice"}, format="json")
        assert resp.status == 201 and resp.data == {}
    uri, headers = http_request.call_args.args
    assert uri == "http://127.0.0.1:5000/api/users"
    assert headers["Content-Type"] == "application/json"
    assert http_request.call_args.kwargs == {"data": b'{"name": "alice"}', "method": "POST"}


def test_state_is_still_checked_with_a_patched_transport(app: Flask) -> None:
    app.testing = True
    create_client(app)
    client = app.test_client()
    client.get("/login")
    with mock.patch.object(OAuthRemoteApp, "http_request") as http_request:
        with pytest.raises(OAuthException) as info:
            client.get("/authorized?code=the-code&state=forged")
    assert info.value.type == "invalid_state" and http_request.call_count == 0


def test_denied_login(app: Flask) -> None:
    create_client(app)
    client = app.test_client()
    client.get("/login")
    assert (
        client.get("/authorized?error=access_denied").data == b"Access denied: error=access_denied"
    )


def test_refresh_goes_through_the_transport_and_the_tokensaver() -> None:
    app = Flask("refresh")
    remote = OAuth(app).remote_app(
        "dev",
        consumer_key="dev",
        consumer_secret="dev",
        base_url="https://api.example/",
        access_token_url="https://api.example/token",
        authorize_url="https://api.example/authorize",
    )
    saved: list[dict[str, Any]] = []
    remote.tokensaver(saved.append)
    answers = [
        (Response(b"", JSON_OK), b'{"access_token": "new", "expires_in": 3600}'),
        (Response(b"", JSON_OK), b'{"name": "alice"}'),
    ]
    expired = {"access_token": "old", "refresh_token": "r1", "expires_at": 1}
    with (
        app.test_request_context(),
        mock.patch.object(OAuthRemoteApp, "http_request", side_effect=answers) as http_request,
    ):
        assert remote.get("me", token=expired).data == {"name": "alice"}
    refresh, api = http_request.call_args_list
    assert refresh.kwargs["method"] == "POST"
    assert parse_qs(refresh.kwargs["data"].decode())["refresh_token"] == ["r1"]
    assert api.args[1]["Authorization"] == "Bearer new"
    assert saved[0]["access_token"] == "new" and saved[0]["refresh_token"] == "r1"


# -- ... and an OAuth 1.0a one -----------------------------------------------------------------


def test_oauth1_login_and_signed_calls_with_a_patched_transport() -> None:
    app = Flask("twitter_096")
    app.secret_key = "development"
    twitter = OAuth(app).remote_app(
        "twitter",
        base_url="https://api.twitter.com/1.1/",
        request_token_url="https://api.twitter.com/oauth/request_token",
        access_token_url="https://api.twitter.com/oauth/access_token",
        authorize_url="https://api.twitter.com/oauth/authenticate",
        consumer_key="twitter key",
        consumer_secret="twitter secret",
    )

    @app.route("/login")
    def login() -> Any:
        return twitter.authorize(callback="/authorized")

    @app.route("/authorized")
    def authorized() -> Any:
        resp = twitter.authorized_response()
        session["twitter_oauth"] = resp
        return jsonify(resp)

    @twitter.tokengetter
    def get_twitter_token() -> Any:
        resp = session["twitter_oauth"]
        return resp["oauth_token"], resp["oauth_token_secret"]

    @app.route("/tweet")
    def tweet() -> Any:
        return jsonify(twitter.post("statuses/update.json", data={"status": "hi"}).data)

    client = app.test_client()
    with mock.patch.object(OAuthRemoteApp, "http_request") as http_request:
        http_request.return_value = (
            Response(b"", FORM_OK),
            b"oauth_token=req&oauth_token_secret=req-secret&oauth_callback_confirmed=true",
        )
        login_resp = client.get("/login")
        assert login_resp.headers["Location"].endswith("/oauth/authenticate?oauth_token=req")
        uri, headers = http_request.call_args.args
        assert uri == "https://api.twitter.com/oauth/request_token"
        assert 'oauth_callback="http%3A%2F%2Flocalhost%2Fauthorized"' in headers["Authorization"]

        http_request.return_value = (
            Response(b"", FORM_OK),
            b"oauth_token=acc&oauth_token_secret=acc-secret&screen_name=alice",
        )
        token = client.get("/authorized?oauth_token=req&oauth_verifier=ver").get_json()
        assert token["screen_name"] == "alice"
        headers = http_request.call_args.args[1]
        assert 'oauth_token="req"' in headers["Authorization"]
        assert 'oauth_verifier="ver"' in headers["Authorization"]

        http_request.return_value = (Response(b"", JSON_OK), b'{"id": 1}')
        assert client.get("/tweet").get_json() == {"id": 1}
        uri, headers = http_request.call_args.args
        assert uri == "https://api.twitter.com/1.1/statuses/update.json"
        assert 'oauth_token="acc"' in headers["Authorization"]
        assert http_request.call_args.kwargs["data"] == b"status=hi"


# -- the real transport ------------------------------------------------------------------------


def echo_server() -> Flask:
    server = Flask("echo")

    @server.route("/", methods=["GET", "POST"])
    def echo() -> Any:
        return jsonify(method=request.method, args=request.args, form=request.form)

    @server.route("/missing")
    def missing() -> Any:
        return "o", 404

    @server.route("/slow")
    def slow() -> Any:
        time.sleep(1)
        return "late"

    return server


def test_http_request_on_the_wire(serve: Callable[[Flask], str]) -> None:
    url = serve(echo_server())
    resp, content = OAuthRemoteApp.http_request(url + "/")
    assert resp.code == 200 and resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"
    assert b'"method":"GET"' in content.replace(b" ", b"")

    resp, content = OAuthRemoteApp.http_request(
        url + "/", method="GET", data={"wd": "flask-oauthlib"}
    )
    assert parse_response(resp, content)["args"] == {"wd": "flask-oauthlib"}

    resp, content = OAuthRemoteApp.http_request(url + "/", data={"wd": "flask-oauthlib"})
    assert parse_response(resp, content)["form"] == {"wd": "flask-oauthlib"}


def test_raise_http_request(serve: Callable[[Flask], str]) -> None:
    url = serve(echo_server())
    resp, content = OAuthRemoteApp.http_request(url + "/missing")
    assert resp.code == 404
    assert b"o" in content


def test_a_replacement_taking_the_four_0_9_6_arguments(serve: Callable[[Flask], str]) -> None:
    """A replacement written against 0.9.6's signature gets exactly those arguments and
    may call the real one, which still applies the remote app's timeout."""
    url = serve(echo_server())
    app = Flask("wrapped")
    remote = OAuth(app).remote_app("echo", consumer_key="k", base_url=url + "/", timeout=0.3)
    real = OAuthRemoteApp.http_request
    seen: list[tuple[Any, ...]] = []

    def http_request(uri: str, headers: Any = None, data: Any = None, method: Any = None) -> Any:
        seen.append((uri, method))
        return real(uri, headers, data, method)

    with (
        app.test_request_context(),
        mock.patch.object(OAuthRemoteApp, "http_request", staticmethod(http_request)),
    ):
        assert remote.get("", token="t").data["method"] == "GET"
        started = time.monotonic()
        with pytest.raises(OAuthException) as info:
            remote.get("slow", token="t")
    assert info.value.type == "timeout" and time.monotonic() - started < 0.9
    assert seen == [(url + "/", "GET"), (url + "/slow", "GET")]


def test_patched_flow_logs_no_credentials(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    create_client(app)
    client = app.test_client()
    with (
        caplog.at_level(logging.DEBUG),
        mock.patch.object(OAuthRemoteApp, "http_request") as http_request,
    ):
        state, _ = callback_of(client.get("/login"))
        http_request.return_value = (
            Response(b"", JSON_OK),
            b'{"access_token": "at-5ecret-value", "token_type": "Bearer"}',
        )
        client.get(f"/authorized?code=c0de-5ecret-value&state={state}")
        http_request.return_value = (Response(b"", JSON_OK), b"{}")
        client.get("/address")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "5ecret-value" not in text and state not in text
