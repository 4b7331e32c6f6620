"""A real login in Debian's Chromium driven by Playwright, with screenshots."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which("chromium") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is missing; .ci/run installs Debian's chromium package")
        pytest.skip("Debian's chromium is not installed (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def demo(serve: Callable[..., str], tmp_path: Path) -> Any:
    from demo_apps import start_demo

    return start_demo(serve, tmp_path)


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in_and_decide(page: Any, demo: Any, button: str) -> None:
    page.goto(demo.client_url + "/")
    page.click("#login")
    page.wait_for_url(demo.provider_url + "/login**")
    page.fill("#username", "alice")
    page.fill("#password", "wonderland")
    page.click("#sign-in")
    page.wait_for_selector("#scopes")
    assert page.inner_text("#scopes").strip() == "profile"
    page.click(button)


def test_login_allow(browser: Any, demo: Any) -> None:
    page = browser.new_page()
    sign_in_and_decide(page, demo, "#allow")
    page.wait_for_selector("#welcome")
    assert page.inner_text("#welcome") == "Hello, Alice Liddell!"
    assert page.url == demo.client_url + "/"
    shot(page, "login-allowed")
    page.close()


def test_login_deny(browser: Any, demo: Any) -> None:
    page = browser.new_page()
    sign_in_and_decide(page, demo, "#deny")
    page.wait_for_selector("#error")
    assert page.inner_text("#error") == "Login cancelled"
    shot(page, "login-denied")
    page.close()


def test_forged_state_is_rejected(browser: Any, demo: Any) -> None:
    page = browser.new_page()
    page.goto(demo.client_url + "/login")  # starts a login: a state is in the session
    page.wait_for_url(demo.provider_url + "/login**")
    page.goto(demo.client_url + "/authorized?code=stolen-code&state=forged")
    assert page.inner_text("#error") == "Login failed"
    assert "invalid_state" in page.content()
    shot(page, "forged-state")
    page.close()
