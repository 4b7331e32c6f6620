"""A real login in Debian's Chromium driven by Playwright, with screenshots."""

from __future__ import annotations

import logging
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


VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 740}}


def shot(page: Any, name: str) -> None:
    """Check the page reads well at desktop and phone widths; screenshot both into
    ``artifacts/<name>-desktop.png`` and ``artifacts/<name>-phone.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    viewport = page.get_attribute('meta[name="viewport"]', "content")
    assert viewport == "width=device-width, initial-scale=1", page.url
    for width, size in VIEWPORTS.items():
        page.set_viewport_size(size)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{page.url} scrolls sideways at {width} width"
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(VIEWPORTS["desktop"])


def assert_error_box(page: Any, text: str) -> None:
    """An error reads as one: a visible box with role="alert" and a coloured background."""
    alert = page.locator('[role="alert"]')
    assert alert.is_visible() and text in alert.inner_text()
    background = alert.evaluate("box => getComputedStyle(box).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)")


def assert_no_raw_error(page: Any, *raw: str) -> None:
    """No JSON and none of the machine-readable error kinds on a page meant for people."""
    content = page.content()
    assert '{"error"' not in content
    for kind in raw:
        assert kind not in content, kind


def sign_in_and_decide(page: Any, demo: Any, button: str) -> None:
    page.goto(demo.client_url + "/")
    shot(page, "client-home")
    page.click("#login")
    page.wait_for_url(demo.provider_url + "/login**")
    shot(page, "login")
    page.fill("#username", "alice")
    page.fill("#password", "wonderland")
    page.click("#sign-in")
    page.wait_for_selector("#scopes")
    scopes = page.locator("#scopes li")
    assert scopes.evaluate_all("items => items.map(item => item.dataset.scope)") == [
        "openid",
        "profile",
        "email",
    ]
    assert "your account identifier" in scopes.first.inner_text()
    assert "Your name and username" in scopes.nth(1).inner_text()
    assert page.input_value('input[name="csrf_token"]')
    shot(page, "consent")
    page.click(button)


def test_login_allow(browser: Any, demo: Any) -> None:
    page = browser.new_page()
    sign_in_and_decide(page, demo, "#allow")
    page.wait_for_selector("#welcome")
    assert page.inner_text("#welcome") == "Hello, Alice Liddell!"
    assert page.url == demo.client_url + "/"
    # OpenID Connect: the claims of the ID token the client verified, email from userinfo
    assert page.inner_text("#sub") == "1"
    assert page.inner_text("#email") == "alice@example.com (verified by the provider)"
    assert page.inner_text("#auth-time").endswith(" UTC")
    shot(page, "client-profile")
    page.goto(demo.provider_url + "/")
    assert "Signed in as Alice Liddell" in page.inner_text("main")
    shot(page, "provider-home")
    page.close()


def test_logout_everywhere(browser: Any, demo: Any) -> None:
    """The client's "Log out" signs the user out at the provider too (RP-initiated
    logout with the ID token: no question asked) and comes back to the client's home."""
    page = browser.new_page()
    sign_in_and_decide(page, demo, "#allow")
    page.wait_for_selector("#welcome")
    page.click("#logout")
    page.wait_for_url(demo.client_url + "/")
    assert page.is_visible("#login")
    page.goto(demo.provider_url + "/")
    assert "Signed in as" not in page.inner_text("main")
    page.close()


def test_logout_without_an_id_token_asks(browser: Any, demo: Any) -> None:
    """A logout request that does not prove who sent it is a question to the user."""
    page = browser.new_page()
    sign_in_and_decide(page, demo, "#allow")
    page.wait_for_selector("#welcome")
    page.goto(demo.provider_url + "/oauth/logout?client_id=demo-client")
    assert page.inner_text("h1") == "Sign out of the demo provider?"
    assert "A link naming Demo client asks to sign you out" in page.inner_text("main")
    shot(page, "provider-logout")
    page.click("#stay")
    page.wait_for_url(demo.provider_url + "/")
    assert "Signed in as Alice Liddell" in page.inner_text("main")
    page.goto(demo.provider_url + "/oauth/logout?client_id=demo-client")
    page.click("#sign-out-confirm")
    page.wait_for_url(demo.provider_url + "/")
    assert "Signed in as" not in page.inner_text("main")
    page.close()


