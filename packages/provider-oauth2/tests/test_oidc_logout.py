"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) over real HTTP: a
relying party's ID token sends the user back logged out; anything the provider cannot
check ends on its error page, with the user still logged in."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from oidc_app import LOGGED_OUT, Browser, login_flow, make_app, pem, start

from flask_oauthlib_provider_oauth2.jwks import KeySet


def logout_url(url: str, **params: Any) -> str:
    return url + "/oauth/logout?" + urlencode(params)


def signed_in(url: str, username: str = "alice") -> Browser:
    browser = Browser(url)
    browser.login(username)
    return browser


def still_signed_in(browser: Browser, url: str) -> bool:
    """The authorization page asks for consent, not for a login."""
    _, uri, _, _ = start(url)
    page = browser.get(uri)
    return page.status_code == 200 and "rp wants" in page.text


def refused(answer: requests.Response) -> str:
    """The error description of a logout request sent to the error page."""
    assert answer.status_code == 302, (answer.status_code, answer.text)
    location = urlsplit(answer.headers["Location"])
    assert location.path == "/oauth/errors", answer.headers["Location"]
    query = parse_qs(location.query)
    assert query["error"] == ["invalid_request"]
    return query["error_description"][0]


def hint(claims: dict[str, Any], key: str | None = None) -> str:
    """An ID token of ``claims`` signed with ``key`` (the provider's by default)."""
    now = int(time.time())
    base = {"iss": "", "sub": "1", "aud": "rp", "iat": now, "exp": now + 600}
    return KeySet.load([key or pem()]).sign({**base, **claims}, "RS256")


@pytest.fixture
def provider(serve: Any) -> tuple[str, Any]:
    app, _, store = make_app()
    return serve(app), store


def test_a_relying_partys_id_token_logs_the_user_out(provider: tuple[str, Any]) -> None:
    url, store = provider
    token, _, _ = login_flow(url)  # alice, in the browser below
    browser = Browser(url)
    browser.login("alice")
    assert still_signed_in(browser, url)
    answer = browser.get(
        logout_url(
            url,
            id_token_hint=token["id_token"],
            post_logout_redirect_uri=LOGGED_OUT,
            state="af0ifjsldkj",
        )
    )
    assert answer.status_code == 302
    assert answer.headers["Location"] == LOGGED_OUT + "?state=af0ifjsldkj"
    (kwargs,) = store.logouts
    assert kwargs["confirmation_required"] is False and kwargs["client_id"] == "rp"
    assert kwargs["client"] is store.clients["rp"] and kwargs["user"].username == "alice"
    assert kwargs["id_token_claims"]["sub"] == "1" and kwargs["csrf_token"]
    assert not still_signed_in(browser, url)


def test_the_discovery_document_names_the_endpoint(provider: tuple[str, Any]) -> None:
    url, _ = provider
    document = requests.get(url + "/.well-known/openid-configuration", timeout=10).json()
    assert document["end_session_endpoint"] == url + "/oauth/logout"


def test_a_form_post_from_the_relying_party_works(provider: tuple[str, Any]) -> None:
    url, _ = provider
    token, _, _ = login_flow(url)
    browser = signed_in(url)
    answer = browser.session.post(
        url + "/oauth/logout",
        data={"id_token_hint": token["id_token"], "post_logout_redirect_uri": LOGGED_OUT},
        headers={"Sec-Fetch-Site": "cross-site"},  # the RP's page posts it
        allow_redirects=False,
    )
    assert answer.headers["Location"] == LOGGED_OUT
    assert not still_signed_in(browser, url)


def test_without_a_hint_the_user_is_asked(provider: tuple[str, Any]) -> None:
    url, store = provider
    browser = signed_in(url)
    page = browser.get(logout_url(url, client_id="rp", post_logout_redirect_uri=LOGGED_OUT))
    assert page.status_code == 200 and "Log out Alice Liddell?" in page.text
    csrf_token = store.logouts[-1]["csrf_token"]
    target = logout_url(url, client_id="rp", post_logout_redirect_uri=LOGGED_OUT)
    # a decision another site's page makes the browser send is refused
    forged = browser.session.post(
        target,
        data={"confirm": "yes", "csrf_token": csrf_token},
        headers={"Sec-Fetch-Site": "cross-site"},
        allow_redirects=False,
    )
    assert forged.status_code == 403 and still_signed_in(browser, url)
    # as is one without the session's csrf_token
    blind = browser.session.post(target, data={"confirm": "yes"}, allow_redirects=False)
    assert blind.status_code == 403 and still_signed_in(browser, url)
    stay = browser.session.post(
        target, data={"confirm": "no", "csrf_token": csrf_token}, allow_redirects=False
    )
    # without an id_token_hint nothing proves the client sent the user: no redirect back
    # (with open registration anyone could have registered an evil URI for a client)
    assert stay.headers["Location"] == "/" and still_signed_in(browser, url)
    assert store.logouts[-1]["post_logout_redirect_uri"] is None
    done = browser.session.post(
        target, data={"confirm": "yes", "csrf_token": csrf_token}, allow_redirects=False
    )
    assert done.headers["Location"] == "/" and not still_signed_in(browser, url)


