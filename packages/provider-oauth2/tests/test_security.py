"""The OAuth 2 items of SECURITY-DEFAULTS.md, each switched off where config allows."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from oauth2_app import REDIRECT, Provider, authorize_url, redeem, token_request
from requests_oauthlib import OAuth2Session

from flask_oauthlib_core.testing import code_challenge, code_from
from flask_oauthlib_provider_oauth2.authorization import harden_authorization_response

# 1. redirect_uri matched exactly; errors never go to an unvalidated URI -----------------


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://evil.example/authorized",
        REDIRECT + "/extra",
        REDIRECT + "?x=1",
        "http://127.0.0.1:8000/AUTHORIZED",
    ],
)
def test_unregistered_redirect_uri_shows_the_error_page(
    provider: Provider, redirect_uri: str
) -> None:
    resp = requests.get(
        authorize_url(provider.url, redirect_uri=redirect_uri), allow_redirects=False, timeout=10
    )
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/oauth/errors?")
    assert "evil" not in resp.headers["Location"]


def test_unknown_client_shows_the_error_page(provider: Provider) -> None:
    resp = requests.get(authorize_url(provider.url, "nobody"), allow_redirects=False, timeout=10)
    assert resp.headers["Location"].startswith("/oauth/errors?error=invalid_")


def test_error_endpoint_config(make_provider: Any) -> None:
    provider = make_provider(OAUTH2_PROVIDER_ERROR_ENDPOINT="errors")
    resp = requests.get(authorize_url(provider.url, "nobody"), allow_redirects=False, timeout=10)
    assert resp.headers["Location"].startswith("/oauth/errors?")
    provider = make_provider(OAUTH2_PROVIDER_ERROR_URI="https://help.example/oauth")
    resp = requests.get(authorize_url(provider.url, "nobody"), allow_redirects=False, timeout=10)
    assert resp.headers["Location"].startswith("https://help.example/oauth?error=")


def test_loopback_redirect_may_change_port_only(provider: Provider) -> None:
    ok = requests.get(
        authorize_url(
            provider.url,
            "public",
            redirect_uri="http://127.0.0.1:5555/cb",
            code_challenge=code_challenge("v" * 43),
            code_challenge_method="S256",
        ),
        allow_redirects=False,
        timeout=10,
    )
    assert ok.status_code == 200
    other_path = requests.get(
        authorize_url(provider.url, "public", redirect_uri="http://127.0.0.1:5555/other"),
        allow_redirects=False,
        timeout=10,
    )
    assert other_path.headers["Location"].startswith("/oauth/errors?")


def test_denied_goes_back_to_the_validated_uri(provider: Provider) -> None:
    url = authorize_url(provider.url, state="st")
    params = provider.callback_params(url, allow=False)
    assert params == {"error": "access_denied", "state": "st"}


# 2. codes: long, single use, bound to client and redirect_uri, short-lived ------------


def get_code(provider: Provider, client: str = "confidential", **params: str) -> str:
    return code_from(provider.consent(authorize_url(provider.url, client, **params)))


def test_code_entropy(provider: Provider) -> None:
    assert len(get_code(provider)) >= 22  # 30 chars of 62 symbols: > 128 bits


def test_replayed_code_fails_and_revokes_its_tokens(provider: Provider) -> None:
    code = get_code(provider)
    first = redeem(provider.url, code)
    assert first.status_code == 200
    again = redeem(provider.url, code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    api = requests.get(
        provider.url + "/api/me",
        headers={"Authorization": "Bearer " + first.json()["access_token"]},
        timeout=10,
    )
    assert api.status_code == 401


def test_code_is_bound_to_its_client_and_redirect_uri(provider: Provider) -> None:
    code = get_code(provider)
    stolen = token_request(
        provider.url, "machine", grant_type="authorization_code", code=code, redirect_uri=REDIRECT
    )
    assert stolen.json()["error"] in ("invalid_grant", "unauthorized_client")
    code = get_code(provider)
    other = redeem(provider.url, code, redirect_uri="http://127.0.0.1:8000/elsewhere")
    assert other.json()["error"] in ("invalid_grant", "invalid_request")


@pytest.mark.parametrize("aware", [False, True])
def test_expired_code(provider: Provider, aware: bool) -> None:
    code = get_code(provider)
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    provider.store.grants[code].expires = past if aware else past.replace(tzinfo=None)
    assert redeem(provider.url, code).json()["error"] == "invalid_grant"


# 3. PKCE ------------------------------------------------------------------------------


def test_public_client_must_use_pkce(provider: Provider) -> None:
    params = provider.callback_params(authorize_url(provider.url, "public"))
    assert params["error"] == "invalid_request"


def test_pkce_required_can_be_switched_off(make_provider: Any) -> None:
    provider = make_provider(OAUTH2_PROVIDER_PKCE_REQUIRED="none")
    code = get_code(provider, "public")
    assert redeem(provider.url, code, "public").status_code == 200


def test_pkce_can_be_required_from_every_client(make_provider: Any) -> None:
    provider = make_provider(OAUTH2_PROVIDER_PKCE_REQUIRED="all")
    params = provider.callback_params(authorize_url(provider.url))
    assert params["error"] == "invalid_request"


def test_wrong_and_missing_verifier(provider: Provider) -> None:
    verifier = "a" * 64
    code = get_code(
        provider, "public", code_challenge=code_challenge(verifier), code_challenge_method="S256"
    )
    assert (
        redeem(provider.url, code, "public", code_verifier="b" * 64).json()["error"]
        == "invalid_grant"
    )
    code = get_code(
        provider, "public", code_challenge=code_challenge(verifier), code_challenge_method="S256"
    )
    assert redeem(provider.url, code, "public").json()["error"] == "invalid_request"
    code = get_code(
        provider, "public", code_challenge=code_challenge(verifier), code_challenge_method="S256"
    )
    assert redeem(provider.url, code, "public", code_verifier=verifier).status_code == 200


def test_verifier_without_a_challenge_is_a_downgrade(provider: Provider) -> None:
    code = get_code(provider)
    resp = redeem(provider.url, code, code_verifier="c" * 64)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_plain_is_refused_unless_configured(make_provider: Any) -> None:
    provider = make_provider()
    params = provider.callback_params(
        authorize_url(
            provider.url, "public", code_challenge="p" * 43, code_challenge_method="plain"
        )
    )
    assert params["error"] == "invalid_request"
    params = provider.callback_params(
        authorize_url(provider.url, "public", code_challenge="p" * 43)
    )
    assert params["error"] == "invalid_request"
    provider = make_provider(OAUTH2_PROVIDER_PKCE_ALLOW_PLAIN=True)
    code = get_code(provider, "public", code_challenge="p" * 43, code_challenge_method="plain")
    assert redeem(provider.url, code, "public", code_verifier="p" * 43).status_code == 200


# 4. refresh rotation: see test_flows.test_refresh_rotates_and_detects_reuse -------------


def test_rotation_can_be_switched_off(make_provider: Any) -> None:
    provider = make_provider(OAUTH2_PROVIDER_ROTATE_REFRESH_TOKENS=False)
    token = redeem(provider.url, get_code(provider)).json()
    new = token_request(
        provider.url, grant_type="refresh_token", refresh_token=token["refresh_token"]
    ).json()
    assert "refresh_token" not in new or new["refresh_token"] == token["refresh_token"]


# 6. bearer tokens only from the Authorization header ------------------------------------


def test_token_in_query_is_ignored_unless_configured(make_provider: Any) -> None:
    provider = make_provider()
    token = provider.store.add_token("tok-email").access_token
    assert (
        requests.get(provider.url + "/api/me?access_token=" + token, timeout=10).status_code == 401
    )
    provider = make_provider(OAUTH2_PROVIDER_ALLOW_TOKEN_IN_QUERY=True)
    token = provider.store.add_token("tok-email").access_token
    assert (
        requests.get(provider.url + "/api/me?access_token=" + token, timeout=10).status_code == 200
    )


# 7. token responses are not cached ------------------------------------------------------


def test_token_responses_are_not_cached(provider: Provider) -> None:
    ok = redeem(provider.url, get_code(provider))
    bad = redeem(provider.url, "nope")
    for resp in (ok, bad):
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["Pragma"] == "no-cache"


# 8. consent pages cannot be framed and get no CORS --------------------------------------


def test_consent_page_headers(provider: Provider) -> None:
    @provider.app.after_request
    def permissive_cors(resp: Any) -> Any:
        resp.headers["Access-Control-Allow-Origin"] = "*"
        return resp

    page = requests.get(authorize_url(provider.url), timeout=10)
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert "Access-Control-Allow-Origin" not in page.headers
    other = requests.get(provider.url + "/oauth/errors", timeout=10)
    assert other.headers["Access-Control-Allow-Origin"] == "*"  # only the authorize endpoint


def test_consent_page_headers_with_cors_registered_before_the_provider(
    provider: Provider,
) -> None:
    """A hook registered before ``OAuth2Provider(app)`` runs after one the provider
    would register in ``init_app`` (Flask runs them in reverse): the hardening still
    has the last word."""

    def permissive_cors(resp: Any) -> Any:
        resp.headers["Access-Control-Allow-Origin"] = "*"
        return resp

    provider.app.after_request_funcs[None].insert(0, permissive_cors)  # as registered first
    for _ in range(2):
        page = requests.get(authorize_url(provider.url), timeout=10)
        assert page.headers["X-Frame-Options"] == "DENY"
        assert "Access-Control-Allow-Origin" not in page.headers
    hooks = provider.app.after_request_funcs[None]
    assert hooks.count(harden_authorization_response) == 1


def test_framing_headers_of_other_hooks_are_overruled(provider: Provider) -> None:
    """A hook allowing framing (Flask-Talisman's SAMEORIGIN, a CSP for a partner) does
    not make consent pages frameable; the policy's other directives stay."""

    def permissive_framing(resp: Any) -> Any:
        resp.headers["X-Frame-Options"] = "SAMEORIGIN"
        resp.headers["Content-Security-Policy"] = (
            "default-src 'self'; frame-ancestors https://partner.example"
        )
        return resp

    provider.app.after_request_funcs[None].insert(0, permissive_framing)
    page = requests.get(authorize_url(provider.url), timeout=10)
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    policies = page.headers.get("Content-Security-Policy", "").split(", ")
    assert policies == ["default-src 'self'", "frame-ancestors 'none'"]
    other = requests.get(provider.url + "/oauth/errors", timeout=10)
    assert other.headers["X-Frame-Options"] == "SAMEORIGIN"  # only the authorize endpoint


def test_no_policy_of_a_comma_joined_header_allows_framing(provider: Provider) -> None:
    """One header may join several policies with commas: the one allowing framing loses
    its ``frame-ancestors``, and a policy of its own forbids framing."""

    def joined_policies(resp: Any) -> Any:
        resp.headers["Content-Security-Policy"] = "default-src 'self', frame-ancestors *"
        return resp

    provider.app.after_request_funcs[None].insert(0, joined_policies)
    page = requests.get(authorize_url(provider.url), timeout=10)
    policies = page.headers.get("Content-Security-Policy", "").split(", ")
    assert policies == ["default-src 'self'", "frame-ancestors 'none'"]


def test_hardening_replaces_the_hook_list_it_joins(provider: Provider) -> None:
    """Requests running the app's after_request functions while the first authorization
    request installs the hardening run every one of them: the list is replaced, never
    changed in place. An app whose hooks are a plain dict without ``None`` works too."""
    before = provider.app.after_request_funcs[None]
    snapshot = list(before)
    requests.get(authorize_url(provider.url), timeout=10)
    assert before == snapshot
    assert provider.app.after_request_funcs[None] == [harden_authorization_response, *snapshot]
    provider.app.after_request_funcs = {}
    page = requests.get(authorize_url(provider.url), timeout=10)
    assert page.status_code == 200 and page.headers["X-Frame-Options"] == "DENY"


def test_an_app_without_authorization_requests_runs_no_hook_of_ours(provider: Provider) -> None:
    """Token and resource requests pay for no ``after_request`` function of the
    provider: the hardening is installed by the first authorization request."""
    answer = token_request(provider.url, grant_type="client_credentials", scope="email")
    token = answer.json()["access_token"]
    resp = requests.get(
        provider.url + "/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert resp.status_code == 200
    assert harden_authorization_response not in provider.app.after_request_funcs[None]
    get_code(provider)
    assert harden_authorization_response in provider.app.after_request_funcs[None]


# 9. redirects after POST are 302 --------------------------------------------------------


def test_redirect_after_post_is_302(provider: Provider) -> None:
    resp = provider.consent(authorize_url(provider.url))
    assert resp.status_code == 302


# 11. client secrets compared in constant time ---------------------------------------------


def test_secret_is_compared_with_compare_digest(
    provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hmac

    from flask_oauthlib_core import compare

    calls: list[bytes] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append(a)
        return real(a, b)

    monkeypatch.setattr(compare.hmac, "compare_digest", spy)
    resp = token_request(provider.url, "machine", grant_type="client_credentials")
    assert resp.status_code == 200 and calls == [b"m-secret"]


# 12. no credential in the logs ---------------------------------------------------------------


def test_no_credentials_in_logs(provider: Provider, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        sess = OAuth2Session("confidential", redirect_uri=REDIRECT, scope=["email"], pkce="S256")
        url, _ = sess.authorization_url(provider.url + "/oauth/authorize")
        code = provider.callback_params(url)["code"]
        token = sess.fetch_token(provider.url + "/oauth/token", code=code, client_secret="s3cret")
        requests.get(
            provider.url + "/api/me",
            headers={"Authorization": "Bearer " + token["access_token"]},
            timeout=10,
        )
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("flask_oauthlib")]
    for secret in (code, token["access_token"], token["refresh_token"], "s3cret"):
        assert not any(secret in message for message in ours)


# bearer errors (RFC 6750) -------------------------------------------------------------------


def test_missing_expired_and_insufficient_tokens(provider: Provider) -> None:
    none = requests.get(provider.url + "/api/me", timeout=10)
    assert none.status_code == 401 and none.headers["WWW-Authenticate"].startswith("Bearer")
    assert "error" not in none.json() and 'realm="' in none.headers["WWW-Authenticate"]
    past = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=5)
    expired = provider.store.add_token("expired", expires=past).access_token
    resp = requests.get(
        provider.url + "/api/me", headers={"Authorization": "Bearer " + expired}, timeout=10
    )
    assert resp.status_code == 401
    narrow = provider.store.add_token("narrow").access_token
    resp = requests.get(
        provider.url + "/api/profile", headers={"Authorization": "Bearer " + narrow}, timeout=10
    )
    assert resp.status_code == 403 and resp.json()["error"] == "insufficient_scope"
    for header in ("Bearer", "Basic abc", "bearer", ""):
        resp = requests.get(provider.url + "/api/me", headers={"Authorization": header}, timeout=10)
        assert resp.status_code == 401
    malformed = requests.get(
        provider.url + "/api/me", headers={"Authorization": "Bearer a b"}, timeout=10
    )
    assert malformed.status_code == 400 and malformed.json()["error"] == "invalid_request"


def test_bad_bodies_are_invalid_request(provider: Provider) -> None:
    resp = requests.post(
        provider.url + "/oauth/token",
        data=b"grant_type=client_credentials&x=\xff\xfe",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=("machine", "m-secret"),
        timeout=10,
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request"
    dup = requests.post(
        provider.url + "/oauth/token",
        data="grant_type=client_credentials&grant_type=password",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=("machine", "m-secret"),
        timeout=10,
    )
    assert dup.status_code == 400
    bad_basic = requests.post(
        provider.url + "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic !!!notbase64"},
        timeout=10,
    )
    assert bad_basic.status_code == 401 and bad_basic.json()["error"] == "invalid_client"
