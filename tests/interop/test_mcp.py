"""The official MCP Python SDK against our provider, over real HTTP on 127.0.0.1, with the
MCP example (``examples/mcp_authorization_server``) as the apps under test.

The authorization server is the example's Flask app (``OAuth2Provider`` with
``bind_sqlalchemy`` on SQLite); the MCP server is built with the SDK (``MCPServer``,
streamable HTTP, served by uvicorn) and checks each token by introspection at our
provider, refusing tokens whose audience is another resource. The SDK's client
(``OAuthClientProvider``) knows only the MCP server's URL and does the rest itself:
discovery from the 401, our metadata, dynamic registration, the code flow with PKCE and
``resource``, the refresh of an expired token; the test only plays the user in the
browser (sign in, allow: ``tests/mcp_user.py``).

These tests need the SDK (``hatch run mcp:all``); the default and min environments
deselect them by their marker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from mcp_user import ALICE, CSRF_FIELD, Person

from flask_oauthlib_core.testing import free_port, redirect_location

pytestmark = pytest.mark.mcp

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "mcp_authorization_server"
#: what a JSON-RPC client sends first
INITIALIZE: dict[str, Any] = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream"}


@dataclass
class Servers:
    """The example's authorization server and MCP servers, served for one test."""

    issuer: str
    secret: str
    mcp_urls: list[str]
    database_url: str

    def introspect(self, token: str) -> dict[str, Any]:
        """What the authorization server tells the MCP servers about ``token``."""
        from mcp_authorization_server.authorization_server import RESOURCE_SERVER_ID

        answer = requests.post(
            self.issuer + "/oauth/introspect",
            data={"token": token},
            auth=(RESOURCE_SERVER_ID, self.secret),
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        claims: dict[str, Any] = answer.json()
        return claims

    def rows(self, model: type[Any], **criteria: Any) -> list[Any]:
        """The rows of ``model`` (the example's) the authorization server stored, with
        ``criteria``, in the order they were made."""
        from sqlalchemy import create_engine, select
        from sqlalchemy.orm import Session

        engine = create_engine(self.database_url)
        try:
            with Session(engine) as db:
                query = select(model).filter_by(**criteria).order_by(*model.__table__.primary_key)
                rows = list(db.execute(query).unique().scalars())
                db.expunge_all()
                return rows
        finally:
            engine.dispose()


@pytest.fixture
def servers(serve: Callable[..., str], tmp_path: Path) -> Iterator[Callable[..., Servers]]:
    """``start(count, **config)``: the authorization server (``config`` added to its
    own) and ``count`` MCP servers (each on a port of its own, at ``/mcp``), all of them
    allowed resources; stopped after the test."""
    import secrets

    from mcp_authorization_server.authorization_server import RESOURCE_SERVER_ID, create_app
    from mcp_authorization_server.mcp_server import McpServerThread
    from mcp_authorization_server.mcp_server import create_app as create_mcp_app

    running: list[McpServerThread] = []

    def start(count: int, **config: Any) -> Servers:
        issuer = f"http://127.0.0.1:{free_port()}"
        ports = [free_port() for _ in range(count)]
        mcp_urls = [f"http://127.0.0.1:{port}/mcp" for port in ports]
        secret = secrets.token_urlsafe(32)
        database_url = f"sqlite:///{tmp_path}/authorization_server.sqlite"
        app = create_app(issuer, mcp_urls[0], secret, database_url)
        app.config.update(OAUTH2_PROVIDER_ALLOWED_RESOURCES=mcp_urls, **config)
        assert serve(app, port=int(issuer.rsplit(":", 1)[1])) == issuer
        for port, url in zip(ports, mcp_urls, strict=True):
            thread = McpServerThread(create_mcp_app(url, issuer, RESOURCE_SERVER_ID, secret), port)
            thread.start()
            running.append(thread)
        return Servers(issuer, secret, mcp_urls, database_url)

    try:
        yield start
    finally:
        for thread in running:
            thread.stop()


def test_sdk_client_discovers_registers_signs_in_and_calls_the_tool(
    servers: Callable[..., Servers],
) -> None:
    from mcp_authorization_server.authorization_server import Client, Grant, Token
    from mcp_authorization_server.mcp_client import MemoryStorage

    site = servers(1)
    (mcp_url,) = site.mcp_urls
    person, storage = Person(), MemoryStorage()
    answer = person.call_whoami(mcp_url, storage)
    client_info, tokens = storage.client_info, storage.tokens
    assert client_info is not None and tokens is not None
    assert answer == f"Hello alice! Client {client_info.client_id} called with scopes ['tools']."

    # the SDK registered itself (RFC 7591) with its loopback redirect URI
    (client,) = site.rows(Client, client_id=client_info.client_id)
    assert client.name == "flask-oauthlib MCP example client"
    assert [urlsplit(uri).hostname for uri in client.redirect_uris] == ["127.0.0.1"]
    assert client.registration_access_token_hash and client.is_confidential
    assert client_info.token_endpoint_auth_method == "client_secret_basic"
    # the user was sent to our authorization endpoint with PKCE S256 and the MCP server
    # as resource (RFC 8707), found from its metadata (RFC 9728); the consent page named it
    (url,) = person.visited
    assert url.startswith(site.issuer + "/oauth/authorize?")
    params = parse_qs(urlsplit(url).query)
    assert params["code_challenge_method"] == ["S256"] and params["resource"] == [mcp_url]
    assert params["scope"] == ["tools"] and params["client_id"] == [client_info.client_id]
    assert f"<code>{mcp_url}</code>" in person.consent_pages[0]
    (grant,) = site.rows(Grant)
    assert grant.code_challenge_method == "S256" and grant.resources == [mcp_url]
    # the token's audience is the MCP server: stored, and answered by introspection
    (token,) = site.rows(Token)
    assert token.resources == [mcp_url] and token.user.username == "alice"
    claims = site.introspect(tokens.access_token)
    assert claims["active"] is True and claims["aud"] == mcp_url
    assert claims["client_id"] == client_info.client_id and claims["scope"] == "tools"

    # the next session reuses registration and token: nobody is asked again
    assert person.call_whoami(mcp_url, storage) == answer and len(person.visited) == 1


def test_a_token_for_another_resource_is_refused(servers: Callable[..., Servers]) -> None:
    """Two MCP servers behind one authorization server: a token the SDK got for the
    second opens the second and not the first (401 ``invalid_token``, pointing at the
    first's metadata); introspection says why (its ``aud``)."""
    from mcp_authorization_server.mcp_client import MemoryStorage

    site = servers(2)
    first, second = site.mcp_urls
    person, storage = Person(), MemoryStorage()
    answer = person.call_whoami(second, storage)
    assert answer.startswith("Hello alice!")
    assert storage.tokens is not None
    token = storage.tokens.access_token
    claims = site.introspect(token)
    assert claims["active"] is True and claims["aud"] == second

    bearer = {**MCP_HEADERS, "Authorization": "Bearer " + token}
    opened = requests.post(second, json=INITIALIZE, headers=bearer, timeout=10)
    assert opened.status_code == 200, opened.text
    refused = requests.post(first, json=INITIALIZE, headers=bearer, timeout=10)
    assert refused.status_code == 401, refused.text
    challenge = refused.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge
    metadata = first.replace("/mcp", "/.well-known/oauth-protected-resource/mcp")
    assert f'resource_metadata="{metadata}"' in challenge

    # the same user, signing in for the first server through the SDK, gets a token for it
    assert person.call_whoami(first, storage) == answer and len(person.visited) == 2
    assert storage.tokens.access_token != token
    assert site.introspect(storage.tokens.access_token)["aud"] == first


def test_the_sdk_refreshes_an_expired_token_for_the_same_resource(
    servers: Callable[..., Servers],
) -> None:
    """Tokens live 4 seconds: the SDK's next call in the session refreshes the token
    (with ``resource``) instead of asking the user again; the new token has the MCP
    server as audience (the MCP server took it), and the refresh token was rotated."""
    import anyio
    import httpx2
    from mcp import Client
    from mcp.client.auth import OAuthClientProvider
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared.auth import OAuthClientMetadata
    from mcp_authorization_server.authorization_server import Token
    from mcp_authorization_server.mcp_client import LoopbackCallback, MemoryStorage

    site = servers(1, OAUTH2_PROVIDER_TOKEN_EXPIRES_IN=4)
    (mcp_url,) = site.mcp_urls
    person, storage = Person(), MemoryStorage()
    issued: list[str] = []

    async def call_twice() -> None:
        with LoopbackCallback() as callback:
            metadata = OAuthClientMetadata(
                client_name="refreshing client",
                redirect_uris=[callback.redirect_uri],  # type: ignore[list-item]
            )
            auth = OAuthClientProvider(
                mcp_url, metadata, storage, person.redirect_handler, callback.wait
            )
            async with (
                httpx2.AsyncClient(auth=auth, timeout=30) as http,
                Client(streamable_http_client(mcp_url, http_client=http)) as client,
            ):
                for call in range(2):
                    if call:
                        await anyio.sleep(5)  # the token expires
                    result = await client.call_tool("whoami")
                    assert not result.is_error, result.content
                    assert storage.tokens is not None
                    issued.append(storage.tokens.access_token)

    anyio.run(call_twice)
    first, second = issued
    assert first != second and len(person.visited) == 1
    *old, new = site.rows(Token)  # one refresh, or more on a slow machine
    assert old and all(token.revoked for token in old) and not new.revoked
    assert {token.family for token in old} == {new.family}
    assert all(token.resources == [mcp_url] for token in [*old, new])
    assert site.introspect(first) == {"active": False}


def test_a_denied_sign_in_gives_no_token(servers: Callable[..., Servers]) -> None:
    """The user denies: our provider sends ``access_denied`` back to the client's loopback
    redirect URI, the SDK's flow stops there, and no code or token is issued."""
    from mcp.client.auth import OAuthFlowError
    from mcp_authorization_server.authorization_server import Grant, Token
    from mcp_authorization_server.mcp_client import MemoryStorage

    site = servers(1)
    person, storage = Person(allow=False), MemoryStorage()
    with pytest.raises(OAuthFlowError, match="sign-in failed: access_denied"):
        person.call_whoami(site.mcp_urls[0], storage)
    assert len(person.visited) == 1 and storage.tokens is None
    assert storage.client_info is not None  # registered before the user was asked
    assert site.rows(Grant) == [] and site.rows(Token) == []


def test_open_registration_gives_no_machine_client(servers: Callable[..., Servers]) -> None:
    """The third outside review: anyone could register a loopback client with
    client_credentials and get a token for the MCP server without a user or consent."""
    site = servers(1)
    (mcp_url,) = site.mcp_urls
    machine = {
        "redirect_uris": ["http://127.0.0.1/cb"],
        "grant_types": ["authorization_code", "client_credentials"],
        "token_endpoint_auth_method": "client_secret_basic",
        "scope": "tools",
    }
    refused = requests.post(site.issuer + "/oauth/register", json=machine, timeout=10)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    # nor can an openly registered client add the grant later
    plain = {key: machine[key] for key in ("redirect_uris", "token_endpoint_auth_method")}
    answer = requests.post(site.issuer + "/oauth/register", json=plain, timeout=10).json()
    update = {**plain, "client_id": answer["client_id"], "grant_types": machine["grant_types"]}
    changed = requests.put(
        answer["registration_client_uri"],
        json=update,
        headers={"Authorization": "Bearer " + answer["registration_access_token"]},
        timeout=10,
    )
    assert changed.status_code == 400 and changed.json()["error"] == "invalid_client_metadata"
    token = requests.post(
        site.issuer + "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "tools", "resource": mcp_url},
        auth=(answer["client_id"], answer.get("client_secret", "")),
        timeout=10,
    )
    assert token.status_code in (400, 401), token.text


def test_a_token_without_audience_is_refused(servers: Callable[..., Servers]) -> None:
    """A code exchanged without ``resource`` gives a token with no audience: the MCP
    server refuses it, while the same flow naming the server opens it. The refresh token
    that comes with it is no access token there (introspection gives it no type)."""
    import secrets

    from flask_oauthlib_core.testing import pkce_pair

    site = servers(1)
    (mcp_url,) = site.mcp_urls
    callback = f"http://127.0.0.1:{free_port()}/callback"
    registered = requests.post(
        site.issuer + "/oauth/register",
        json={
            "redirect_uris": [callback],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
        },
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]

    def token(resource: str | None) -> dict[str, Any]:
        verifier, challenge = pkce_pair()
        query: dict[str, str] = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": callback,
            "scope": "tools",
            "state": secrets.token_urlsafe(8),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if resource:
            query["resource"] = resource
        browser = requests.Session()
        page = browser.get(site.issuer + "/oauth/authorize", params=query, timeout=10)
        page = browser.post(page.url, data=ALICE, timeout=10)
        csrf = CSRF_FIELD.search(page.text)
        assert csrf, page.text
        decision = {"confirm": "yes", "csrf_token": csrf.group(1)}
        allowed = browser.post(page.url, data=decision, allow_redirects=False, timeout=10)
        code = parse_qs(urlsplit(redirect_location(allowed)).query)["code"][0]
        issued = requests.post(
            site.issuer + "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": client_id,
                "redirect_uri": callback,
                "code_verifier": verifier,
            },
            timeout=10,
        )
        assert issued.status_code == 200, issued.text
        return dict(issued.json())

    without = token(None)["access_token"]
    assert "aud" not in site.introspect(without)
    bearer = {**MCP_HEADERS, "Authorization": "Bearer " + without}
    assert requests.post(mcp_url, json=INITIALIZE, headers=bearer, timeout=10).status_code == 401
    named = token(mcp_url)
    bearer["Authorization"] = "Bearer " + named["access_token"]
    assert requests.post(mcp_url, json=INITIALIZE, headers=bearer, timeout=10).status_code == 200
    bearer["Authorization"] = "Bearer " + named["refresh_token"]
    assert requests.post(mcp_url, json=INITIALIZE, headers=bearer, timeout=10).status_code == 401


