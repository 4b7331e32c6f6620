"""What the outside review of the OpenID Provider found, each over real HTTP: a loop of
logins under ``max_age``, 500s for odd input, response types taken that are not offered,
repeated parameters, request objects, userinfo for a token without a user, and keys the
provider cannot read."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from oidc_app import LOGGED_OUT, SECRET, Browser, login_flow, make_app, pem, start

from flask_oauthlib_core.testing import redirect_params
from flask_oauthlib_provider_oauth2.jwks import KeySet, generate_key, load_key


@pytest.fixture
def provider(serve: Any) -> tuple[str, Any]:
    app, _, store = make_app()
    return serve(app), store


def test_max_age_zero_lets_a_user_who_just_logged_in_finish(provider: tuple[str, Any]) -> None:
    """max_age was checked again when the consent form came back: with max_age=0 (or
    a small one and a slow reader) the user was sent to log in forever. The request is
    seen from its first visit on, before anybody logged in: a login a second later (and
    the page a second after that) counts as after it."""
    url, store = provider
    browser = Browser(url)
    _, uri, _, _ = start(url, max_age="0")
    assert browser.get(uri).headers["Location"].startswith("/login?")  # nobody logged in
    time.sleep(1.1)  # typing the password
    browser.login()
    time.sleep(1.1)  # the redirect back, on a busy server
    assert browser.get(uri).status_code == 200  # the consent page
    time.sleep(1.2)  # reading it
    assert "code" in redirect_params(browser.consent(uri))
    assert len(store.grants) == 1


def test_max_age_still_asks_for_a_new_login_when_the_old_one_is_too_old(
    provider: tuple[str, Any],
) -> None:
    url, _ = provider
    browser = Browser(url)
    browser.login(ago=600)
    _, uri, _, _ = start(url, max_age="60")
    assert browser.get(uri).headers["Location"].startswith("/login?")
    browser.login()
    assert browser.get(uri).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"max_age": "\u00b2"},  # "²".isdigit() is true; int() refuses it
        {"max_age": "\u0663"},  # an Arabic-Indic three
        {"max_age": "9" * 4400},  # beyond Python's int-string limit
        {"max_age": "12345678901"},
        {"claims": "[" * 3000 + "]" * 3000},  # RecursionError in json
        {"claims": json.dumps({"userinfo": {"x" * 9000: None}})},
    ],
)
def test_odd_parameters_are_invalid_request_not_500(
    provider: tuple[str, Any], params: dict[str, str]
) -> None:
    url, store = provider
    browser = Browser(url)
    browser.login()
    _, uri, _, _ = start(url, **params)
    answer = browser.get(uri)
    assert redirect_params(answer)["error"] == "invalid_request", answer.text
    assert not store.grants


@pytest.mark.parametrize(
    "response_type", ["code id_token", "code token", "code id_token token", "none", "id_token"]
)
def test_response_types_that_are_not_offered_are_refused(
    provider: tuple[str, Any], response_type: str
) -> None:
    """oauthlib's code grant took any response_type holding "code" (and "none") and
    answered a plain code; discovery offers "code" only."""
    url, store = provider
    browser = Browser(url)
    browser.login()
    _, uri, _, _ = start(url, response_type=response_type)
    answer = browser.get(uri)
    assert redirect_params(answer)["error"] == "unsupported_response_type", answer.text
    assert not store.grants
    document = requests.get(url + "/.well-known/openid-configuration", timeout=10).json()
    assert response_type not in document["response_types_supported"]


@pytest.mark.parametrize("name", ["nonce", "max_age", "claims", "prompt", "id_token_hint"])
def test_a_repeated_openid_parameter_is_refused(provider: tuple[str, Any], name: str) -> None:
    url, _ = provider
    browser = Browser(url)
    browser.login()
    values = {"nonce": "n", "max_age": "60", "claims": "{}", "prompt": "login"}
    _, uri, _, _ = start(url)
    value = values.get(name, "x")
    answer = browser.get(f"{uri}&{name}={value}&{name}={value}2")
    assert redirect_params(answer)["error"] == "invalid_request", answer.text


@pytest.mark.parametrize(
    ("name", "error"),
    [("request", "invalid_request_object"), ("request_uri", "request_uri_not_supported")],
)
def test_unsigned_request_objects_and_foreign_request_uris_are_refused(
    provider: tuple[str, Any], name: str, error: str
) -> None:
    url, _ = provider
    browser = Browser(url)
    browser.login()
    _, uri, _, _ = start(url, **{name: "eyJhbGciOiJub25lIn0.e30."})
    assert redirect_params(browser.get(uri))["error"] == error
    document = requests.get(url + "/.well-known/openid-configuration", timeout=10).json()
    assert document["request_parameter_supported"] is True  # signed ones (RFC 9101)
    assert document["request_uri_parameter_supported"] is False


def test_userinfo_refuses_a_token_about_no_user(provider: tuple[str, Any]) -> None:
    """A client credentials token with openid has no end-user: a 500 before."""
    url, store = provider
    store.clients["rp"].user = None  # a service client: its tokens are about no user
    token = requests.post(
        url + "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "openid"},
        auth=("rp", SECRET),
        timeout=10,
    ).json()
    assert token["scope"] == "openid", token
    answer = requests.get(
        url + "/oauth/userinfo",
        headers={"Authorization": "Bearer " + token["access_token"]},
        timeout=10,
    )
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"
    assert "end-user" in answer.json()["error_description"]


def test_logout_hint_whose_aud_is_not_a_client_is_refused(provider: tuple[str, Any]) -> None:
    url, store = provider
    browser = Browser(url)
    browser.login()
    now = int(time.time())
    hint = KeySet.load([pem()]).sign(
        {"iss": url, "sub": "1", "aud": 5, "iat": now, "exp": now + 60}, "RS256"
    )
    answer = browser.get(url + "/oauth/logout?id_token_hint=" + hint)
    assert answer.status_code == 302 and "error=invalid_request" in answer.headers["Location"]
    assert not store.logouts


def test_post_logout_redirect_uris_as_text_match_exactly(provider: tuple[str, Any]) -> None:
    """A client holding its URIs as one space-separated string (as the SQLAlchemy models
    store them) matched any substring: an open redirect to https://rp.example.co."""
    url, store = provider
    store.clients["rp"].post_logout_redirect_uris = LOGGED_OUT + " https://rp.example.com/bye"
    browser = Browser(url)
    browser.login()
    for near in ("https://rp.example.co", "h", LOGGED_OUT[:-3]):
        answer = browser.get(
            f"{url}/oauth/logout?client_id=rp&post_logout_redirect_uri={near}&confirm=yes"
        )
        assert "error=invalid_request" in answer.headers["Location"], near
    token, _, _ = login_flow(url)
    answer = browser.get(
        f"{url}/oauth/logout?id_token_hint={token['id_token']}"
        "&post_logout_redirect_uri=https://rp.example.com/bye"
    )
    assert answer.headers["Location"] == "https://rp.example.com/bye"


