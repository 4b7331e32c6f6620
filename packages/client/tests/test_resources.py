"""RFC 8707 resource indicators from the client, over real HTTP: what the authorization
request, the code exchange and a refresh carry (Authlib's server records every request;
it ignores ``resource``, our provider's audience is checked in the root tests)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask, request, url_for
from login_app import login_app
from registration_peers import WELL_KNOWN, authlib_registration_app

from flask_oauthlib_client import OAuthException, OAuthRemoteApp
from flask_oauthlib_client.rfc8707 import resource_list
from flask_oauthlib_core.testing import callback_path, go_to_provider, redirect_location

CALLBACK = "http://localhost/authorized"
MCP = "https://mcp.example.com/mcp"
FILES = "https://files.example.com/"


@pytest.fixture
def live(serve: Any) -> Any:
    return authlib_registration_app(serve)


def mcp_client(live: Any, **settings: Any) -> tuple[Flask, OAuthRemoteApp]:
    """A client app registered with ``live`` as a public client; ``/login-for?r=...``
    starts a login for the resources named in the query."""
    settings = {
        "base_url": live.url + "/api/",
        "server_metadata_url": live.url + WELL_KNOWN,
        **settings,
    }
    app, remote = login_app(**settings)
    with app.app_context():
        remote.register(CALLBACK, public=True)

    @app.route("/login-for")
    def login_for() -> Any:
        wanted = request.args.getlist("r")
        return remote.authorize(callback=url_for("authorized", _external=True), resource=wanted)

    return app, remote


def sent(live: Any, path: str, where: str = "form") -> list[list[str]]:
    """The ``resource`` values of each request ``live`` received at ``path``."""
    return [s[where].get("resource", []) for s in live.state["seen"] if s["path"] == path]


def log_in(app: Flask, login: str = "/login") -> tuple[Any, dict[str, Any]]:
    tc = app.test_client()
    done = tc.get(go_to_provider(tc, login))
    assert done.status_code == 200, done.get_data(as_text=True)
    return tc, done.get_json()


def test_the_remote_apps_resources_at_every_step(live: Any) -> None:
    app, remote = mcp_client(live, resource=[MCP, FILES])
    tc, token = log_in(app)
    assert sent(live, "/authorize", "args") == [[MCP, FILES]]
    assert sent(live, "/token") == [[MCP, FILES]]
    assert token["resource"] == [MCP, FILES]
    with app.test_request_context():
        assert remote.resource == [MCP, FILES]
        new = remote.refresh_token(token)
    assert sent(live, "/token")[-1] == [MCP, FILES]
    assert new["resource"] == [MCP, FILES]


def test_one_resource_from_the_config(live: Any) -> None:
    config = {"MCP_RESOURCE": MCP, "MCP_SERVER_METADATA_URL": live.url + WELL_KNOWN}
    app, remote = login_app("mcp", app_key="MCP", config=config, base_url=live.url + "/api/")
    with app.app_context():
        remote.register(CALLBACK, public=True)
        assert remote.resource == [MCP]
    _, token = log_in(app)
    assert sent(live, "/authorize", "args") == [[MCP]]
    assert sent(live, "/token") == [[MCP]]
    assert token["resource"] == [MCP]


def test_request_token_params_and_a_call_choose_over_the_setting(live: Any) -> None:
    app, remote = mcp_client(live, resource=FILES, request_token_params={"resource": [MCP]})
    log_in(app)
    assert sent(live, "/authorize", "args") == [[MCP]]
    _, token = log_in(app, "/login-for?r=" + FILES)
    assert sent(live, "/authorize", "args")[-1] == [FILES]
    assert sent(live, "/token")[-1] == [FILES]
    assert token["resource"] == [FILES]


def test_each_pending_login_exchanges_its_own_resources(live: Any) -> None:
    app, _ = mcp_client(live)
    tc = app.test_client()
    first = redirect_location(tc.get("/login-for?r=" + MCP))
    second = redirect_location(tc.get("/login-for?r=" + FILES + "&r=" + MCP))
    assert parse_qs(urlsplit(second).query)["resource"] == [FILES, MCP]
    back_second = callback_path(requests.get(second, allow_redirects=False, timeout=10))
    back_first = callback_path(requests.get(first, allow_redirects=False, timeout=10))
    assert tc.get(back_second).get_json()["resource"] == [FILES, MCP]
    assert tc.get(back_first).get_json()["resource"] == [MCP]
    assert sent(live, "/token") == [[FILES, MCP], [MCP]]


def test_access_token_params_may_narrow_the_exchange(live: Any) -> None:
    app, _ = mcp_client(live, resource=[MCP, FILES], access_token_params={"resource": MCP})
    _, token = log_in(app)
    assert sent(live, "/authorize", "args") == [[MCP, FILES]]
    assert sent(live, "/token") == [[MCP]]
    assert token["resource"] == [MCP]


def test_without_resources_nothing_changes(live: Any) -> None:
    app, remote = mcp_client(live)
    _, token = log_in(app)
    assert sent(live, "/authorize", "args") == [[]]
    assert sent(live, "/token") == [[]]
    assert "resource" not in token
    with app.test_request_context():
        remote.refresh_token(token)
    assert sent(live, "/token")[-1] == []


@pytest.mark.parametrize(
    "bad",
    [MCP + "#tools", "/relative/path", "mcp.example.com", "https://a.example/ x", 7, ""],
)
def test_a_resource_that_is_no_absolute_uri_is_refused_before_the_user_leaves(
    live: Any, bad: Any
) -> None:
    app, remote = mcp_client(live)
    with app.test_request_context():
        with pytest.raises(OAuthException) as info:
            remote.authorize(callback=CALLBACK, resource=[MCP, bad])
        assert remote._pending_logins().all() == []  # nothing pending: no login began
    assert info.value.type == "invalid_configuration"


def test_a_096_resource_parameter_is_sent_as_it_is(live: Any) -> None:
    """0.9.6 apps for Azure AD v1 put the application id they want a token for in
    ``request_token_params={"resource": ...}``: no URI, sent through unchanged (the
    third outside review found it refused with a 500 at /login)."""
    graph = "00000003-0000-0000-c000-000000000000"
    app, remote = mcp_client(live, request_token_params={"resource": graph})
    _, token = log_in(app)
    assert sent(live, "/authorize", "args") == [[graph]]
    assert sent(live, "/token") == [[]]  # 0.9.6 sent it with the authorization only
    assert "resource" not in token


def test_resource_list() -> None:
    assert resource_list(None) == []
    assert resource_list(MCP) == [MCP]
    assert resource_list((MCP, FILES, MCP)) == [MCP, FILES]
    assert resource_list(["urn:example:api"]) == ["urn:example:api"]
    with pytest.raises(OAuthException, match="at most 16"):
        resource_list([f"https://api{n}.example/" for n in range(17)])
