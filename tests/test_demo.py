"""The demo: a login with requests against the apps in-process, its login page's ``next``,
its pages for people (HTML, never JSON or an exception's type), a taken port, and the
README's demo command started as a subprocess on a fresh venv."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

import pytest
import requests
from flask import Flask

from flask_oauthlib_core.testing import free_port

ROOT = Path(__file__).resolve().parents[1]
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


def assert_page_for_people(answer: Any, *raw: str) -> None:
    """An HTML page of the demo's layout with an error box; no JSON, none of ``raw``."""
    assert answer.mimetype == "text/html", answer.text
    assert VIEWPORT in answer.text and 'role="alert"' in answer.text
    assert '{"error"' not in answer.text and "Traceback" not in answer.text
    for kind in raw:
        assert kind not in answer.text, kind


def log_in(client_url: str, allow: bool = True) -> requests.Response:
    """Click through the demo as a user would: login link, sign-in form, consent."""
    browser = requests.Session()
    authorize = browser.get(client_url + "/login", allow_redirects=False).headers["Location"]
    to_login = browser.get(authorize, allow_redirects=False)
    assert to_login.status_code == 303
    signed_in = browser.post(
        urljoin(authorize, to_login.headers["Location"]),
        data={"username": "alice", "password": "wonderland"},
        allow_redirects=False,
    )
    consent = browser.get(urljoin(authorize, signed_in.headers["Location"]))
    assert "profile" in consent.text and consent.headers["X-Frame-Options"] == "DENY"
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', consent.text)
    assert csrf_token, consent.text
    decision = {"confirm": "yes" if allow else "no", "csrf_token": csrf_token.group(1)}
    return browser.post(authorize, data=decision)


def test_demo_login_in_process(serve: Callable[..., str], tmp_path: Path) -> None:
    from demo_apps import start_demo

    demo = start_demo(serve, tmp_path)
    landed = log_in(demo.client_url)
    assert re.search(r"Hello, Alice Liddell!", landed.text), landed.text
    denied = log_in(demo.client_url, allow=False)
    assert denied.status_code == 403 and "You did not allow access." in denied.text
    metadata = requests.get(
        demo.provider_url + "/.well-known/oauth-authorization-server", timeout=10
    ).json()
    assert "token" not in metadata["response_types_supported"]  # implicit is off in the demo


def test_demo_is_an_openid_provider(serve: Callable[..., str], tmp_path: Path) -> None:
    """The demo client logs in with ``openid profile email`` and shows the claims of the ID
    token it verified; discovery, keys and userinfo are served; ``prompt=login`` sends a
    signed-in user to the login page again."""
    import jwt
    from demo_apps import start_demo

    demo = start_demo(serve, tmp_path)
    landed = log_in(demo.client_url)
    assert "Verified ID token" in landed.text, landed.text
    assert 'id="self-registered"' not in landed.text
    assert re.search(r'<code id="sub">1</code>', landed.text), landed.text
    assert re.search(r'id="email">alice@example.com \(verified by the provider\)', landed.text)
    assert re.search(r'id="auth-time">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC', landed.text)

    discovery = requests.get(demo.provider_url + "/.well-known/openid-configuration", timeout=10)
    document = discovery.json()
    assert document["issuer"] == demo.provider_url
    assert document["jwks_uri"] == demo.provider_url + "/oauth/jwks"
    assert document["userinfo_endpoint"] == demo.provider_url + "/oauth/userinfo"
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(document["scopes_supported"]) == {"openid", "profile", "email"}
    (key,) = requests.get(document["jwks_uri"], timeout=10).json()["keys"]
    assert key["kty"] == "RSA" and "d" not in key  # the public half only

    # a relying party of its own checks an ID token of the demo with PyJWT
    browser = requests.Session()
    callback = demo.client_url + "/authorized"
    query = urlencode(
        {
            "response_type": "code",
            "client_id": "demo-client",
            "redirect_uri": callback,
            "scope": "openid email",
            "state": "s",
            "nonce": "n-1",
        }
    )
    authorize = f"{demo.provider_url}/oauth/authorize?{query}"
    to_login = browser.get(authorize, allow_redirects=False)
    browser.post(
        urljoin(authorize, to_login.headers["Location"]),
        data={"username": "alice", "password": "wonderland"},
    )
    consent = browser.get(authorize)
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', consent.text)
    assert csrf_token and 'data-scope="openid"' in consent.text, consent.text
    decided = browser.post(
        authorize,
        data={"confirm": "yes", "csrf_token": csrf_token.group(1)},
        allow_redirects=False,
    )
    code = re.search(r"code=([^&]+)", decided.headers["Location"])
    assert code, decided.headers
    token = requests.post(
        document["token_endpoint"],
        data={"grant_type": "authorization_code", "code": code.group(1), "redirect_uri": callback},
        auth=("demo-client", "demo-client-secret"),
        timeout=10,
    ).json()
    claims = jwt.decode(
        token["id_token"],
        jwt.PyJWK(key).key,
        algorithms=["RS256"],
        audience="demo-client",
        issuer=demo.provider_url,
    )
    assert claims["sub"] == "1" and claims["nonce"] == "n-1" and claims["auth_time"]
    bearer = {"Authorization": "Bearer " + token["access_token"]}
    assert requests.get(document["userinfo_endpoint"], headers=bearer, timeout=10).json() == {
        "sub": "1",
        "email": "alice@example.com",
        "email_verified": True,
    }

    # prompt=login: signed in, yet sent to the login page again (times are whole seconds:
    # a login in the second the request arrived counts as after it)
    time.sleep(1.05)
    again = browser.get(authorize + "&prompt=login", allow_redirects=False)
    assert again.status_code == 303 and "/login?next=" in again.headers["Location"]


