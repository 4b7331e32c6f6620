"""Consent cannot be forged cross-site (SECURITY-DEFAULTS item 26).

A page on another site can make the user's browser POST ``confirm=yes`` to the
authorization endpoint. The providers refuse a consent POST that the browser marks as
cross-site (``Sec-Fetch-Site``, or a foreign ``Origin``), and check the session-bound
``csrf_token`` the consent form may carry (always, with ``*_PROVIDER_CSRF_REQUIRED``). What
a 0.9.6 consent form posts, and what a client without those headers sends, still works.

Both providers run in-process with the Flask test client (which keeps the session cookie)
on in-memory storage; the consent view and template are the ones docs/quickstart.md shows,
hidden field included.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import oauth1_app
import oauth2_app
import pytest
from flask import Flask, render_template_string, request
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

QUICKSTART = Path(__file__).resolve().parents[2] / "docs" / "quickstart.md"
#: the consent template docs/quickstart.md shows
CONSENT_TEMPLATE = re.findall(r'CONSENT_PAGE = """(.*?)"""', QUICKSTART.read_text(), re.DOTALL)[0]
REQUEST_TOKEN = "requesttoken0123456789"
REFUSED = "cross-site consent refused"
OWN_ORIGIN = "http://localhost"  # the Flask test client's host


def consent_view(*args: Any, **kwargs: Any) -> Any:
    """The consent view of the quickstart: its form carries the session's token."""
    if request.method == "GET":
        assert "csrf_token" in kwargs
        kwargs.setdefault("request", SimpleNamespace(client=None))  # OAuth 1 passes none
        return render_template_string(CONSENT_TEMPLATE, **kwargs)
    return request.form.get("confirm") == "yes"


@dataclass
class Consent:
    """One provider's authorization endpoint, as a user's browser sees it."""

    app: Flask
    oauth: Any
    url: str
    issued: Callable[[], bool]
    callback: str

    def browser(self) -> FlaskClient:
        return self.app.test_client()

    def with_view(self, view: Callable[..., Any] = consent_view) -> Consent:
        """Serve ``view`` (by default the form with the hidden ``csrf_token``)."""
        self.app.view_functions["authorize"] = self.oauth.authorize_handler(view)
        return self

    def open_page(self, browser: FlaskClient) -> str:
        """GET the consent page; return the csrf_token its form carries."""
        page = browser.get(self.url)
        assert page.status_code == 200, page.text
        found = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
        assert found, page.text
        return found.group(1)

    def post(
        self, browser: FlaskClient, headers: dict[str, str] | None = None, **form: str
    ) -> TestResponse:
        return browser.post(self.url, data={"confirm": "yes", **form}, headers=headers or {})

    def assert_granted(self, answer: TestResponse) -> None:
        assert answer.status_code == 302, answer.text
        assert answer.headers["Location"].startswith(self.callback)
        assert self.issued()

    def assert_refused(self, answer: TestResponse) -> None:
        assert answer.status_code == 403, (answer.status_code, answer.headers, answer.text)
        assert REFUSED in answer.text
        assert "Location" not in answer.headers
        assert not self.issued()


def oauth2_consent(token_form: bool = True, **config: Any) -> Consent:
    """The OAuth 2 test provider; its own 0.9.6-style view unless ``token_form``."""
    app, oauth, store = oauth2_app.create_app(**{"SECRET_KEY": "test secret", **config})
    url = oauth2_app.authorize_url(state="xyz")
    consent = Consent(app, oauth, url, lambda: bool(store.grants), oauth2_app.REDIRECT)
    return consent.with_view() if token_form else consent


def oauth1_consent(token_form: bool = True, **config: Any) -> Consent:
    """The OAuth 1 test provider holding one request token, as its grantsetter saves it."""
    app, oauth, store = oauth1_app.create_app(**{"SECRET_KEY": "test secret", **config})
    client = store.clients[oauth1_app.CLIENT_KEY]
    grant = oauth1_app.RequestToken(
        store, client, REQUEST_TOKEN, "requestsecret0123456789", ["email"], oauth1_app.CALLBACK
    )
    store.grants[REQUEST_TOKEN] = grant
    consent = Consent(
        app,
        oauth,
        "/oauth/authorize?oauth_token=" + REQUEST_TOKEN,
        lambda: grant.verifier is not None,
        oauth1_app.CALLBACK,
    )
    return consent.with_view() if token_form else consent


