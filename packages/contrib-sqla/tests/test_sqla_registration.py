"""Dynamic client registration (RFC 7591, RFC 7592) on bind_sqlalchemy with the ready
models, on SQLite and the real PostgreSQL: a client registers over HTTP, the row keeps
only hashes of its secret and registration access token, and the client logs in with
Authlib (code + PKCE); reading, updating and deleting the registration change the row."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from flask import Flask
from sqla_app import Client, Grant, Token, create_app, database
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import sessionmaker

from flask_oauthlib_contrib_sqla import ClientMixin, binding_for, hash_secret
from flask_oauthlib_core.testing import consent, redirect_location

LOOPBACK = "http://127.0.0.1/callback"
REGISTRATION_COLUMNS = (
    "token_endpoint_auth_method",
    "client_id_issued_at",
    "client_secret_expires_at",
    "registration_access_token_hash",
    "client_metadata",
)


class Site:
    """A provider on the database with registration on, served."""

    def __init__(self, app: Flask, oauth: Any, session: Any, url: str) -> None:
        self.app, self.oauth, self.session, self.url = app, oauth, session, url

    def register(self, metadata: dict[str, Any]) -> requests.Response:
        return requests.post(self.url + "/oauth/register", json=metadata, timeout=10)

    def row(self, client_id: str) -> Client | None:
        self.session.expire_all()
        return self.session.get(Client, client_id)

    def count(self, model: Any) -> int:
        self.session.expire_all()
        return int(self.session.execute(select(func.count()).select_from(model)).scalar_one())

    def login(self, info: dict[str, Any], redirect_uri: str) -> dict[str, Any]:
        """Authlib's client, as the registered client: code + PKCE S256, alice allows."""
        client = OAuth2Session(
            info["client_id"],
            info.get("client_secret"),
            token_endpoint_auth_method=info["token_endpoint_auth_method"],
            scope="email",
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
        )
        verifier = "k" * 64
        url, _ = client.create_authorization_url(
            self.url + "/oauth/authorize", code_verifier=verifier
        )
        callback = redirect_location(consent(url))
        token: dict[str, Any] = client.fetch_token(
            self.url + "/oauth/token", authorization_response=callback, code_verifier=verifier
        )
        return token


def columns(row: Any) -> dict[str, Any]:
    return {attr.key: getattr(row, attr.key) for attr in inspect(row).mapper.column_attrs}


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, serve: Callable[[Flask], str]) -> Iterator[Site]:
    with database(request.param) as engine:
        app, oauth, session = create_app(engine)
        app.config.update(
            OAUTH2_PROVIDER_REGISTRATION_ENABLED=True,
            OAUTH2_PROVIDER_REGISTRATION_SCOPES=["email", "profile"],
        )

        @app.route("/oauth/register", methods=["POST"])
        @oauth.registration_handler
        def register() -> None:
            return None

        @app.route("/oauth/register/<client_id>", methods=["GET", "PUT", "DELETE"])
        @oauth.client_configuration_handler
        def configure(client_id: str) -> None:
            return None

        try:
            yield Site(app, oauth, session, serve(app))
        finally:
            session.remove()


def test_a_registered_public_client_logs_in_and_only_hashes_are_stored(site: Site) -> None:
    answer = site.register(
        {
            "redirect_uris": [LOOPBACK],
            "token_endpoint_auth_method": "none",
            "client_name": "Agent",
            "contacts": ["ops@agent.example"],
        }
    )
    assert answer.status_code == 201, answer.text
    info = answer.json()
    row = site.row(info["client_id"])
    assert row is not None
    assert row.registration_access_token_hash == hash_secret(info["registration_access_token"])
    assert info["registration_access_token"] not in repr(columns(row))
    assert row.client_secret_hash is None and row.is_confidential is False
    assert row.token_endpoint_auth_method == "none"
    assert row.client_id_issued_at == info["client_id_issued_at"]
    assert row.name == "Agent"
    assert json.loads(row.client_metadata_text or "") == {
        "client_name": "Agent",
        "contacts": ["ops@agent.example"],
    }
    assert row.allowed_grant_types == ["authorization_code"]
    assert row.default_scopes == ["email", "profile"]
    token = site.login(info, "http://127.0.0.1:50123/callback")
    headers = {"Authorization": "Bearer " + token["access_token"]}
    me = requests.get(site.url + "/api/me", headers=headers, timeout=10)
    assert me.json() == {"username": "alice"}


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_registered_confidential_client_logs_in(site: Site, method: str) -> None:
    info = site.register(
        {"redirect_uris": ["https://agent.example/cb"], "token_endpoint_auth_method": method}
    ).json()
    row = site.row(info["client_id"])
    assert row is not None and row.is_confidential
    assert row.client_secret_hash == hash_secret(info["client_secret"])
    assert info["client_secret"] not in repr(columns(row))
    assert row.client_secret_expires_at == 0
    token = site.login(info, "https://agent.example/cb")
    assert token["access_token"]