def test_without_a_hint_nobody_is_redirected(provider: tuple[str, Any]) -> None:
    """The outside review: a client registered openly with an evil
    post_logout_redirect_uri made the logout endpoint an open redirect for anyone who
    followed a link naming only its client_id."""
    url, store = provider
    store.clients["rp"].post_logout_redirect_uris = ["https://evil.example/phish"]
    answer = requests.get(
        logout_url(url, client_id="rp", post_logout_redirect_uri="https://evil.example/phish"),
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert store.logouts[-1]["post_logout_redirect_uri"] is None


def test_a_hint_about_another_user_asks_first(provider: tuple[str, Any]) -> None:
    url, store = provider
    token, _, _ = login_flow(url)  # alice's ID token
    browser = signed_in(url, "bob")
    page = browser.get(logout_url(url, id_token_hint=token["id_token"]))
    assert page.status_code == 200 and "Log out Bob?" in page.text
    assert store.logouts[-1]["confirmation_required"] is True


def test_an_expired_hint_still_names_the_client(provider: tuple[str, Any]) -> None:
    url, _ = provider
    browser = signed_in(url)
    old = hint({"iss": url, "iat": 1_000_000, "exp": 1_000_600})
    answer = browser.get(
        logout_url(url, id_token_hint=old, post_logout_redirect_uri=LOGGED_OUT, state="s")
    )
    assert answer.headers["Location"] == LOGGED_OUT + "?state=s"
    assert not still_signed_in(browser, url)


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"post_logout_redirect_uri": "https://attacker.example/"}, "needs id_token_hint"),
        ({"post_logout_redirect_uri": "https://attacker.example/", "client_id": "rp"}, "not reg"),
        ({"post_logout_redirect_uri": LOGGED_OUT + "/../x", "client_id": "rp"}, "not reg"),
        ({"post_logout_redirect_uri": LOGGED_OUT, "client_id": "unknown"}, "not known"),
        ({"id_token_hint": "not-a-jwt"}, "not an ID token of this provider"),
        ({"id_token_hint": "FORGED"}, "not an ID token of this provider"),
        ({"id_token_hint": "OTHER-ISSUER"}, "another issuer"),
        ({"id_token_hint": "OURS", "client_id": "other"}, "not an audience"),
        ({"state": "x" * 9000}, "malformed"),
    ],
)
def test_what_cannot_be_checked_ends_on_the_error_page(
    provider: tuple[str, Any], params: dict[str, str], description: str
) -> None:
    url, store = provider
    browser = signed_in(url)
    tokens = {
        "FORGED": hint({"iss": url}, key=pem("RS256", 1)),  # a key that is not ours
        "OTHER-ISSUER": hint({"iss": "https://elsewhere.example"}),
        "OURS": hint({"iss": url}),
    }
    if params.get("id_token_hint") in tokens:
        params = {**params, "id_token_hint": tokens[params["id_token_hint"]]}
    assert description in refused(browser.get(logout_url(url, **params)))
    assert not store.logouts and still_signed_in(browser, url)


def test_a_repeated_parameter_is_refused(provider: tuple[str, Any]) -> None:
    url, store = provider
    browser = signed_in(url)
    query = "client_id=rp&post_logout_redirect_uri=a&post_logout_redirect_uri=" + LOGGED_OUT
    assert "repeated" in refused(browser.get(url + "/oauth/logout?" + query))
    assert not store.logouts


def test_without_openid_connect_there_is_no_logout_endpoint(serve: Any) -> None:
    app, _, store = make_app(OAUTH2_PROVIDER_OIDC_ENABLED=False)
    url = serve(app)
    answer = requests.get(logout_url(url, client_id="rp"), timeout=10)
    assert answer.status_code == 404 and not store.logouts
    document = requests.get(url + "/.well-known/openid-configuration", timeout=10).json()
    assert "end_session_endpoint" not in document


@pytest.mark.parametrize("state", ["<x>", 'a"b', "<script>alert(1)</script>"])
def test_markup_characters_in_the_query_are_no_500(provider: tuple[str, Any], state: str) -> None:
    """oauthlib refuses ``<``, ``>`` and ``"`` in a query it parses: a relying party's
    ``state`` holding one made the logout endpoint answer 500."""
    url, store = provider
    token, _, _ = login_flow(url)
    browser = signed_in(url)
    answer = browser.get(
        logout_url(
            url, id_token_hint=token["id_token"], post_logout_redirect_uri=LOGGED_OUT, state=state
        )
    )
    assert answer.status_code == 302, answer.text
    assert answer.headers["Location"] == LOGGED_OUT + "?" + urlencode({"state": state})
    assert not still_signed_in(browser, url)