PROVIDERS = {"oauth2": oauth2_consent, "oauth1": oauth1_consent}
PREFIX = {"oauth2": "OAUTH2", "oauth1": "OAUTH1"}


@pytest.fixture(params=sorted(PROVIDERS))
def protocol(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def consent(protocol: str) -> Consent:
    return PROVIDERS[protocol]()


@pytest.fixture
def old_consent(protocol: str) -> Consent:
    """The provider with the test app's own view: a 0.9.6 form, no csrf_token."""
    return PROVIDERS[protocol](token_form=False)


@pytest.fixture
def browser(consent: Consent) -> Iterator[FlaskClient]:
    with consent.browser() as browser:
        yield browser


@pytest.mark.parametrize("site", ["cross-site", "same-site", "CROSS-SITE"])
def test_cross_site_fetch_is_refused(old_consent: Consent, site: str) -> None:
    with old_consent.browser() as browser:
        old_consent.assert_refused(old_consent.post(browser, {"Sec-Fetch-Site": site}))


@pytest.mark.parametrize(
    "origin",
    [
        "https://attacker.example",
        "null",
        "http://localhost:8080",  # another port is another origin
        "https://localhost",  # another scheme too
        "http://localhost.attacker.example",
        "http://localhost/path",  # not an origin at all
    ],
)
def test_foreign_origin_is_refused(old_consent: Consent, origin: str) -> None:
    with old_consent.browser() as browser:
        old_consent.assert_refused(old_consent.post(browser, {"Origin": origin}))


def test_forged_consent_with_a_valid_token_is_still_refused(
    consent: Consent, browser: FlaskClient
) -> None:
    token = consent.open_page(browser)
    answer = consent.post(
        browser, {"Sec-Fetch-Site": "cross-site", "Origin": "https://a.example"}, csrf_token=token
    )
    consent.assert_refused(answer)


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": OWN_ORIGIN},
        {"Sec-Fetch-Site": "none"},
        {"Origin": OWN_ORIGIN},
        {"Origin": "HTTP://LOCALHOST:80"},  # the same origin, spelled out
    ],
)
def test_same_origin_consent_passes(old_consent: Consent, headers: dict[str, str]) -> None:
    with old_consent.browser() as browser:
        assert browser.get(old_consent.url).status_code == 200
        old_consent.assert_granted(old_consent.post(browser, headers))


def test_right_csrf_token_passes(consent: Consent, browser: FlaskClient) -> None:
    token = consent.open_page(browser)
    headers = {"Sec-Fetch-Site": "same-origin", "Origin": OWN_ORIGIN}
    consent.assert_granted(consent.post(browser, headers, csrf_token=token))


def test_0_9_6_consent_form_without_headers_or_token_passes(old_consent: Consent) -> None:
    """What a 0.9.6 template posts (``confirm`` only), from a client that sends no
    ``Origin`` or ``Sec-Fetch-Site`` (requests, curl, old browsers)."""
    with old_consent.browser() as browser:
        assert browser.get(old_consent.url).status_code == 200
        old_consent.assert_granted(old_consent.post(browser))


@pytest.mark.parametrize("wrong", ["wrong", "x" * 43])
def test_wrong_csrf_token_is_refused(consent: Consent, browser: FlaskClient, wrong: str) -> None:
    consent.open_page(browser)
    consent.assert_refused(consent.post(browser, {"Origin": OWN_ORIGIN}, csrf_token=wrong))


def test_csrf_token_of_another_session_is_refused(consent: Consent) -> None:
    with consent.browser() as attacker:
        attackers_token = consent.open_page(attacker)
    with consent.browser() as victim:
        consent.open_page(victim)
        consent.assert_refused(consent.post(victim, csrf_token=attackers_token))


def test_csrf_token_without_a_session_is_refused(consent: Consent) -> None:
    with consent.browser() as other:
        token = consent.open_page(other)
    with consent.browser() as fresh:  # never saw the consent page: no token in its session
        consent.assert_refused(consent.post(fresh, csrf_token=token))


