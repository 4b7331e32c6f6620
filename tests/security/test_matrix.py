"""The secure-defaults matrix: each protection that config can switch off is checked on
by default and off once switched, so its test would fail if the protection went away.

(The items no config can weaken are proven by the tests docs/security.md lists;
tests/test_docs.py checks that list is complete and points at tests that exist.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import oauth1_app
import oauth2_app
import pytest
from flask.testing import FlaskClient

from flask_oauthlib_core.testing import consent, redirect_params


def client_for(**config: Any) -> tuple[FlaskClient, Any]:
    app, _, store = oauth2_app.create_app(**config)
    return app.test_client(), store


def authorize(
    client: FlaskClient, client_id: str = "confidential", **params: str
) -> dict[str, str]:
    url = oauth2_app.authorize_url("", client_id, **params)
    return redirect_params(consent(url, browser=client))


def token(client: FlaskClient, **data: str) -> Any:
    return oauth2_app.token_request(client, **data)


def item3_pkce_for_public_clients(**config: Any) -> bool:
    client, _ = client_for(**config)
    return "error" in authorize(client, "public")


def item3_no_plain(**config: Any) -> bool:
    client, _ = client_for(**config)
    return "error" in authorize(
        client, "public", code_challenge="p" * 43, code_challenge_method="plain"
    )


def item4_rotation(**config: Any) -> bool:
    client, _ = client_for(**config)
    first = oauth2_app.redeem(client, authorize(client)["code"]).get_json()
    second = token(
        client, grant_type="refresh_token", refresh_token=first["refresh_token"]
    ).get_json()
    return second.get("refresh_token") not in (None, first["refresh_token"])


def item5_implicit_off(**config: Any) -> bool:
    client, _ = client_for(**config)
    return "access_token" not in authorize(client, response_type="token")


def item5_password_off(**config: Any) -> bool:
    client, _ = client_for(**config)
    resp = token(client, grant_type="password", username="alice", password="wonderland")
    return resp.status_code != 200


def item6_header_only(**config: Any) -> bool:
    client, store = client_for(**config)
    access = oauth2_app.redeem(client, authorize(client)["code"]).get_json()["access_token"]
    return client.get("/api/me?access_token=" + access).status_code == 401


def item10_iss(**config: Any) -> bool:
    client, _ = client_for(**config)
    return "iss" in authorize(client)


def item14_timestamp_window(**config: Any) -> bool:
    app, _, _ = oauth1_app.create_app(**config)
    headers = oauth1_app.request_token_headers(timestamp=str(int(time.time()) - 900))
    return app.test_client().post("/oauth/request_token", headers=headers).status_code != 200


def item16_https(**config: Any) -> bool:
    app, _, _ = oauth1_app.create_app(**config)
    headers = oauth1_app.request_token_headers()
    return app.test_client().post("/oauth/request_token", headers=headers).status_code != 200


MATRIX: list[tuple[str, Callable[..., bool], dict[str, Any], dict[str, Any]]] = [
    (
        "3 PKCE required from public clients",
        item3_pkce_for_public_clients,
        {},
        {"OAUTH2_PROVIDER_PKCE_REQUIRED": "none"},
    ),
    (
        "3 plain PKCE refused",
        item3_no_plain,
        {},
        {"OAUTH2_PROVIDER_PKCE_ALLOW_PLAIN": True, "OAUTH2_PROVIDER_PKCE_REQUIRED": "none"},
    ),
    (
        "4 refresh tokens rotate",
        item4_rotation,
        {},
        {"OAUTH2_PROVIDER_ROTATE_REFRESH_TOKENS": False},
    ),
    (
        "5 implicit can be switched off",
        item5_implicit_off,
        {"OAUTH2_PROVIDER_ALLOW_IMPLICIT": False},
        {},
    ),
    (
        "5 password can be switched off",
        item5_password_off,
        {"OAUTH2_PROVIDER_ALLOW_PASSWORD": False},
        {},
    ),
    (
        "6 bearer tokens from the header only",
        item6_header_only,
        {},
        {"OAUTH2_PROVIDER_ALLOW_TOKEN_IN_QUERY": True},
    ),
    (
        "10 iss on authorization responses",
        item10_iss,
        {"OAUTH2_PROVIDER_ISSUER": "https://issuer"},
        {},
    ),
    (
        "14 timestamp window",
        item14_timestamp_window,
        {},
        {"OAUTH1_PROVIDER_TIMESTAMP_WINDOW": 3600},
    ),
    (
        "16 HTTPS enforced",
        item16_https,
        {"OAUTH1_PROVIDER_ENFORCE_SSL": True},
        {"OAUTH1_PROVIDER_ENFORCE_SSL": False},
    ),
]


@pytest.mark.parametrize(("name", "protected", "on", "off"), MATRIX, ids=[m[0] for m in MATRIX])
def test_protection_is_on_and_its_switch_works(
    name: str, protected: Callable[..., bool], on: dict[str, Any], off: dict[str, Any]
) -> None:
    assert protected(**on), f"{name}: not protected with {on or 'the defaults'}"
    assert not protected(**off), f"{name}: still protected with {off}: the check proves nothing"