def test_demo_registers_loopback_clients_and_describes_its_api(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    """Registration is open for clients whose redirect URIs are all loopback; any other
    needs the initial access token. A registered public client logs in with PKCE and
    gets a token for /api/me, whose 401 points to its resource metadata."""
    from authlib.integrations.requests_client import OAuth2Session
    from demo_apps import start_demo

    from flask_oauthlib_core.testing import code_verifier

    demo = start_demo(serve, tmp_path, initial_access_token="demo-iat-4f2a")
    document = requests.get(
        demo.provider_url + "/.well-known/oauth-authorization-server", timeout=10
    ).json()
    register = document["registration_endpoint"]
    assert register == demo.provider_url + "/oauth/register"
    cli = {
        "client_name": "A CLI",
        "redirect_uris": ["http://127.0.0.1:8765/callback"],
        "token_endpoint_auth_method": "none",
        "scope": "openid profile",
    }
    answer = requests.post(register, json=cli, timeout=10)
    assert answer.status_code == 201, answer.text
    client = answer.json()
    assert "client_secret" not in client and client["registration_access_token"]
    web = {"redirect_uris": ["https://app.example.com/callback"], "client_name": "A web app"}
    refused = requests.post(register, json=web, timeout=10)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    wrong = {"Authorization": "Bearer not-the-token"}
    assert requests.post(register, json=web, headers=wrong, timeout=10).status_code == 401
    good = {"Authorization": "Bearer demo-iat-4f2a"}
    assert requests.post(register, json=web, headers=good, timeout=10).status_code == 201
    # the outside review: open registration must not give a machine client (client
    # credentials) nor a logout redirect to another site
    machine = {**cli, "grant_types": ["authorization_code", "client_credentials"]}
    machine["token_endpoint_auth_method"] = "client_secret_basic"
    assert requests.post(register, json=machine, timeout=10).status_code == 401
    away = {**cli, "post_logout_redirect_uris": ["https://evil.example/phish"]}
    assert requests.post(register, json=away, timeout=10).status_code == 401
    # and the seeded client, whose secret is in the demo's source, signs people in only
    seeded = requests.post(
        document["token_endpoint"],
        data={"grant_type": "client_credentials", "scope": "profile"},
        auth=("demo-client", "demo-client-secret"),
        timeout=10,
    )
    assert seeded.status_code == 400 and seeded.json()["error"] == "unauthorized_client"

    # /api/me: a 401 names its resource metadata, which names this server
    unauthorized = requests.get(demo.provider_url + "/api/me", timeout=10)
    assert unauthorized.status_code == 401
    resource = demo.provider_url + "/api/me"
    metadata_url = demo.provider_url + "/.well-known/oauth-protected-resource/api/me"
    assert f'resource_metadata="{metadata_url}"' in unauthorized.headers["WWW-Authenticate"]
    described = requests.get(metadata_url, timeout=10).json()
    assert described["resource"] == resource
    assert described["authorization_servers"] == [demo.provider_url]

    # the registered CLI logs in (PKCE, public) and gets a token for /api/me only
    session = OAuth2Session(
        client["client_id"],
        scope="openid profile",
        redirect_uri=cli["redirect_uris"][0],
        code_challenge_method="S256",
    )
    verifier = code_verifier()
    uri, _ = session.create_authorization_url(
        document["authorization_endpoint"], code_verifier=verifier, nonce="n", resource=resource
    )
    browser = requests.Session()
    to_login = browser.get(uri, allow_redirects=False)
    browser.post(
        urljoin(uri, to_login.headers["Location"]),
        data={"username": "alice", "password": "wonderland"},
    )
    consent = browser.get(uri)
    assert "A CLI" in consent.text, consent.text
    assert 'id="self-registered"' in consent.text  # its name is its own claim
    assert f'<code class="resource">{resource}</code>' in consent.text
    csrf_token = re.search(r'name="csrf_token" value="([^"]+)"', consent.text)
    assert csrf_token
    decided = browser.post(
        uri, data={"confirm": "yes", "csrf_token": csrf_token.group(1)}, allow_redirects=False
    )
    token = session.fetch_token(
        document["token_endpoint"],
        authorization_response=decided.headers["Location"],
        code_verifier=verifier,
        resource=resource,
    )
    bearer = {"Authorization": "Bearer " + token["access_token"]}
    me = requests.get(resource, headers=bearer, timeout=10)
    assert me.status_code == 200 and me.json()["username"] == "alice", me.text


def test_outdated_demo_database_is_named(tmp_path: Path) -> None:
    """A database an older demo made (its user table has no email column) stops the demo
    with a sentence, not an error deep in SQLAlchemy; the demo's own file starts afresh."""
    import sqlite3

    from demo_provider import OutdatedDatabase, create_provider

    database = tmp_path / "old.sqlite"
    with sqlite3.connect(database) as old:
        old.execute(
            "CREATE TABLE user (id INTEGER PRIMARY KEY, username VARCHAR(80),"
            " name VARCHAR(120), password_hash VARCHAR(200))"
        )
    with pytest.raises(OutdatedDatabase, match="table 'user' lacks email"):
        create_provider(f"sqlite:///{database}", "http://127.0.0.1:1/cb", "http://localhost")
    run = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "run_demo.py")]
        + [f"--provider-port={free_port()}", f"--client-port={free_port()}"]
        + ["--database-url", f"sqlite:///{database}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and run.stdout == "", run.stdout
    assert run.stderr.endswith(
        "table 'user' lacks email. Drop the demo's tables or use another --database-url.\n"
    ), run.stderr


OFFSITE_NEXT = [
    "https://attacker.example",
    "//attacker.example",
    "/\\attacker.example",
    "\\\\attacker.example",
    "https:attacker.example",
    "javascript:alert(1)",
    " //attacker.example",
    "\t//attacker.example",
    "/\t/attacker.example",  # browsers drop tabs and newlines inside URLs
    "/\n/attacker.example",
    "\x00//attacker.example",
    "attacker.example",
    "",
]


@pytest.fixture(scope="module")
def demo_provider(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    from demo_provider import create_provider

    database = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    return create_provider(f"sqlite:///{database}", "http://127.0.0.1:1/cb", "http://localhost")


@pytest.mark.parametrize("target", OFFSITE_NEXT)
def test_login_next_never_leaves_the_demo(demo_provider: Flask, target: str) -> None:
    """An open redirect: the sign-in form followed any ``next``."""
    assert signed_in_location(demo_provider, target) == "/"


@pytest.mark.parametrize(
    "target", ["/", "/oauth/authorize?client_id=demo-client&scope=profile", "/a//b?next=//x"]
)
def test_login_next_follows_local_paths(demo_provider: Flask, target: str) -> None:
    assert signed_in_location(demo_provider, target) == target


def test_demo_consent_needs_its_csrf_token(demo_provider: Flask) -> None:
    """The demo requires the token its consent form carries (OAUTH2_PROVIDER_CSRF_REQUIRED)."""
    authorize = "/oauth/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": "demo-client",
            "redirect_uri": "http://127.0.0.1:1/cb",
            "scope": "profile",
            "state": "s",
        }
    )
    browser = demo_provider.test_client()
    signed_in = browser.post("/login", data={"username": "alice", "password": "wonderland"})
    assert "SameSite=Lax" in signed_in.headers["Set-Cookie"]
    page = browser.get(authorize)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    for forged in ({"confirm": "yes"}, {"confirm": "yes", "csrf_token": "forged"}):
        refused = browser.post(authorize, data=forged)
        assert refused.status_code == 403 and "cross-site consent refused" in refused.text
    allowed = browser.post(authorize, data={"confirm": "yes", "csrf_token": token.group(1)})
    assert allowed.status_code == 302
    assert allowed.headers["Location"].startswith("http://127.0.0.1:1/cb?code=")


