"""The demo: a login with requests against the apps in-process, and the README's demo
command started as a subprocess on a fresh venv."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
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
    consent = browser.get(signed_in.headers["Location"])
    assert "profile" in consent.text and consent.headers["X-Frame-Options"] == "DENY"
    return browser.post(authorize, data={"confirm": "yes" if allow else "no"})


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
