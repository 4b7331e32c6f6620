"""Dynamic client registration from the client (RFC 7591), over real HTTP: against
Authlib's registration endpoint, then logging in with what it issued; and against a
scripted endpoint for every way a registration fails."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from flask import Flask
from login_app import login_app
from registration_peers import (
    INITIAL_TOKEN,
    WELL_KNOWN,
    authlib_registration_app,
    metadata_document,
    scripted_registration_app,
)

from flask_oauthlib_client import OAuth, OAuthException, OAuthRemoteApp
from flask_oauthlib_client.registration import REGISTRATIONS_KEY
from flask_oauthlib_client.rfc7591 import registration_problem
from flask_oauthlib_client.token_endpoint import basic_authorization
from flask_oauthlib_core.testing import concurrently, go_to_provider

CALLBACK = "http://localhost/authorized"


def registering_app(url: str, **settings: Any) -> tuple[Flask, OAuthRemoteApp, list[Any]]:
    """A client app whose remote app knows only the server's metadata URL; the list
    receives what its registration saver is given."""
    settings = {"base_url": url + "/api/", "server_metadata_url": url + WELL_KNOWN, **settings}
    app, remote = login_app(**settings)
    saved: list[Any] = []
    remote.registration_saver(saved.append)
    return app, remote, saved


def log_in(app: Flask) -> tuple[Any, dict[str, Any]]:
    tc = app.test_client()
    done = tc.get(go_to_provider(tc))
    assert done.status_code == 200, done.get_data(as_text=True)
    return tc, done.get_json()


def last(live: Any, path: str) -> dict[str, Any]:
    """The last request ``live`` received at ``path``."""
    return [seen for seen in live.state["seen"] if seen["path"] == path][-1]


# -- registering, then logging in ----------------------------------------------------------


def test_public_client_registers_and_logs_in_with_pkce(serve: Any) -> None:
    live = authlib_registration_app(serve)
    app, remote, saved = registering_app(live.url, request_token_params={"scope": "profile"})
    with app.app_context():
        registration = remote.register(CALLBACK, client_name="Agent", public=True)
    sent = last(live, "/register")
    assert sent["json"] == {
        "redirect_uris": [CALLBACK],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "client_name": "Agent",
        "scope": "profile",
    }
    assert sent["headers"]["Content-Type"] == "application/json"
    assert "Authorization" not in sent["headers"]
    assert saved == [registration]
    client_id = registration["client_id"]
    assert registration["token_endpoint_auth_method"] == "none"
    assert registration["registration_access_token"].startswith("rat-")
    assert registration["registration_client_uri"] == f"{live.url}/register/{client_id}"
    with app.app_context():
        assert remote.consumer_key == client_id
        assert remote.consumer_secret is None  # public: Authlib's secret is never sent
        assert remote.registration == registration
    tc, token = log_in(app)
    assert tc.get("/me").get_json() == {"name": "alice", "client": client_id}
    exchange = last(live, "/token")
    assert exchange["form"]["client_id"] == [client_id]
    assert "client_secret" not in exchange["form"]
    assert "Authorization" not in exchange["headers"]
    assert len(exchange["form"]["code_verifier"][0]) >= 43
    assert token["scope"] == "profile"


def test_confidential_client_authenticates_with_http_basic(serve: Any) -> None:
    live = authlib_registration_app(serve)
    app, remote, saved = registering_app(live.url)
    with app.app_context():
        registration = remote.register([CALLBACK], scope=["profile", "email"])
    assert last(live, "/register")["json"]["token_endpoint_auth_method"] == "client_secret_basic"
    assert last(live, "/register")["json"]["scope"] == "profile email"
    assert registration["client_secret"] and saved == [registration]
    tc, token = log_in(app)
    exchange = last(live, "/token")
    expected = f"{registration['client_id']}:{registration['client_secret']}"
    basic = "Basic " + base64.b64encode(expected.encode()).decode()
    assert basic == basic_authorization(registration["client_id"], registration["client_secret"])
    assert exchange["headers"]["Authorization"] == basic
    assert "client_secret" not in exchange["form"]
    # the refresh authenticates the same way
    with app.test_request_context():
        new = remote.refresh_token(token)
    assert new["access_token"] != token["access_token"]
    refresh = last(live, "/token")
    assert refresh["form"]["grant_type"] == ["refresh_token"]
    assert refresh["headers"]["Authorization"] == basic
    assert "client_secret" not in refresh["form"]


def test_client_secret_post_when_registered_so(serve: Any) -> None:
    live = authlib_registration_app(serve)
    app, remote, _ = registering_app(live.url)
    with app.app_context():
        registration = remote.register(
            CALLBACK, metadata={"token_endpoint_auth_method": "client_secret_post"}
        )
    log_in(app)
    exchange = last(live, "/token")
    assert exchange["form"]["client_secret"] == [registration["client_secret"]]
    assert "Authorization" not in exchange["headers"]


def test_a_restarted_app_loads_its_registration_instead_of_registering(serve: Any) -> None:
    live = authlib_registration_app(serve)
    vault: dict[str, Any] = {}
    first, remote, _ = registering_app(live.url)
    remote.registration_saver(lambda registration: vault.update(mcp=registration))
    with first.app_context():
        registration = remote.register(CALLBACK)
    assert len(live.state["clients"]) == 1

    # the app restarts: a new process, a new remote app, the same vault
    app, again, _ = registering_app(live.url)
    calls: list[int] = []

    @again.registrationloader  # the 0.9.6 decorator style works too
    def load() -> Any:
        calls.append(1)
        return vault.get("mcp")

    with app.app_context():
        assert again.register(CALLBACK) == registration
        assert again.consumer_key == registration["client_id"]
    assert len(live.state["clients"]) == 1
    assert [s["path"] for s in live.state["seen"]].count("/register") == 1
    tc, _ = log_in(app)
    assert tc.get("/me").get_json()["client"] == registration["client_id"]
    assert calls == [1]  # loaded once per app, not on every request
    assert app.extensions[REGISTRATIONS_KEY].get("dev") == registration


def test_force_and_an_expired_secret_register_again(serve: Any) -> None:
    live = authlib_registration_app(serve)
    app, remote, saved = registering_app(live.url)
    with app.app_context():
        first = remote.register(CALLBACK)
        assert remote.register(CALLBACK) == first
        second = remote.register(CALLBACK, force=True)
        assert second["client_id"] != first["client_id"]
        assert remote.consumer_key == second["client_id"]
    expired = dict(second, client_secret_expires_at=1)
    restarted, again, _ = registering_app(live.url)
    again.registration_loader(lambda: expired)
    with restarted.app_context():
        third = again.register(CALLBACK)
    assert third["client_id"] not in (first["client_id"], second["client_id"])
    assert len(saved) == 2 and len(live.state["clients"]) == 3


def test_concurrent_first_logins_register_once(serve: Any) -> None:
    live = authlib_registration_app(serve)
    app, remote, saved = registering_app(live.url)

    def register() -> str:
        with app.app_context():
            return str(remote.register(CALLBACK, public=True)["client_id"])

    assert len(set(concurrently(register, 8))) == 1
    assert len(saved) == 1 and len(live.state["clients"]) == 1


def test_initial_access_token_is_sent_as_bearer(serve: Any) -> None:
    live = authlib_registration_app(serve, initial_token=True)
    app, remote, _ = registering_app(live.url)
    with app.app_context(), pytest.raises(OAuthException) as refused:
        remote.register(CALLBACK)
    assert refused.value.type == "registration_failed"
    assert refused.value.data["error"] == "access_denied"
    with app.app_context():
        remote.register(CALLBACK, initial_access_token=INITIAL_TOKEN)
    assert last(live, "/register")["headers"]["Authorization"] == f"Bearer {INITIAL_TOKEN}"


def test_registrations_are_kept_per_flask_app(serve: Any) -> None:
    live = authlib_registration_app(serve)
    oauth = OAuth()
    remote = oauth.remote_app("mcp", server_metadata_url=live.url + WELL_KNOWN)
    one, two = Flask("one"), Flask("two")
    for app in (one, two):
        oauth.init_app(app)
    with one.app_context():
        registration = remote.register(CALLBACK)
        assert remote.consumer_key == registration["client_id"]
    with two.app_context():
        assert remote.registration is None
        with pytest.raises(KeyError, match="consumer_key"):
            _ = remote.consumer_key


def test_a_remote_app_with_a_metadata_url_needs_no_consumer_key() -> None:
    remote = OAuthRemoteApp(OAuth(), "mcp", server_metadata_url="https://as.example/x")
    assert remote.registration is None
    with pytest.raises(TypeError, match="server_metadata_url"):
        OAuthRemoteApp(OAuth(), "plain")  # type: ignore[call-arg]


# -- failures -----------------------------------------------------------------------------


@pytest.fixture
def scripted(serve: Any) -> Any:
    return scripted_registration_app(serve)


def failure(live: Any, answer: Any = None, **register: Any) -> OAuthException:
    """What ``register()`` raises when the scripted server answers ``answer``."""
    live.state["answer"] = answer
    app, remote, saved = registering_app(live.url, timeout=register.pop("timeout", None))
    with app.app_context(), pytest.raises(OAuthException) as info:
        remote.register(CALLBACK, **register)
    with app.app_context():
        assert saved == [] and remote.registration is None
    return info.value


JSON = "application/json"


@pytest.mark.parametrize(
    ("answer", "kind", "words"),
    [
        (
            (400, '{"error": "invalid_redirect_uri", "error_description": "No."}', JSON),
            "registration_failed",
            "400 (invalid_redirect_uri: No.)",
        ),
        ((401, '{"error": "invalid_token"}', JSON), "registration_failed", "invalid_token"),
        ((500, "<h1>Internal Server Error</h1>", "text/html"), "registration_failed", "500"),
        ((201, "<html>welcome</html>", "text/html"), "invalid_response", "not a JSON object"),
        ((201, '["client_id"]', JSON), "invalid_response", "not a JSON object"),
        ((201, '{"client_secret": "s"}', JSON), "invalid_response", "no client_id"),
        ((201, '{"client_id": "c"}', JSON), "invalid_response", "no client_secret"),
        (
            (201, '{"client_id": "c", "token_endpoint_auth_method": "private_key_jwt"}', JSON),
            "invalid_response",
            "cannot use",
        ),
        ((200, '{"client_id": 7, "client_secret": "s"}', JSON), "invalid_response", "client_id"),
        ((204, "", JSON), "registration_failed", "204"),
    ],
)
def test_refused_and_nonsense_answers(scripted: Any, answer: Any, kind: str, words: str) -> None:
    error = failure(scripted, answer)
    assert error.type == kind
    assert words in error.message


def test_an_error_answer_is_data(scripted: Any) -> None:
    body = '{"error": "invalid_redirect_uri", "error_description": "Not https.\\u0007"}'
    error = failure(scripted, (400, body, JSON))
    assert error.data == {"error": "invalid_redirect_uri", "error_description": "Not https."}


def test_a_public_registration_needs_no_secret(scripted: Any) -> None:
    scripted.state["answer"] = (201, '{"client_id": "pub"}', JSON)
    app, remote, saved = registering_app(scripted.url)
    with app.app_context():
        registration = remote.register(CALLBACK, public=True)
        assert registration == {
            "client_id": "pub",
            "token_endpoint_auth_method": "none",
            "registration_endpoint": scripted.url + "/register",  # where it came from
        }
        assert remote.consumer_secret is None


def test_a_registration_of_another_server_is_not_used(serve: Any) -> None:
    """One loader for two apps (or a server_metadata_url that changed): the saved
    registration of server A was used at server B, its secret sent there (found by the
    third outside review)."""
    server_a, server_b = scripted_registration_app(serve), scripted_registration_app(serve)
    server_b.state["answer"] = (201, '{"client_id": "at-b"}', JSON)
    app, remote, saved = registering_app(server_b.url)
    remote.registration_loader(
        lambda: {
            "client_id": "at-a",
            "client_secret": "a-secret",
            "token_endpoint_auth_method": "client_secret_basic",
            "registration_endpoint": server_a.url + "/register",
        }
    )
    with app.app_context():
        assert remote.register(CALLBACK, public=True)["client_id"] == "at-b"
    assert [seen for seen in server_b.state["seen"] if "json" in seen]
    assert not any("a-secret" in str(seen) for seen in server_b.state["seen"])
    assert saved[-1]["registration_endpoint"] == server_b.url + "/register"


def test_a_callback_that_is_not_registered_registers_again(scripted: Any) -> None:
    """A registration whose redirect URIs lack the callback asked for now would fail at
    every login (a Host header that fixed the first one, a moved app)."""
    scripted.state["answer"] = (
        201,
        json.dumps({"client_id": "c1", "redirect_uris": [CALLBACK]}),
        JSON,
    )
    app, remote, _ = registering_app(scripted.url)
    with app.app_context():
        remote.register(CALLBACK, public=True)
        remote.register(CALLBACK, public=True)  # the same callback: nothing sent
        posts = [seen for seen in scripted.state["seen"] if "json" in seen]
        assert len(posts) == 1
        remote.register("http://127.0.0.1:9/elsewhere", public=True)
        posts = [seen for seen in scripted.state["seen"] if "json" in seen]
        assert len(posts) == 2


def test_no_registration_endpoint(scripted: Any) -> None:
    scripted.state["metadata"] = {"issuer": scripted.url, "token_endpoint": scripted.url}
    error = failure(scripted)
    assert error.type == "invalid_configuration"
    assert "registration_endpoint" in error.message
    assert scripted.state["seen"] == []


def test_timeout(scripted: Any) -> None:
    error = failure(scripted, "slow", timeout=0.3)
    assert error.type == "timeout"


def test_unreachable_endpoint_is_a_network_error(scripted: Any) -> None:
    scripted.state["metadata"] = metadata_document(
        scripted.url, registration_endpoint="http://127.0.0.1:9/register"
    )
    assert failure(scripted).type == "network_error"


def test_a_redirect_is_not_followed(scripted: Any) -> None:
    # a redirect to where the initial access token would travel next
    elsewhere = {"Location": scripted.url + "/elsewhere"}
    error = failure(scripted, (307, "", JSON, elsewhere), initial_access_token=INITIAL_TOKEN)
    assert error.type == "registration_failed"
    assert "redirect" in error.message
    assert not any(seen.get("elsewhere") for seen in scripted.state["seen"])


def test_plain_http_endpoint_without_the_development_switch(
    scripted: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT")
    error = failure(scripted)
    assert error.type == "insecure_transport"
    assert scripted.state["seen"] == []


def test_configuration_errors(scripted: Any) -> None:
    app, remote = login_app(consumer_key="k", authorize_url="https://as.example/a", pkce=False)
    with app.app_context(), pytest.raises(OAuthException) as no_metadata:
        remote.register(CALLBACK)
    assert no_metadata.value.type == "invalid_configuration"
    assert "server_metadata_url" in no_metadata.value.message
    with app.app_context(), pytest.raises(OAuthException) as no_pkce:
        remote.register(CALLBACK, public=True)
    assert no_pkce.value.type == "invalid_configuration"
    assert "PKCE" in no_pkce.value.message
    app, oauth1 = login_app(
        consumer_key="k", consumer_secret="s", request_token_url="https://as.example/rt"
    )
    with app.app_context(), pytest.raises(OAuthException) as no_oauth1:
        oauth1.register(CALLBACK)
    assert no_oauth1.value.type == "invalid_configuration"


def test_a_loader_that_returns_no_registration(scripted: Any) -> None:
    app, remote, _ = registering_app(scripted.url)
    remote.registration_loader(lambda: {"client_secret": "s"})
    with app.app_context(), pytest.raises(OAuthException) as info:
        _ = remote.consumer_key
    assert info.value.type == "invalid_configuration"
    assert "registration_loader" in info.value.message


def test_registration_problem_never_shows_a_value() -> None:
    answer = {"client_id": "c", "client_secret": "\x00secret", "registration_access_token": 1}
    problem = registration_problem(answer, "client_secret_basic")
    assert problem == "has no client_secret for a confidential client"
    answer["client_secret"] = "fine"
    assert (
        registration_problem(answer, "none")
        == "has a registration_access_token that is not a string"
    )


# -- secrets ------------------------------------------------------------------------------


def test_secrets_never_reach_the_logs(serve: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    live = authlib_registration_app(serve, initial_token=True)
    app, remote, _ = registering_app(live.url)
    with app.app_context():
        registration = remote.register(CALLBACK, initial_access_token=INITIAL_TOKEN)
    assert "registered as client" in caplog.text
    tc, token = log_in(app)
    with app.test_request_context():
        remote.refresh_token(token)
    scripted = scripted_registration_app(serve)
    leaked = '{"client_id": "c", "registration_access_token": "rat-leak", "client_secret": ""}'
    error = failure(scripted, (201, leaked, JSON), initial_access_token=INITIAL_TOKEN)
    assert "rat-leak" not in str(error) and error.data is None
    secrets = [
        registration["client_secret"],
        registration["registration_access_token"],
        INITIAL_TOKEN,
        "rat-leak",
        basic_authorization(registration["client_id"], registration["client_secret"]),
    ]
    for record in caplog.records:
        text = record.getMessage()
        for secret in secrets:
            assert secret not in text, (secret, text)