def test_provider_error_page_is_html(demo_provider: Flask) -> None:
    """A request the provider cannot send back to the client (an unknown client) lands on
    /oauth/errors: a page in plain words, not the JSON the demo used to answer."""
    browser = demo_provider.test_client()
    sent = browser.get(
        "/oauth/authorize?response_type=code&client_id=unknown&state=s", headers=BROWSER
    )
    assert sent.status_code == 302 and sent.headers["Location"].startswith("/oauth/errors?")
    page = browser.get(sent.headers["Location"], headers=BROWSER)
    assert page.status_code == 400
    assert_page_for_people(page, "invalid_request")
    assert "This request cannot be completed" in page.text
    assert "Invalid client_id parameter value." in page.text  # under "Technical details"
    escaped = browser.get("/oauth/errors?error=x&error_description=<script>", headers=BROWSER)
    assert "<script>" not in escaped.text and "&lt;script&gt;" in escaped.text
    # programs that ask for JSON still get it
    machine = browser.get(
        "/oauth/errors?error=access_denied", headers={"Accept": "application/json"}
    )
    assert machine.status_code == 400 and machine.json["error"] == "access_denied"


def test_back_after_signing_in_leads_back_to_the_client(demo_provider: Flask) -> None:
    """Back after a login reopens the pushed request's used-up ``request_uri``: the page
    says so in words and links to the demo client (it used to offer only the provider's
    home page)."""
    browser = demo_provider.test_client()
    used = "urn:ietf:params:oauth:request_uri:used-up"
    sent = browser.get(
        "/oauth/authorize?" + urlencode({"client_id": "demo-client", "request_uri": used}),
        headers=BROWSER,
    )
    assert sent.status_code == 302 and sent.headers["Location"].startswith("/oauth/errors?")
    page = browser.get(sent.headers["Location"], headers=BROWSER)
    assert page.status_code == 400
    assert "This sign-in link was already used" in page.text
    assert '<a class="button" href="http://127.0.0.1:1/">Back to the demo client</a>' in page.text