def encrypted_pem() -> str:
    key = generate_key()
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"password"),
    ).decode()


@pytest.mark.parametrize(
    "keys", [[encrypted_pem()], [{"kty": "oct", "k": "c2VjcmV0"}], ["not a pem"]]
)
def test_keys_the_provider_cannot_read_are_a_clear_server_error(
    serve: Any, keys: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    app, _, _ = make_app(OAUTH2_PROVIDER_OIDC_KEYS=keys)
    url = serve(app)
    answer = requests.get(url + "/oauth/jwks", timeout=10)
    assert answer.status_code == 500 and answer.json()["error"] == "server_error"
    document = requests.get(url + "/.well-known/openid-configuration", timeout=10)
    assert document.status_code == 200
    assert document.json()["id_token_signing_alg_values_supported"] == []
    assert "the signing keys cannot be read" in caplog.text


def test_an_encrypted_key_is_named_as_such() -> None:
    with pytest.raises(ValueError, match="encrypted"):
        load_key(encrypted_pem())


def test_generate_key_makes_the_directory(tmp_path: Path) -> None:
    """``flask oidc generate-key --out keys/2026-01.pem`` as docs/oidc.md says, in a
    directory without ``keys/``: a FileNotFoundError traceback before."""
    app, _, _ = make_app()
    out = tmp_path / "keys" / "2026-01.pem"
    result = app.test_cli_runner().invoke(args=["oidc", "generate-key", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.parent.stat().st_mode & 0o777 == 0o700
    assert load_key(out.read_text()).can_sign
