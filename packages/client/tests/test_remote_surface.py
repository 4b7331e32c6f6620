"""``OAuthRemoteApp`` keeps the members of 0.9.6, and subclasses written against 0.9.6
still steer every flow: the class is a façade over mixins, looked up through ``self``."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from login_app import login_app

import flask_oauthlib_client
from flask_oauthlib_client import OAuth, OAuthRemoteApp, RemoteResponse
from flask_oauthlib_client.registry import EXTENSION_KEY
from flask_oauthlib_core.testing import redirect_params

#: the members of 0.9.6's ``OAuthRemoteApp`` (docs/surface-0.9.6.txt)
MEMBERS_096 = """
    base_url request_token_url access_token_url authorize_url consumer_key consumer_secret
    rsa_key signature_method request_token_params request_token_method access_token_params
    access_token_method content_type get_oauth1_client_params make_client http_request get
    post put delete patch request authorize tokengetter expand_url generate_request_token
    get_request_token handle_oauth1_response handle_oauth2_response handle_unknown_response
    authorized_response authorized_handler
""".split()

JSON = {"Content-Type": "application/json"}
#: the remote app's settings, for a server at idp.example
IDP = {
    "consumer_key": "k",
    "consumer_secret": "s",
    "base_url": "https://idp.example/api/",
    "authorize_url": "https://idp.example/authorize",
    "access_token_url": "https://idp.example/token",
}


@pytest.mark.parametrize("name", MEMBERS_096)
def test_every_0_9_6_member_is_on_the_class(name: str) -> None:
    assert hasattr(OAuthRemoteApp, name)


def test_http_request_is_still_a_static_method() -> None:
    assert isinstance(inspect.getattr_static(OAuthRemoteApp, "http_request"), staticmethod)


def test_public_names_stay_where_they_were() -> None:
    from flask_oauthlib_client import remote

    assert flask_oauthlib_client.encode_request_data is remote.encode_request_data
    assert remote.UnknownFormat.__name__ == "UnknownFormat"
    assert EXTENSION_KEY == "oauthlib.client"
    assert OAuth.__module__ == "flask_oauthlib_client.registry"
    assert OAuthRemoteApp.__module__ == "flask_oauthlib_client.remote"


class Recording(OAuthRemoteApp):
    """A 0.9.6-style subclass that overrides the hooks and records their calls."""

    calls: list[Any] = []

    def make_client(self, token: Any = None) -> Any:
        self.calls.append("make_client")
        return super().make_client(token)

    def authorize(self, callback: str | None = None, state: Any = None, **kwargs: Any) -> Any:
        self.calls.append("authorize")
        return super().authorize(callback, state, **kwargs)

    def handle_oauth2_response(self, args: Mapping[str, str]) -> Any:
        self.calls.append("handle_oauth2_response")
        data = super().handle_oauth2_response(args)
        return dict(data, seen_by="subclass")

    def request(self, url: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append(("request", url))
        return super().request(url, *args, **kwargs)

    @staticmethod
    def http_request(
        uri: str,
        headers: Mapping[str, str] | None = None,
        data: Any = None,
        method: str | None = None,
    ) -> tuple[RemoteResponse, bytes]:
        Recording.calls.append(("http", method, urlsplit(uri).path))
        if uri.endswith("/token"):
            return RemoteResponse(200, JSON), b'{"access_token": "at", "token_type": "Bearer"}'
        return RemoteResponse(200, JSON), b'{"name": "alice"}'


def test_a_subclass_steers_the_oauth2_flow() -> None:
    Recording.calls = []
    app, remote = login_app(remote_class=Recording, **IDP)
    client = app.test_client()
    state = redirect_params(client.get("/login"))["state"]
    token = client.get(f"/authorized?code=c&state={state}").get_json()
    assert token["seen_by"] == "subclass"
    assert client.get("/me").get_json() == {"name": "alice"}
    assert Recording.calls == [
        "authorize",
        "make_client",
        "handle_oauth2_response",
        "make_client",
        ("http", "POST", "/token"),
        ("request", "me"),
        ("http", "GET", "/api/me"),
    ]


class OldOAuth1(OAuthRemoteApp):
    """A subclass that fetches its request token its own way."""

    def generate_request_token(self, callback: str | None = None) -> tuple[str, str]:
        return ("request-token", "secret")


def test_a_subclass_steers_the_oauth1_flow() -> None:
    app = Flask("oauth1")
    app.secret_key = "test-secret"
    remote = OldOAuth1(
        OAuth(app),
        "old",
        consumer_key="k",
        consumer_secret="s",
        request_token_url="https://idp.example/request_token",
        authorize_url="https://idp.example/authorize",
        access_token_url="https://idp.example/access_token",
    )
    with app.test_request_context():
        location = remote.authorize(callback="/done", extra="1").headers["Location"]
    assert redirect_params(location) == {"oauth_token": "request-token", "extra": "1"}


class RedditStyle(Recording):
    """0.9.6's ``example/reddit.py``: the code exchanged its own way, with the redirect
    URI 0.9.6 kept in the session as ``<name>_oauthredir``."""

    sent: list[Any] = []

    def handle_oauth2_response(self, args: Mapping[str, str]) -> Any:
        from flask import session

        client = self.make_client()
        remote_args = {
            "code": args.get("code"),
            "client_secret": self.consumer_secret,
            "redirect_uri": session.get("%s_oauthredir" % self.name),  # noqa: UP031
        }
        body = client.prepare_request_body(**remote_args)
        RedditStyle.sent.append(dict(remote_args))
        resp, content = self.http_request(self.expand_url(self.access_token_url), data=body)
        assert resp.code == 200
        return {"access_token": "at", "body": body}


def test_a_0_9_6_override_of_the_code_exchange_finds_the_redirect_uri() -> None:
    RedditStyle.sent = []
    app, remote = login_app(remote_class=RedditStyle, **IDP)
    client = app.test_client()
    login = redirect_params(client.get("/login"))
    assert client.get(f"/authorized?code=c&state={login['state']}").status_code == 200
    assert RedditStyle.sent == [
        {"code": "c", "client_secret": "s", "redirect_uri": login["redirect_uri"]}
    ]
    with client.session_transaction() as session:
        assert f"{remote.name}_oauthredir" not in session  # used up, as 0.9.6 did
