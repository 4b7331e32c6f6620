"""Resource indicators (RFC 8707) over real HTTP: the audience of codes and tokens, its
narrowing, the allow-lists, storage that cannot keep resources, the resource server's
audience check, and bad input answered 400 without writing anything."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from flask import Flask
from oauth2_app import REDIRECT, SECRETS, Store
from resource_app import ResourceApp

from flask_oauthlib_core.testing import consent, redirect_params
from flask_oauthlib_provider_oauth2 import OAuth2Settings, rfc8628
from flask_oauthlib_provider_oauth2.rfc8707 import MAX_RESOURCES

API = "https://api.example.com/v1"
FILES = "https://files.example.com"
OTHER = "urn:example:other"

Serve = Callable[[Flask], str]


def ok(answer: requests.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def refused(answer: requests.Response, *errors: str) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] in (errors or ("invalid_target",)), answer.text


def test_code_keeps_resources_and_token_narrows_to_a_subset(serve: Serve) -> None:
    site = ResourceApp(serve)
    site.configure(OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS=[API])
    code = site.code([API, FILES, API])
    assert site.consent_kwargs[0]["resources"] == [API, FILES]  # the page can show them
    (grant,) = site.store.grants.values()
    assert grant.resources == [API, FILES]

    token = ok(site.redeem(code, [API]))
    assert site.store.token_for(token["access_token"]).resources == [API]
    assert ok(site.get("/api/data", token["access_token"])) == {"resources": [API]}
    introspected = requests.post(
        site.url + "/oauth/introspect",
        data={"token": token["access_token"]},
        auth=("confidential", SECRETS["confidential"]),
        timeout=10,
    ).json()
    assert introspected["active"] and introspected["aud"] == API


def test_token_request_cannot_ask_for_a_resource_not_granted(serve: Serve) -> None:
    site = ResourceApp(serve)
    refused(site.redeem(site.code([API]), [FILES]))
    assert not site.store.tokens
    # without resource the token gets all the code's resources; with several, aud is a list
    token = ok(site.redeem(site.code([API, FILES])))
    assert site.store.token_for(token["access_token"]).resources == [API, FILES]
    introspected = requests.post(
        site.url + "/oauth/introspect",
        data={"token": token["access_token"]},
        auth=("confidential", SECRETS["confidential"]),
        timeout=10,
    ).json()
    assert introspected["aud"] == [API, FILES]


def test_refresh_narrows_never_widens(serve: Serve) -> None:
    site = ResourceApp(serve)
    first = ok(site.redeem(site.code([API, FILES])))
    narrowed = ok(site.refresh(first["refresh_token"], [FILES]))
    assert site.store.token_for(narrowed["access_token"]).resources == [FILES]
    refused(site.refresh(narrowed["refresh_token"], [API]))  # the refresh token is FILES only
    again = ok(site.refresh(narrowed["refresh_token"]))
    assert site.store.token_for(again["access_token"]).resources == [FILES]


def test_unrestricted_code_may_be_narrowed_at_the_token_endpoint(serve: Serve) -> None:
    site = ResourceApp(serve)
    code = site.code()
    assert "resources" not in site.consent_kwargs[0]  # views written for 0.9.6 get nothing new
    token = ok(site.redeem(code, [OTHER]))
    assert site.store.token_for(token["access_token"]).resources == [OTHER]


def test_client_credentials_password_and_implicit(serve: Serve) -> None:
    site = ResourceApp(serve)
    machine = ok(site.machine_token([API]))
    assert site.store.token_for(machine["access_token"]).resources == [API]
    pairs = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "wonderland"),
        ("resource", FILES),
    ]
    password = ok(site.token(pairs))
    assert site.store.token_for(password["access_token"]).resources == [FILES]
    answer = consent(site.authorize_url([API], response_type="token"), open_page=True)
    implicit = redirect_params(answer)
    assert site.store.token_for(implicit["access_token"]).resources == [API]


@pytest.mark.skipif(not rfc8628.SUPPORTED, reason="the device flow needs oauthlib >= 4.0")
def test_device_grant(serve: Serve) -> None:
    site = ResourceApp(serve)
    # a device the user has authorized on the verification page
    device = SimpleNamespace(
        client_id="confidential",
        scopes=["email"],
        expires=None,
        status="authorized",
        user=site.store.alice,
        redeem=lambda: True,
    )
    site.oauth.devicesetter(lambda device, req: None)
    site.oauth.devicegetter(lambda device_code: device if device_code == "d1" else None)
    pairs = [("grant_type", rfc8628.DEVICE_GRANT_TYPE), ("device_code", "d1")]
    token = ok(site.token(pairs + [("resource", API)]))
    assert site.store.token_for(token["access_token"]).resources == [API]


def test_client_and_server_allow_lists(serve: Serve) -> None:
    site = ResourceApp(serve)
    site.configure(OAUTH2_PROVIDER_ALLOWED_RESOURCES=[API, FILES])
    site.store.clients["machine"].allowed_resources = [API]
    refused(site.machine_token([OTHER]))  # unknown to the server
    refused(site.machine_token([FILES]))  # known, but not to this client
    defaulted = ok(site.machine_token())  # a limited client naming none gets its own
    assert site.store.token_for(defaulted["access_token"]).resources == [API]
    answer = consent(site.authorize_url([OTHER]), open_page=True)
    assert redirect_params(answer)["error"] == "invalid_target"
    assert not site.store.grants
    # the metadata of the authorization server lists the resources it knows (RFC 9728 4)
    document = requests.get(site.url + "/.well-known/oauth-authorization-server", timeout=10)
    assert document.json()["protected_resources"] == [API, FILES]


BAD_VALUES = [
    "",
    "api",
    "/v1/data",
    "//api.example.com/v1",
    f"{API}#fragment",
    f"{API}#",
    "https://api.example.com/with space",
    "https://api.example.com/\x00",
    "\x00",
    "https://api.example.com/" + "a" * 5000,
    "https:///no-host",
    "https://api.example.com:99999/",
    "https://api.exämple.com/",
    'https://api.example.com/"quoted"',
    "https://api.example.com/%zz",
]


BAD_INPUT = ("invalid_target", "invalid_request")


@pytest.mark.parametrize("value", BAD_VALUES)
def test_bad_resource_is_refused_and_nothing_written(serve: Serve, value: str) -> None:
    site = ResourceApp(serve)
    code = site.code()
    grants_before = {code: vars(grant).copy() for code, grant in site.store.grants.items()}
    # invalid_request when the request is malformed before its resource is read (a NUL)
    refused(site.machine_token([value]), *BAD_INPUT)
    refused(site.redeem(code, [API, value]), *BAD_INPUT)
    refused(site.refresh("whatever", [value]), *BAD_INPUT)
    assert not site.store.tokens
    answer = consent(site.authorize_url([value]), open_page=True)
    assert redirect_params(answer)["error"] in BAD_INPUT
    assert {c: vars(g) for c, g in site.store.grants.items()} == grants_before
    ok(site.redeem(code))  # the bad requests did not use the code up


def test_repeated_junk_is_refused(serve: Serve) -> None:
    site = ResourceApp(serve)
    many = [f"{API}/{n}" for n in range(MAX_RESOURCES + 1)]
    refused(site.machine_token(many))
    refused(site.machine_token([API] * 500))  # the same value over and over
    answer = consent(site.authorize_url(many), open_page=True)
    assert redirect_params(answer)["error"] == "invalid_target"
    assert not site.store.tokens and not site.store.grants
    fine = ok(site.machine_token([API] * 3))  # a few repeats count once
    assert site.store.token_for(fine["access_token"]).resources == [API]


@pytest.mark.parametrize("store", ["0.9.6", "modern"])
def test_storage_without_resources_works_as_before_and_refuses_them(
    serve: Serve, store: str
) -> None:
    site = ResourceApp(serve, Store(modern=store == "modern"), keep_grants=False, keep_tokens=False)
    token = ok(site.redeem(site.code()))
    assert ok(site.get("/api/data", token["access_token"])) == {"resources": []}
    assert ok(site.refresh(token["refresh_token"]))["access_token"]
    ok(site.machine_token())

    live = {t.access_token for t in site.store.tokens.values() if not t.revoked}
    answer = consent(site.authorize_url([API]), open_page=True)
    assert redirect_params(answer)["error"] == "invalid_target"
    assert all(getattr(g, "used", False) for g in site.store.grants.values())  # withdrawn
    refused(site.machine_token([API]))
    assert {t.access_token for t in site.store.tokens.values() if not t.revoked} == live


def test_grant_storage_keeps_resources_but_token_storage_does_not(serve: Serve) -> None:
    site = ResourceApp(serve, keep_tokens=False)
    code = site.code([API])
    refused(site.redeem(code))
    (token,) = site.store.tokens.values()
    assert token.revoked  # issued, read back without resources, withdrawn


def test_consent_form_that_does_not_repost_resources(serve: Serve) -> None:
    site = ResourceApp(serve)
    site.app.secret_key = "test"
    browser = requests.Session()
    form = {
        "client_id": "confidential",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "email",
        "state": "s1",
    }
    assert browser.get(site.authorize_url([API], state="s1"), timeout=10).status_code == 200
    # a 0.9.6 consent template posts the request as hidden fields, without resource
    posted = browser.post(
        site.url + "/oauth/consent",
        data={**form, "confirm": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    code = redirect_params(posted.headers["Location"])["code"]
    assert site.store.grants[code].resources == [API]  # never widened by the form
    # a later request of the same client and state without resources asks for none
    assert browser.get(site.authorize_url(state="s1"), timeout=10).status_code == 200
    posted = browser.post(
        site.url + "/oauth/consent",
        data={**form, "confirm": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    assert site.store.grants[redirect_params(posted.headers["Location"])["code"]].resources == []


def test_resource_server_checks_the_audience(serve: Serve) -> None:
    site = ResourceApp(serve)
    site.configure(OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS=[API, FILES])
    for_api = ok(site.machine_token([API]))["access_token"]
    for_other = ok(site.machine_token([OTHER]))["access_token"]
    unrestricted = ok(site.machine_token())["access_token"]
    assert site.get("/api/data", for_api).status_code == 200
    assert site.get("/api/data", unrestricted).status_code == 200  # accepted by default
    answer = site.get("/api/data", for_other)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"
    challenge = answer.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge


def test_each_api_of_one_app_refuses_tokens_for_another(serve: Serve) -> None:
    """The outside review: with two resource identifiers on one app, a token meant for
    the first opened the second (any configured identifier in the audience was
    enough); the identifier the request URL falls under decides."""
    site = ResourceApp(serve)

    @site.app.route("/other/data")
    @site.oauth.require_oauth("email")
    def other_data() -> str:
        return "other"

    mcp, other = site.url + "/api", site.url + "/other"
    site.configure(
        OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS=[mcp, other],
        OAUTH2_PROVIDER_ALLOWED_RESOURCES=[mcp, other],
    )
    for_mcp = ok(site.machine_token([mcp]))["access_token"]
    assert site.get("/api/data", for_mcp).status_code == 200
    refused = site.get("/other/data", for_mcp)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_token"
    both = ok(site.machine_token([mcp, other]))["access_token"]
    assert site.get("/other/data", both).status_code == 200


def test_tokens_without_audience_refused_when_configured(serve: Serve) -> None:
    site = ResourceApp(serve)
    site.configure(
        OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS=API,
        OAUTH2_PROVIDER_ALLOW_TOKENS_WITHOUT_AUDIENCE=False,
    )
    unrestricted = ok(site.machine_token())["access_token"]
    assert site.get("/api/data", unrestricted).status_code == 401
    assert site.get("/api/data", ok(site.machine_token([API]))["access_token"]).status_code == 200


def test_without_resource_identifiers_any_audience_is_accepted(serve: Serve) -> None:
    site = ResourceApp(serve)
    assert site.get("/api/data", ok(site.machine_token([OTHER]))["access_token"]).status_code == 200


@pytest.mark.parametrize(
    "value", ["api.example.com", f"{API}#x", "has space:x", ["https://ok.example", "nope"]]
)
def test_resource_config_is_checked(value: Any) -> None:
    for key in ("OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS", "OAUTH2_PROVIDER_ALLOWED_RESOURCES"):
        with pytest.raises(ValueError, match="absolute URIs"):
            OAuth2Settings.from_config({key: value})
    settings = OAuth2Settings.from_config({"OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS": API})
    assert settings.resource_identifiers == (API,) and settings.allowed_resources is None