def test_csrf_token_is_stable_per_session_and_unguessable(consent: Consent) -> None:
    with consent.browser() as one:
        first, again = consent.open_page(one), consent.open_page(one)
    with consent.browser() as two:
        other = consent.open_page(two)
    assert first == again and first != other
    assert len(first) >= 43 and re.fullmatch(r"[A-Za-z0-9_-]+", first)


def test_csrf_required_refuses_consent_without_token(protocol: str) -> None:
    consent = PROVIDERS[protocol](**{f"{PREFIX[protocol]}_PROVIDER_CSRF_REQUIRED": True})
    with consent.browser() as browser:
        consent.open_page(browser)
        consent.assert_refused(consent.post(browser))
        consent.assert_refused(consent.post(browser, csrf_token=""))


def test_csrf_required_accepts_the_right_token(protocol: str) -> None:
    consent = PROVIDERS[protocol](**{f"{PREFIX[protocol]}_PROVIDER_CSRF_REQUIRED": True})
    with consent.browser() as browser:
        token = consent.open_page(browser)
        consent.assert_granted(consent.post(browser, csrf_token=token))


def test_csrf_required_defaults_off(protocol: str) -> None:
    consent = PROVIDERS[protocol]()
    assert consent.app.config[f"{PREFIX[protocol]}_PROVIDER_CSRF_REQUIRED"] is False


def test_refusal_is_a_403_page_for_browsers_and_json_for_clients(
    consent: Consent, browser: FlaskClient
) -> None:
    page = consent.post(browser, {"Sec-Fetch-Site": "cross-site", "Accept": "text/html"})
    consent.assert_refused(page)
    assert page.mimetype == "text/html"
    data = consent.post(browser, {"Origin": "null", "Accept": "application/json"})
    consent.assert_refused(data)
    assert data.json is not None and data.json["error"] == "invalid_request"
    assert REFUSED in data.json["error_description"]
    for answer in (page, data):
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


def test_oauth2_refusal_keeps_authorization_endpoint_hardening() -> None:
    """The app's own after_request (flask-cors ...) cannot add CORS to the refusal."""
    consent = oauth2_consent(token_form=False)

    @consent.app.after_request
    def add_cors(response: Any) -> Any:
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    with consent.browser() as browser:
        answer = consent.post(browser, {"Sec-Fetch-Site": "cross-site"})
    consent.assert_refused(answer)
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_consent_page_works_for_an_app_without_secret_key(protocol: str) -> None:
    """0.9.6 apps without a session still render and accept their consent form."""
    consent = PROVIDERS[protocol](SECRET_KEY=None)
    with consent.browser() as browser:
        assert consent.open_page(browser) == ""
        consent.assert_granted(consent.post(browser, csrf_token=""))


def test_oauth1_request_token_in_the_form_body_still_reaches_oauthlib() -> None:
    """Reading ``csrf_token`` from the form must not eat the body oauthlib reads."""
    consent = oauth1_consent()
    with consent.browser() as browser:
        token = consent.open_page(browser)
        answer = browser.post(
            "/oauth/authorize",
            data={"oauth_token": REQUEST_TOKEN, "confirm": "yes", "csrf_token": token},
            headers={"Origin": OWN_ORIGIN},
        )
    consent.assert_granted(answer)


def test_view_with_an_explicit_0_9_6_signature_gets_no_csrf_token() -> None:
    """A view that names the 0.9.6 keyword arguments and has no ``**kwargs`` is not
    handed ``csrf_token`` (it would raise TypeError)."""
    consent = oauth2_consent(token_form=False)
    seen: list[str] = []

    def authorize(
        scopes: list[str],
        client_id: str,
        redirect_uri: str,
        response_type: str,
        state: str,
        request: Any,
    ) -> Any:
        seen.append(client_id)
        from flask import request as flask_request

        if flask_request.method == "GET":
            return "consent"
        return True

    browser = consent.with_view(authorize).browser()
    assert browser.get(consent.url).status_code == 200
    consent.assert_granted(consent.post(browser))
    assert seen == ["confidential", "confidential"]