def test_read_update_delete_on_the_database(site: Site) -> None:
    info = site.register({"redirect_uris": [LOOPBACK], "token_endpoint_auth_method": "none"}).json()
    client_id, uri = info["client_id"], info["registration_client_uri"]
    good = {"Authorization": "Bearer " + info["registration_access_token"]}
    wrong = {"Authorization": "Bearer " + "x" * 43}
    for method in ("GET", "PUT", "DELETE"):
        refused = requests.request(method, uri, headers=wrong, json={}, timeout=10)
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    read = requests.get(uri, headers=good, timeout=10)
    assert read.status_code == 200 and read.json()["client_id"] == client_id
    update = {
        "client_id": client_id,
        "redirect_uris": ["com.example.agent:/cb"],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": "email",
        "logo_uri": "https://agent.example/logo.png",
    }
    updated = requests.put(uri, headers=good, json=update, timeout=10)
    assert updated.status_code == 200, updated.text
    row = site.row(client_id)
    assert row is not None and row.redirect_uris == ["com.example.agent:/cb"]
    assert row.allowed_grant_types == ["authorization_code", "refresh_token"]
    assert row.client_metadata == {"logo_uri": "https://agent.example/logo.png"}
    assert row.registration_access_token_hash == hash_secret(info["registration_access_token"])
    # a bad update leaves the row as it was
    before = columns(row)
    bad = requests.put(uri, headers=good, json={**update, "scope": "admin"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client_metadata"
    assert columns(site.row(client_id)) == before

    # its codes and tokens go with it
    token = site.login({**info, **update}, "com.example.agent:/cb")
    assert site.count(Token) == 1 and site.count(Grant) == 1
    deleted = requests.delete(uri, headers=good, timeout=10)
    assert deleted.status_code == 204
    assert site.row(client_id) is None
    assert site.count(Token) == 0 and site.count(Grant) == 0
    headers = {"Authorization": "Bearer " + token["access_token"]}
    assert requests.get(site.url + "/api/me", headers=headers, timeout=10).status_code == 401
    assert requests.get(uri, headers=good, timeout=10).status_code == 401


@pytest.mark.parametrize(
    "metadata",
    [
        {"redirect_uris": ["http://agent.example/cb"]},
        {"redirect_uris": [LOOPBACK], "client_name": "nul\x00byte"},
        {"redirect_uris": [LOOPBACK], "scope": "admin"},
        {"redirect_uris": [LOOPBACK], "client_name": "x" * 201},
    ],
)
def test_refused_registrations_write_nothing(site: Site, metadata: dict[str, Any]) -> None:
    before = site.count(Client)
    answer = site.register(metadata)
    assert answer.status_code == 400, answer.text
    assert site.count(Client) == before


def test_the_binding_registers_a_clientsetter_only_for_models_that_can_keep_tokens(
    site: Site,
) -> None:
    assert "clientsetter" in site.oauth._getters
    assert issubclass(Client, ClientMixin)
    binding = binding_for(site.oauth)
    assert binding is not None and binding.client_model is Client


def test_models_written_as_the_096_docs_show_get_no_registration() -> None:
    from legacy_app import legacy_app

    app, _, _ = legacy_app("sqlite://")
    oauth = app.extensions["oauthlib.provider.oauth2"]
    assert "clientsetter" not in oauth._getters
    app.config["OAUTH2_PROVIDER_REGISTRATION_ENABLED"] = True

    @app.route("/.well-known/oauth-authorization-server")
    @oauth.metadata_handler
    def metadata() -> dict[str, Any]:
        return {}

    @app.route("/oauth/register", methods=["POST"])
    @oauth.registration_handler
    def register() -> None:
        return None

    client = app.test_client()
    assert "registration_endpoint" not in client.get("/.well-known/oauth-authorization-server").json
    assert client.post("/oauth/register", json={"redirect_uris": [LOOPBACK]}).status_code == 404


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_readme_upgrade_adds_the_registration_columns(kind: str) -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    added = [
        line
        for line in readme.splitlines()
        if line.startswith("ALTER TABLE oauth2_client")
        and any(f" {name} " in line for name in REGISTRATION_COLUMNS)
    ]
    assert len(added) == len(REGISTRATION_COLUMNS), added
    with database(kind) as engine:
        with engine.begin() as conn:  # the table as 1.0 made it
            for name in REGISTRATION_COLUMNS:
                conn.execute(text(f"ALTER TABLE oauth2_client DROP COLUMN {name}"))
            for line in added:
                conn.execute(text(line))
        session = sessionmaker(engine)()
        client = Client(client_id="upgraded", token_endpoint_auth_method="none")
        client.client_metadata = {"client_name": "old db"}
        client.registration_access_token_hash = hash_secret("t")
        client.client_id_issued_at = client.client_secret_expires_at = 2**40
        session.add(client)
        session.commit()
        session.expire_all()
        stored = session.get(Client, "upgraded")
        assert stored is not None and stored.client_metadata == {"client_name": "old db"}
        assert stored.client_secret_expires_at == 2**40
        session.close()
