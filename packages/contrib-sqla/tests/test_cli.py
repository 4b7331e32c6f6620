"""The ``flask oauth2`` commands: create, list and revoke clients; what create-client
refuses, each with a usage error (exit code 2) that names the bad value."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqla_app import REDIRECT, Client, create_app, database

from flask_oauthlib_contrib_sqla.cli import oauth2


@pytest.fixture
def cli() -> Iterator[tuple[FlaskCliRunner, Any]]:
    with database("sqlite") as engine:
        app, _, session = create_app(engine, with_seed=False)
        app.cli.add_command(oauth2)  # what the flask.commands entry point does for `flask`
        yield app.test_cli_runner(), session
        session.remove()


def create(runner: FlaskCliRunner, *options: str) -> Any:
    return runner.invoke(args=["oauth2", "create-client", *options])


def test_cli_create_list_revoke(cli: tuple[FlaskCliRunner, Any]) -> None:
    runner, session = cli
    created = create(runner, "--name", "cli", "--redirect-uri", REDIRECT, "--scope", "email")
    assert created.exit_code == 0, created.output
    lines = dict(line.split(": ") for line in created.output.strip().splitlines())
    client = session.get(Client, lines["client_id"])
    assert client.check_client_secret(lines["client_secret"])
    assert client.client_secret_hash != lines["client_secret"]
    assert client.allowed_grant_types is None and client.allowed_response_types is None
    listed = runner.invoke(args=["oauth2", "list-clients"])
    rows = listed.output.splitlines()
    assert rows[0] == "client_id\ttype\tname\tredirect_uris"
    assert rows[1:] == [f"{lines['client_id']}\tconfidential\tcli\t{REDIRECT}"]
    revoked = runner.invoke(args=["oauth2", "revoke-client", lines["client_id"]])
    assert revoked.exit_code == 0
    session.remove()
    assert session.get(Client, lines["client_id"]) is None
    missing = runner.invoke(args=["oauth2", "revoke-client", "nope"])
    assert missing.exit_code != 0 and "no client" in missing.output


def test_list_clients_prints_its_header_with_no_clients(cli: tuple[FlaskCliRunner, Any]) -> None:
    runner, _ = cli
    listed = runner.invoke(args=["oauth2", "list-clients"])
    assert listed.exit_code == 0
    assert listed.output == "client_id\ttype\tname\tredirect_uris\n"


def test_create_client_with_every_valid_value(cli: tuple[FlaskCliRunner, Any]) -> None:
    runner, session = cli
    grant_types = [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "password",
        "urn:ietf:params:oauth:grant-type:device_code",
    ]
    redirect_uris = [REDIRECT, "https://app.example/cb?x=1", "com.example.app:/oauth2redirect"]
    options = [
        "--scope",
        "profile",
        "--scope",
        "https://api.example/read!#$%&'()*+,-./:;<=>?@[]^_`{|}~",
    ]
    for grant_type in grant_types:
        options += ["--grant-type", grant_type]
    for response_type in ("code", "token"):
        options += ["--response-type", response_type]
    for uri in redirect_uris:
        options += ["--redirect-uri", uri]
    created = create(runner, *options)
    assert created.exit_code == 0, created.output
    client_id = created.output.splitlines()[0].removeprefix("client_id: ")
    client = session.get(Client, client_id)
    assert client.allowed_grant_types == grant_types
    assert client.allowed_response_types == ["code", "token"]
    assert client.redirect_uris == redirect_uris
    assert client.default_scopes[0] == "profile" and len(client.default_scopes) == 2


def test_public_client_has_no_secret(cli: tuple[FlaskCliRunner, Any]) -> None:
    runner, session = cli
    created = create(runner, "--public", "--redirect-uri", REDIRECT, "--response-type", "code")
    assert created.exit_code == 0, created.output
    assert "client_secret" not in created.output
    client_id = created.output.strip().removeprefix("client_id: ")
    client = session.get(Client, client_id)
    assert not client.is_confidential and client.allowed_response_types == ["code"]


def test_create_client_sends_client_registered(cli: tuple[FlaskCliRunner, Any]) -> None:
    from flask_oauthlib_provider_oauth2 import signals

    runner, _ = cli
    heard: list[tuple[Any, dict[str, Any]]] = []

    def receive(sender: Any, **data: Any) -> None:
        heard.append((sender, data))

    with signals.client_registered.connected_to(receive):
        created = create(
            runner, "--redirect-uri", REDIRECT, "--scope", "email", "--grant-type", "refresh_token"
        )
        public = create(runner, "--public", "--redirect-uri", REDIRECT)
    assert created.exit_code == 0 and public.exit_code == 0, created.output + public.output
    lines = dict(line.split(": ") for line in created.output.strip().splitlines())
    assert [sender for sender, _ in heard] == [runner.app, runner.app]
    assert [data for _, data in heard] == [
        {
            "client_id": lines["client_id"],
            "user": None,
            "scopes": ["email"],
            "grant_types": ["refresh_token"],
            "is_confidential": True,
            "source": "cli",
        },
        {
            "client_id": public.output.strip().removeprefix("client_id: "),
            "user": None,
            "scopes": [],
            "grant_types": None,
            "is_confidential": False,
            "source": "cli",
        },
    ]
    assert lines["client_secret"] not in repr(heard)


BAD_OPTIONS = [
    pytest.param(["--grant-type", "implicit"], "'implicit' is not a grant type", id="implicit"),
    pytest.param(["--grant-type", "authorisation_code"], "'authorisation_code'", id="grant-typo"),
    pytest.param(["--grant-type", ""], "'' is not a grant type", id="grant-empty"),
    pytest.param(["--response-type", "id_token"], "'id_token'", id="response-id-token"),
    pytest.param(["--response-type", "code token"], "'code token'", id="response-two"),
    pytest.param(["--scope", ""], "a scope cannot be empty", id="scope-empty"),
    pytest.param(["--scope", "profile email"], "give each scope its own --scope", id="scope-space"),
    pytest.param(["--scope", 'say"hi"'], "'say\"hi\"' is not a valid scope", id="scope-quote"),
    pytest.param(["--scope", "a\\b"], "is not a valid scope", id="scope-backslash"),
    pytest.param(["--scope", "café"], "'café' is not a valid scope", id="scope-non-ascii"),
    pytest.param(["--scope", "tab\there"], "is not a valid scope", id="scope-tab"),
]
BAD_REDIRECT_URIS = [
    pytest.param("/authorized", "is not absolute", id="relative-path"),
    pytest.param("app.example/cb", "is not absolute", id="no-scheme"),
    pytest.param("localhost:8000/cb", "is not absolute", id="host-port-no-scheme"),
    pytest.param("https://app.example/cb#top", "has a fragment", id="fragment"),
    pytest.param("https://app.example/cb#", "has a fragment", id="empty-fragment"),
    pytest.param("https:///cb", "has no host", id="no-host"),
    pytest.param("https://app.example/a b", "is not a URI", id="space"),
    pytest.param("", "is not a URI", id="empty"),
    pytest.param("https://app.example:99999/cb", "is not a valid URI", id="port"),
    pytest.param("javascript:alert(1)", "javascript: scheme", id="javascript"),
    pytest.param("data:text/html,hi", "data: scheme", id="data"),
]


@pytest.mark.parametrize(("options", "named"), BAD_OPTIONS)
def test_create_client_refuses_bad_values(
    cli: tuple[FlaskCliRunner, Any], options: list[str], named: str
) -> None:
    runner, session = cli
    refused = create(runner, "--redirect-uri", REDIRECT, *options)
    assert refused.exit_code == 2, refused.output
    assert f"Invalid value for '{options[0]}'" in refused.output and named in refused.output
    assert session.query(Client).count() == 0


@pytest.mark.parametrize(("uri", "problem"), BAD_REDIRECT_URIS)
def test_create_client_refuses_bad_redirect_uris(
    cli: tuple[FlaskCliRunner, Any], uri: str, problem: str
) -> None:
    runner, session = cli
    refused = create(runner, "--redirect-uri", REDIRECT, "--redirect-uri", uri)
    assert refused.exit_code == 2, refused.output
    assert "Invalid value for '--redirect-uri'" in refused.output
    assert repr(uri) in refused.output and problem in refused.output
    assert session.query(Client).count() == 0


def test_public_client_cannot_use_client_credentials(cli: tuple[FlaskCliRunner, Any]) -> None:
    runner, session = cli
    refused = create(
        runner, "--public", "--redirect-uri", REDIRECT, "--grant-type", "client_credentials"
    )
    assert refused.exit_code == 2
    assert "'client_credentials' needs a confidential client" in refused.output
    assert session.query(Client).count() == 0


@pytest.mark.parametrize(
    ("option", "value", "column"),
    [
        ("--grant-type", "authorization_code", "allowed_grant_types"),
        ("--response-type", "code", "allowed_response_types"),
    ],
)
def test_restrictions_need_a_model_that_stores_them(option: str, value: str, column: str) -> None:
    """A 0.9.6-style client model has no column for them: refused, not silently dropped."""
    from legacy_app import legacy_app

    app, _, _ = legacy_app("sqlite://")
    app.cli.add_command(oauth2)
    refused = create(app.test_cli_runner(), "--redirect-uri", REDIRECT, option, value)
    assert refused.exit_code == 2
    assert f"{option}: the client model has no {column}" in refused.output


def test_client_ids_never_start_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """``revoke-client -abc`` would read the id as an option (a flaky exit code 2)."""
    from flask_oauthlib_contrib_sqla import cli as module

    drawn = iter(["-looks-like-an-option", "plain-id"])
    monkeypatch.setattr(module.secrets, "token_urlsafe", lambda n: next(drawn))
    assert module._new_client_id() == "plain-id"