def test_logout_posted_without_an_id_token(browser: Any, demo: Any) -> None:
    """A logout request sent as a form POST without an ID token: the user is asked, and
    stays at the provider afterwards (only an ID token proves where to send them)."""
    page = browser.new_page()
    sign_in_and_decide(page, demo, "#allow")
    page.wait_for_selector("#welcome")
    page.set_content(
        f'<form method="post" action="{demo.provider_url}/oauth/logout">'
        '<input name="client_id" value="demo-client">'
        f'<input name="post_logout_redirect_uri" value="{demo.client_url}/">'
        '<input name="state" value="s1"><button id="go">go</button></form>'
    )
    page.click("#go")
    page.wait_for_selector("#sign-out-confirm")
    page.click("#sign-out-confirm")
    page.wait_for_url(demo.provider_url + "/")
    assert "Signed in as" not in page.inner_text("main")
    page.close()


def test_another_site_cannot_log_the_user_out(browser: Any, demo: Any) -> None:
    """The client's "Log out" is a POST from its own page: a form on another origin
    (the provider's port here) is refused and the user stays logged in."""
    page = browser.new_page()
    sign_in_and_decide(page, demo, "#allow")
    page.wait_for_selector("#welcome")
    page.goto(demo.provider_url + "/")
    page.evaluate(
        """url => { const form = document.createElement("form");
        form.method = "post"; form.action = url; document.body.append(form); form.submit(); }""",
        demo.client_url + "/logout",
    )
    page.wait_for_selector("#error")
    assert page.inner_text("#error") == "Not logged out"
    page.goto(demo.client_url + "/")
    assert page.inner_text("#welcome") == "Hello, Alice Liddell!"
    page.close()


def test_login_deny(browser: Any, demo: Any) -> None:
    page = browser.new_page()
    sign_in_and_decide(page, demo, "#deny")
    page.wait_for_selector("#error")
    assert page.inner_text("#error") == "Login cancelled"
    assert_error_box(page, "You did not allow access.")
    assert_no_raw_error(page, "access_denied")
    shot(page, "client-denied")
    page.close()


def test_wrong_password(browser: Any, demo: Any) -> None:
    page = browser.new_page()
    page.goto(demo.client_url + "/login")
    page.wait_for_url(demo.provider_url + "/login**")
    page.fill("#username", "alice")
    page.fill("#password", "not the password")
    page.click("#sign-in")
    page.wait_for_selector("#error")
    assert_error_box(page, "Wrong username or password.")
    assert page.input_value("#username") == "alice"
    shot(page, "login-error")
    page.close()


def test_stale_consent_form(browser: Any, demo: Any) -> None:
    """A consent form whose csrf_token no longer matches (a restarted provider, another
    tab) is refused on a page of the demo, and nothing reaches the client."""
    page = browser.new_page()
    page.goto(demo.client_url + "/login")
    page.wait_for_url(demo.provider_url + "/login**")
    page.fill("#username", "alice")
    page.fill("#password", "wonderland")
    page.click("#sign-in")
    page.wait_for_selector("#scopes")
    page.eval_on_selector('input[name="csrf_token"]', "field => { field.value = 'stale' }")
    page.click("#allow")
    page.wait_for_selector('[role="alert"]')
    assert page.url.startswith(demo.provider_url + "/oauth/authorize")
    assert page.inner_text("h1") == "Your decision was not accepted"
    assert_error_box(page, "nothing was shared")
    assert_no_raw_error(page, "invalid_request")
    shot(page, "consent-refused")
    page.close()


def test_provider_error_page(browser: Any, demo: Any) -> None:
    """An authorization request the provider cannot send back (an unknown client) ends on
    its error page: HTML for people, not JSON."""
    page = browser.new_page()
    page.goto(demo.provider_url + "/oauth/authorize?response_type=code&client_id=unknown&state=s")
    page.wait_for_url(demo.provider_url + "/oauth/errors**")
    assert page.inner_text("h1") == "This request cannot be completed"
    assert_error_box(page, "not valid")
    assert_no_raw_error(page, "invalid_request")
    shot(page, "provider-error")
    page.close()


def test_forged_state_is_rejected(
    browser: Any, demo: Any, caplog: pytest.LogCaptureFixture
) -> None:
    page = browser.new_page()
    page.goto(demo.client_url + "/login")  # starts a login: a state is in the session
    page.wait_for_url(demo.provider_url + "/login**")
    with caplog.at_level(logging.WARNING, logger="demo_client"):
        page.goto(demo.client_url + "/authorized?code=stolen-code&state=forged")
    assert page.inner_text("#error") == "Login failed"
    assert_error_box(page, "Signing in did not work. Please try again.")
    # the kind of failure is for the developer (the log), never for the user
    assert_no_raw_error(page, "invalid_state", "OAuthException", "state parameter")
    assert "invalid_state" in caplog.text and "stolen-code" not in caplog.text
    shot(page, "client-error")
    page.close()