@pytest.mark.packaging
def test_the_example_runs_with_one_command(tmp_path: Path) -> None:
    """``bash examples/mcp_authorization_server/run.sh``, as a newcomer runs it: it sets
    up its venv, starts both servers, prints their URLs, and its MCP client sends the
    browser (``BROWSER``: a person signing in) to sign in, then prints the tool's answer.
    The servers go on serving another MCP client until SIGINT."""
    as_port, mcp_port = free_port(), free_port()
    command = ["bash", str(EXAMPLE / "run.sh"), "--as-port", str(as_port), "--mcp-port"]
    command += [str(mcp_port), "--database-url", f"sqlite:///{tmp_path}/example.sqlite"]
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["BROWSER"] = f"{sys.executable} {ROOT / 'tests' / 'mcp_user.py'} %s"
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 600  # the first run installs the SDK
        while time.monotonic() < deadline:
            line = process.stdout.readline()  # type: ignore[union-attr]
            if not line and process.poll() is not None:
                break
            output.append(line)
            if line.startswith("Serving until Ctrl-C"):
                break
        printed = "".join(output)
        mcp_url = f"http://127.0.0.1:{mcp_port}/mcp"
        assert f"Authorization server: http://127.0.0.1:{as_port}" in printed, printed
        assert f"MCP server:           {mcp_url}" in printed, printed
        assert f"  http://127.0.0.1:{as_port}/oauth/authorize?" in printed, printed
        assert "Tool answer: Hello alice! Client " in printed, printed
        # another MCP client, while it serves
        person = Person()
        assert person.call_whoami(mcp_url).startswith("Hello alice! Client ")
        assert len(person.visited) == 1
    finally:
        process.send_signal(signal.SIGINT)
        try:
            rest, _ = process.communicate(timeout=30)
        finally:
            process.kill()
    assert process.returncode == 0, "".join(output) + rest
    assert rest.rstrip().endswith("Stopped."), rest