def test_provider_pages_for_people(demo_provider: Flask) -> None:
    browser = demo_provider.test_client()
    missing = browser.get("/no-such-page", headers=BROWSER)
    assert missing.status_code == 404
    assert_page_for_people(missing)
    wrong_method = browser.get("/logout", headers=BROWSER)
    assert wrong_method.status_code == 405 and "POST" in wrong_method.headers["Allow"]
    assert_page_for_people(wrong_method)
    home = browser.get("/")
    assert home.status_code == 200 and VIEWPORT in home.text and "Sign in" in home.text
    wrong = browser.post("/login", data={"username": "alice", "password": "x"})
    assert_page_for_people(wrong)
    assert "Wrong username or password." in wrong.text and 'value="alice"' in wrong.text


@pytest.mark.parametrize(
    ("username", "password"),
    [("a\x00b", "x"), ("alice", "wonder\x00land"), ("alice\n", "wonderland"), ("a\x7f", "x")],
)
def test_login_refuses_control_characters(
    demo_provider: Flask, monkeypatch: pytest.MonkeyPatch, username: str, password: str
) -> None:
    """A NUL byte in the login form made PostgreSQL raise (a 500 with the SQL parameters
    in the console): a control character gets the usual wrong-login page (400) before any
    query is built."""
    import demo_provider as module

    def no_query(*args: Any) -> Any:
        raise AssertionError("the login queried the database")

    monkeypatch.setattr(module, "select", no_query)
    browser = demo_provider.test_client()
    wrong = browser.post("/login", data={"username": username, "password": password})
    assert wrong.status_code == 400
    assert_page_for_people(wrong)
    assert "Wrong username or password." in wrong.text and "\x00" not in wrong.text
    with browser.session_transaction() as session:
        assert "user_id" not in session


