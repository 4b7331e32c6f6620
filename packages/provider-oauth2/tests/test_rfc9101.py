"""Request objects (RFC 9101): by value at the authorization endpoint and pushed, the
checks of their signature and claims, ``alg: none``, required signing, and the
metadata."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from cimd_testing import DocumentServer
from oauth2_app import REDIRECT, redeem
from par_testing import ISSUER, OTHER_KEY, Site, public_jwks, request_object

from flask_oauthlib_core.testing import redirect_params
from flask_oauthlib_provider_oauth2.client_keys import forget_fetched_keys


@pytest.fixture
def site() -> Site:
    return Site.make()


def test_signed_request_object_by_value(site: Site) -> None:
    code = site.code(client_id="confidential", request=request_object())
    assert redeem(site.client, code).status_code == 200


def test_only_the_request_objects_parameters_count(site: Site) -> None:
    """RFC 9101 6.3: the query's scope and state are ignored, the object's are used."""
    params = {"client_id": "confidential", "request": request_object(state="signed")}
    site.authorize(**params, scope="profile", state="query")
    answer = site.authorize("POST", **params, scope="profile", state="query")
    found = redirect_params(answer.headers["Location"])
    assert found["state"] == "signed" and "code" in found
    (grant,) = site.store.grants.values()
    assert grant.scopes == ["email"]


def test_signed_request_object_via_par(site: Site) -> None:
    answer = site.push(request=request_object())
    assert answer.status_code == 201, answer.text
    code = site.code(client_id="confidential", request_uri=answer.json["request_uri"])
    assert redeem(site.client, code).status_code == 200


def test_a_pushed_request_object_is_checked(site: Site) -> None:
    answer = site.push(request=request_object(key=OTHER_KEY))
    assert answer.status_code == 400
    assert answer.json["error"] == "invalid_request_object"


@pytest.mark.parametrize(
    ("token", "hint"),
    [
        (lambda: request_object(alg="none", kid=None), "signed"),
        (lambda: request_object(key=OTHER_KEY), "signature"),
        (lambda: request_object(aud="https://elsewhere.example"), "aud"),
        (lambda: request_object(iss="machine"), "iss"),
        (lambda: request_object(iss="confidential", client_id="machine"), "client_id"),
        (lambda: request_object(iss="confidential", client_id=None), "client_id"),
        (lambda: request_object(exp=int(time.time()) - 600), "expired"),
        (lambda: request_object(exp=None), "exp"),
        (lambda: request_object(exp=int(time.time()) + 100_000_000), "exp"),
        (lambda: request_object(request_uri="https://x.example/r"), "request_uri"),
        (lambda: request_object(scope=["email"]), "scope"),
        (lambda: request_object(max_age=True), "max_age"),
        ("not-a-jwt", "JWT"),
        ("e30.e30.e30", "alg"),
        ("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "signature"),
        ("x" * 70_000, "too long"),
    ],
)
def test_bad_request_objects_are_refused(
    site: Site, token: str | Callable[[], str], hint: str
) -> None:
    # made now, not when the tests are collected: their exp is a few minutes away
    page = site.authorize(client_id="confidential", request=token() if callable(token) else token)
    assert site.fatal_error(page) == "invalid_request_object"
    assert hint in redirect_params(page.headers["Location"])["error_description"]


def test_a_request_object_of_a_client_without_keys_is_refused(site: Site) -> None:
    delattr(site.store.clients["confidential"], "jwks")
    page = site.authorize(client_id="confidential", request=request_object())
    assert site.fatal_error(page) == "invalid_request_object"


def test_the_outer_client_id_is_required_and_must_exist(site: Site) -> None:
    assert site.fatal_error(site.authorize(request=request_object())) == "invalid_request"
    page = site.authorize(client_id="nobody", request=request_object())
    assert site.fatal_error(page) == "invalid_request"  # oauthlib's InvalidClientIdError


def test_request_and_request_uri_together_are_refused(site: Site) -> None:
    page = site.authorize(
        client_id="confidential", request=request_object(), request_uri=site.request_uri()
    )
    assert site.fatal_error(page) == "invalid_request"


def test_unsigned_only_for_clients_that_registered_none(site: Site) -> None:
    client = site.store.clients["confidential"]
    setattr(client, "request_object_signing_alg", "none")  # noqa: B010
    code = site.code(client_id="confidential", request=request_object(alg="none", kid=None))
    assert redeem(site.client, code).status_code == 200
    # and then signed ones are refused: the client said it sends unsigned ones
    page = site.authorize(client_id="confidential", request=request_object())
    assert site.fatal_error(page) == "invalid_request_object"
    # unless the client also requires signing
    setattr(client, "require_signed_request_object", True)  # noqa: B010
    page = site.authorize(client_id="confidential", request=request_object(alg="none", kid=None))
    assert site.fatal_error(page) == "invalid_request_object"


def test_a_registered_algorithm_is_the_only_one(site: Site) -> None:
    setattr(site.store.clients["confidential"], "request_object_signing_alg", "PS256")  # noqa: B010
    page = site.authorize(client_id="confidential", request=request_object())
    assert site.fatal_error(page) == "invalid_request_object"
    assert site.code(client_id="confidential", request=request_object(alg="PS256"))


def test_required_signed_request_object_app_wide() -> None:
    site = Site.make(OAUTH2_PROVIDER_REQUIRE_SIGNED_REQUEST_OBJECT=True)
    plain = {"client_id": "confidential", "response_type": "code", "redirect_uri": REDIRECT}
    assert site.client_error(site.authorize(**plain)) == "invalid_request_object"
    answer = site.push()
    assert answer.status_code == 400 and answer.json["error"] == "invalid_request_object"
    assert site.code(client_id="confidential", request=request_object())
    uri = site.request_uri(request=request_object())
    assert site.code(client_id="confidential", request_uri=uri)
    document = site.client.get("/.well-known/oauth-authorization-server").json
    assert document["require_signed_request_object"] is True
    assert "none" not in document["request_object_signing_alg_values_supported"]


def test_required_signed_request_object_per_client(site: Site) -> None:
    setattr(site.store.clients["confidential"], "require_signed_request_object", True)  # noqa: B010
    plain = {"client_id": "confidential", "response_type": "code", "redirect_uri": REDIRECT}
    assert site.client_error(site.authorize(**plain)) == "invalid_request_object"
    assert site.push().json["error"] == "invalid_request_object"
    assert site.code(client_id="confidential", request=request_object())
    assert site.authorize(**{**plain, "client_id": "machine"}).status_code == 200


def test_par_required_refuses_a_request_object_by_value() -> None:
    site = Site.make(OAUTH2_PROVIDER_REQUIRE_PUSHED_AUTHORIZATION_REQUESTS=True)
    page = site.authorize(client_id="confidential", request=request_object())
    assert site.client_error(page) == "invalid_request"


def test_metadata(site: Site) -> None:
    document = site.client.get("/.well-known/oauth-authorization-server").json
    assert document["request_parameter_supported"] is True
    assert document["request_uri_parameter_supported"] is False
    assert document["require_signed_request_object"] is False
    assert {"RS256", "PS256", "ES256", "none"} <= set(
        document["request_object_signing_alg_values_supported"]
    )
    assert "HS256" not in document["request_object_signing_alg_values_supported"]


def test_keys_from_a_jwks_uri() -> None:
    forget_fetched_keys()
    with DocumentServer() as documents:
        url = documents.serve("/jwks", public_jwks())
        site = Site.make(**documents.config)
        client: Any = site.store.clients["confidential"]
        del client.jwks
        client.jwks_uri = url
        for _ in range(2):
            assert site.code(client_id="confidential", request=request_object())
        assert documents.hits["/jwks"] == 1
    forget_fetched_keys()


def test_request_object_aud_must_be_the_issuer_at_the_authorization_endpoint(site: Site) -> None:
    token = request_object(aud="http://localhost/oauth/par")
    assert site.fatal_error(site.authorize(client_id="confidential", request=token)) == (
        "invalid_request_object"
    )
    assert ISSUER  # the issuer configured by Site.make
