"""The demo: a login with requests against the apps in-process, its login page's ``next``,
and the README's demo command started as a subprocess on a fresh venv."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode, urljoin

import pytest
import requests
from flask import Flask
from services import free_port

ROOT = Path(__file__).resolve().parents[1]


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
    assert denied.status_code == 403 and "You denied access" in denied.text
    metadata = requests.get(
        demo.provider_url + "/.well-known/oauth-authorization-server", timeout=10
    ).json()
    assert "token" not in metadata["response_types_supported"]  # implicit is off in the demo


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
