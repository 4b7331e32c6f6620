"""Regression tests for the OAuth 2 provider holes an outside review found in 1.0.

Each test failed on 1.0 (issue 14, items 1, 7, 10, 12 and 14) and drives the provider over
real HTTP with requests, as an attacker would.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from oauth2_app import REDIRECT, Client, Provider, authorize_url, redeem

from flask_oauthlib_core.testing import code_challenge


def token_request(provider: Provider, auth: Any = None, **data: str) -> requests.Response:
    """A token request exactly as given: ``auth`` (HTTP Basic) and ``data`` alone."""
    return requests.post(provider.url + "/oauth/token", data=data, auth=auth, timeout=10)


def authorize(provider: Provider, **params: str | None) -> requests.Response:
    return requests.get(authorize_url(provider.url, **params), allow_redirects=False, timeout=10)


# 1. a client without a secret never authenticates; client_credentials is confidential ---


def test_public_client_cannot_mint_client_credentials_tokens(provider: Provider) -> None:
    provider.store.clients["public"].user = provider.store.alice
    before = dict(provider.store.tokens)
    resp = token_request(provider, grant_type="client_credentials", client_id="public")
    assert resp.status_code in (400, 401), resp.text
    assert resp.json()["error"] in ("invalid_client", "unauthorized_client")
    assert provider.store.tokens == before


def test_public_client_with_a_secret_still_cannot_use_client_credentials(
    provider: Provider,
) -> None:
    client = provider.store.clients["public"]
    client.client_secret = "known-to-every-installed-copy"
    resp = token_request(
        provider, auth=("public", client.client_secret), grant_type="client_credentials"
    )
    assert resp.json()["error"] in ("invalid_client", "unauthorized_client")
    assert not provider.store.tokens


@pytest.mark.parametrize("secret", ["", None])
def test_confidential_client_without_a_stored_secret_never_authenticates(
    provider: Provider, secret: str | None
) -> None:
    provider.store.add_client(
        Client("nosecret", secret, [REDIRECT], ["email"], user=provider.store.alice)  # type: ignore[arg-type]
    )
    for auth, data in (
        (None, {"client_id": "nosecret"}),
        (None, {"client_id": "nosecret", "client_secret": ""}),
        (("nosecret", ""), {}),
    ):
        resp = token_request(provider, auth=auth, grant_type="client_credentials", **data)
        assert resp.status_code == 401, resp.text
        assert resp.json()["error"] == "invalid_client"
    assert not provider.store.tokens


# 7. introspection only for authenticated confidential clients, their own tokens ----------


def introspect(provider: Provider, token: str, auth: Any = None, **data: str) -> requests.Response:
    return requests.post(
        provider.url + "/oauth/introspect", data={"token": token, **data}, auth=auth, timeout=10
    )


def test_public_client_cannot_introspect(provider: Provider) -> None:
    provider.store.add_token("someone-elses", refresh_token="refresh-x")
    for token in ("someone-elses", "refresh-x"):
        resp = introspect(provider, token, client_id="public")
        assert resp.status_code == 401, resp.text
        assert resp.json()["error"] == "invalid_client"
        assert "active" not in resp.json()


def test_unauthenticated_caller_cannot_introspect(provider: Provider) -> None:
    provider.store.add_token("someone-elses")
    resp = introspect(provider, "someone-elses")
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"


def test_client_sees_only_its_own_tokens(provider: Provider) -> None:
    provider.store.add_token("confidentials-token")
    other = introspect(provider, "confidentials-token", auth=("machine", "m-secret"))
    assert other.status_code == 200 and other.json() == {"active": False}
    own = introspect(provider, "confidentials-token", auth=("confidential", "s3cret"))
    assert own.json()["active"] is True and own.json()["client_id"] == "confidential"


def test_resource_server_may_introspect_every_token(provider: Provider) -> None:
    provider.store.clients["machine"].is_resource_server = True  # type: ignore[attr-defined]
    provider.store.add_token("confidentials-token")
    resp = introspect(provider, "confidentials-token", auth=("machine", "m-secret"))
    assert resp.json()["active"] is True and resp.json()["client_id"] == "confidential"


def test_metadata_advertises_enforced_introspection_auth(provider: Provider) -> None:
    doc = requests.get(provider.url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert "none" not in doc["introspection_endpoint_auth_methods_supported"]


# 10. PKCE values in their RFC 7636 form ------------------------------------------------

GOOD_VERIFIER = "v" * 43


def code_for(provider: Provider, challenge: str, method: str = "S256") -> str:
    url = authorize_url(
        provider.url, "public", code_challenge=challenge, code_challenge_method=method
    )
    params = provider.callback_params(url)
    return params.get("code") or "error:" + params["error"]


@pytest.mark.parametrize(
    "verifier", ["a", "a" * 42, "a" * 129, "a" * 20 + " " + "a" * 22, "a" * 42 + "+"]
)
def test_malformed_verifiers_are_refused(provider: Provider, verifier: str) -> None:
    code = code_for(provider, code_challenge(verifier))
    resp = redeem(provider.url, code, "public", code_verifier=verifier)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request", resp.text
    assert not provider.store.tokens


@pytest.mark.parametrize("challenge", ["a", "a" * 42, "a" * 129, "a" * 20 + " " + "a" * 22])
def test_malformed_plain_challenges_are_refused(make_provider: Any, challenge: str) -> None:
    provider = make_provider(OAUTH2_PROVIDER_PKCE_ALLOW_PLAIN=True)
    assert code_for(provider, challenge, "plain") == "error:invalid_request"
    assert not provider.store.grants


@pytest.mark.parametrize(
    "challenge", ["!!!!!!!!!!", "a" * 42, "a" * 44, "a" * 42 + "=", "a" * 42 + "/"]
)
def test_malformed_s256_challenges_are_refused(provider: Provider, challenge: str) -> None:
    assert code_for(provider, challenge) == "error:invalid_request"
    assert not provider.store.grants


def test_well_formed_pkce_still_works(provider: Provider) -> None:
    verifier = "A-z0._~" * 18  # 126 characters, every class allowed
    code = code_for(provider, code_challenge(verifier))
    resp = redeem(provider.url, code, "public", code_verifier=verifier)
    assert resp.status_code == 200, resp.text


# 12. a client with several redirect URIs must name one ---------------------------------


def test_several_redirect_uris_and_none_sent_is_an_error(provider: Provider) -> None:
    resp = authorize(
        provider,
        client_id="public",
        redirect_uri=None,
        code_challenge=code_challenge(GOOD_VERIFIER),
        code_challenge_method="S256",
    )
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/oauth/errors?error=invalid_request")


def test_single_redirect_uri_may_be_left_out(provider: Provider) -> None:
    resp = authorize(provider, redirect_uri=None)
    assert resp.status_code == 200, resp.headers.get("Location")


# 14. RFC 6750 wording --------------------------------------------------------------------


def api(provider: Provider, token: str | None = None, query: str = "") -> requests.Response:
    headers = {"Authorization": "Bearer " + token} if token else {}
    return requests.get(provider.url + "/api/me" + query, headers=headers, timeout=10)


def test_no_token_is_a_challenge_without_an_error_code(provider: Provider) -> None:
    resp = api(provider)
    assert resp.status_code == 401
    challenge = resp.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="')
    assert "error" not in challenge


def test_unknown_token_is_called_invalid(provider: Provider) -> None:
    resp = api(provider, "never-issued")
    assert resp.status_code == 401
    assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]
    assert "realm=" in resp.headers["WWW-Authenticate"]
    assert "invalid" in resp.json()["error_description"].lower()
    assert "not found" not in resp.json()["error_description"].lower()


def test_revoked_and_expired_tokens_say_so(provider: Provider) -> None:
    provider.store.add_token("revoked-one", revoked=True)
    past = datetime.now(timezone.utc) - timedelta(seconds=5)
    provider.store.add_token("expired-one", expires=past)
    revoked = api(provider, "revoked-one").json()["error_description"].lower()
    expired = api(provider, "expired-one").json()["error_description"].lower()
    assert "revoked" in revoked and "expired" not in revoked
    assert "expired" in expired


def test_token_in_the_query_is_explained(provider: Provider) -> None:
    provider.store.add_token("query-token")
    resp = api(provider, query="?access_token=query-token")
    assert resp.status_code == 401
    assert "query" in resp.json()["error_description"].lower()


def test_insufficient_scope_names_the_scope(provider: Provider) -> None:
    provider.store.add_token("email-only", ["email"])
    resp = requests.get(
        provider.url + "/api/profile", headers={"Authorization": "Bearer email-only"}, timeout=10
    )
    assert resp.status_code == 403
    challenge = resp.headers["WWW-Authenticate"]
    assert 'error="insufficient_scope"' in challenge and 'scope="email profile"' in challenge