def test_demo_consent_lists_scopes_in_words(demo_provider: Flask) -> None:
    browser = demo_provider.test_client()
    browser.post("/login", data={"username": "alice", "password": "wonderland"})
    page = browser.get(authorize_path("profile email"))
    assert page.status_code == 200 and VIEWPORT in page.text
    assert '<li data-scope="profile"><strong>Your name and username</strong>' in page.text
    assert '<li data-scope="email"><strong>Your email address</strong>' in page.text
    assert 'id="allow"' in page.text and 'id="deny"' in page.text


def test_refused_consent_is_a_page_for_people(demo_provider: Flask) -> None:
    """A stale or forged consent form is refused (403) with the demo's page in a browser,
    keeping the refusal's anti-framing and no-store headers."""
    browser = demo_provider.test_client()
    browser.post("/login", data={"username": "alice", "password": "wonderland"})
    refused = browser.post(
        authorize_path("profile"), data={"confirm": "yes", "csrf_token": "stale"}, headers=BROWSER
    )
    assert refused.status_code == 403
    assert_page_for_people(refused, "invalid_request")
    assert "Your decision was not accepted" in refused.text
    assert "cross-site consent refused" in refused.text  # the technical details
    assert refused.headers["X-Frame-Options"] == "DENY"
    assert refused.headers["Cache-Control"] == "no-store"


def authorize_path(scope: str) -> str:
    return "/oauth/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": "demo-client",
            "redirect_uri": "http://127.0.0.1:1/cb",
            "scope": scope,
            "state": "s",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        }
    )


@pytest.fixture
def demo_client() -> Flask:
    from demo_client import create_client

    # nothing listens on port 1: the provider is unreachable
    return create_client("http://127.0.0.1:1", "demo-client", "secret")


def test_client_login_failure_is_a_sentence(
    demo_client: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed login shows a plain sentence; the OAuthException's type goes to the log,
    the code never does."""
    with caplog.at_level(logging.WARNING, logger="demo_client"):
        page = demo_client.test_client().get(
            "/authorized?code=stolen-code&state=forged", headers=BROWSER
        )
    assert page.status_code == 400
    assert_page_for_people(page, "invalid_state", "OAuthException", "state parameter")
    assert "Signing in did not work. Please try again." in page.text
    assert "invalid_state" in caplog.text and "stolen-code" not in caplog.text


@pytest.mark.parametrize(
    ("query", "status", "sentence"),
    [
        ("error=access_denied&state=s", 403, "You did not allow access."),
        ("state=s", 400, "Signing in did not work. Please try again."),
        ("", 400, "Signing in did not work. Please try again."),
        ("error=server_error&state=s", 400, "Signing in did not work. Please try again."),
    ],
)
def test_client_callback_without_a_code(
    demo_client: Flask, caplog: pytest.LogCaptureFixture, query: str, status: int, sentence: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="demo_client"):
        page = demo_client.test_client().get("/authorized?" + query, headers=BROWSER)
    assert page.status_code == status
    assert_page_for_people(page, "access_denied", "server_error")
    assert sentence in page.text
    if "server_error" in query:
        assert "server_error" in caplog.text
    elif status == 400:
        assert "neither a code nor an error" in caplog.text


def test_client_callback_again_after_login(demo_client: Flask) -> None:
    """Opening the callback URL again (a reload, the back button) once signed in goes to
    the profile, not to "Login failed"."""
    browser = demo_client.test_client()
    with browser.session_transaction() as session:
        session["sid"] = "signed-in"
    demo_client.extensions["demo_client_tokens"]["signed-in"] = {
        "access_token": "t",
        "token_type": "Bearer",
    }
    again = browser.get("/authorized?code=used-code&state=used-state", headers=BROWSER)
    assert again.status_code == 302 and again.headers["Location"] == "/"


def test_client_pages_for_people(demo_client: Flask) -> None:
    browser = demo_client.test_client()
    home = browser.get("/")
    assert home.status_code == 200 and VIEWPORT in home.text and 'id="login"' in home.text
    missing = browser.get("/no-such-page", headers=BROWSER)
    assert missing.status_code == 404
    assert_page_for_people(missing)


def test_client_says_when_the_provider_is_down(
    demo_client: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="demo_client"):
        page = demo_client.test_client().get("/login", headers=BROWSER)
    assert page.status_code == 502
    assert_page_for_people(page, "network_error")
    assert "cannot be reached right now" in page.text
    assert "network_error" in caplog.text


@pytest.mark.parametrize("taken", ["--provider-port", "--client-port"])
def test_taken_port_names_the_option(tmp_path: Path, taken: str) -> None:
    """A port in use ends the demo with one line naming the option that picks another."""
    with socket.socket() as occupied:
        occupied.bind(("127.0.0.1", 0))
        occupied.listen()
        busy = occupied.getsockname()[1]
        ports = {"--provider-port": free_port(), "--client-port": free_port()}
        ports[taken] = busy
        run = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "run_demo.py")]
            + [f"{option}={port}" for option, port in ports.items()]
            + ["--database-url", f"sqlite:///{tmp_path}/demo.sqlite"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode != 0 and run.stdout == ""
    assert run.stderr == f"Port {busy} is in use; pick another with {taken} PORT.\n"
    assert not (tmp_path / "demo.sqlite").exists()  # nothing was set up


def signed_in_location(app: Flask, target: str) -> str:
    """Sign in to the demo provider (in-process) with ``?next=target``; where it sends us."""
    answer = app.test_client().post(
        "/login",
        query_string={"next": target},
        data={"username": "alice", "password": "wonderland"},
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["Location"]


@pytest.mark.packaging
def test_readme_demo_command(tmp_path: Path) -> None:
    provider_port, client_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            "bash",
            "scripts/demo.sh",
            "--provider-port",
            str(provider_port),
            "--client-port",
            str(client_port),
            "--database-url",
            f"sqlite:///{tmp_path}/demo.sqlite",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "OAUTHLIB_INSECURE_TRANSPORT"},
    )
    try:
        deadline = time.monotonic() + 300
        output = []
        while time.monotonic() < deadline:
            line = process.stdout.readline()  # type: ignore[union-attr]
            if not line and process.poll() is not None:
                break
            output.append(line)
            if line.startswith("Open http://127.0.0.1:"):
                break
        assert any(line.startswith("Open ") for line in output), "".join(output)
        landed = log_in(f"http://127.0.0.1:{client_port}")
        assert "Hello, Alice Liddell!" in landed.text
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        finally:
            process.kill()
            process.stdout.close()  # type: ignore[union-attr]
    assert process.returncode == 0


@pytest.mark.packaging
def test_demo_script_skips_an_unchanged_install() -> None:
    """scripts/demo.sh installs the distributions once, then again only when their
    sources or pyproject files change (a hash in .venv-demo/.demo-install-stamp)."""

    def demo_help() -> str:
        done = subprocess.run(
            ["bash", "scripts/demo.sh", "--help"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "--provider-port" in done.stdout
        return done.stdout

    demo_help()  # installs unless the environment is up to date
    assert "skipping pip install" in demo_help()
    (ROOT / ".venv-demo" / ".demo-install-stamp").write_text("outdated\n")
    assert "Installing the demo" in demo_help()
    assert "skipping pip install" in demo_help()
