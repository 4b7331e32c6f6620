"""Protected resource metadata (RFC 9728) over real HTTP: the document, its path-suffixed
form, the ``resource_metadata`` of refusals, and a plain HTTP client that discovers the
authorization server from a 401."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from oauth2_app import SECRETS
from resource_app import WELL_KNOWN, ResourceApp

from flask_oauthlib_provider_oauth2 import rfc9728

Serve = Callable[[Flask], str]
CHALLENGE_PARAM = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def challenge(answer: requests.Response) -> dict[str, str]:
    """The parameters of a ``Bearer`` challenge."""
    header = answer.headers["WWW-Authenticate"]
    assert header.startswith("Bearer "), header
    return dict(CHALLENGE_PARAM.findall(header))


@pytest.mark.parametrize(
    ("identifier", "url"),
    [
        ("https://api.example.com", "https://api.example.com/.well-known/oauth-protected-resource"),
        (
            "https://api.example.com/",
            "https://api.example.com/.well-known/oauth-protected-resource",
        ),
        (
            "https://api.example.com/mcp",
            "https://api.example.com/.well-known/oauth-protected-resource/mcp",
        ),
        (
            "https://api.example.com/v1/?tenant=a",
            "https://api.example.com/.well-known/oauth-protected-resource/v1/?tenant=a",
        ),
    ],
)
def test_metadata_url_inserts_the_well_known_suffix(identifier: str, url: str) -> None:
    assert rfc9728.metadata_url(identifier) == url


def test_document_of_a_path_suffixed_resource(serve: Serve) -> None:
    site = ResourceApp(serve)
    api = site.url + "/api"
    site.configure(OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS=[api], OAUTH2_PROVIDER_ISSUER=site.url)
    answer = requests.get(site.url + WELL_KNOWN + "/api", timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {
        "resource": api,
        "authorization_servers": [site.url],
        "bearer_methods_supported": ["header"],
        "scopes_supported": ["email", "profile"],  # what require_oauth needs in this app
        "resource_name": "Test API",  # from the view
    }
    for path in (WELL_KNOWN, WELL_KNOWN + "/other", WELL_KNOWN + "/api/me", WELL_KNOWN + "/api?x"):
        missing = requests.get(site.url + path, timeout=10)
        assert missing.status_code == 404 and missing.json()["error"] == "not_found", path


def test_document_of_the_host_and_token_in_query(serve: Serve) -> None:
    site = ResourceApp(serve, OAUTH2_PROVIDER_ALLOW_TOKEN_IN_QUERY=True)
    document = requests.get(site.url + WELL_KNOWN, timeout=10).json()
    assert document["resource"] == site.url  # without identifiers the app is its host
    assert document["authorization_servers"] == [site.url]
    assert document["bearer_methods_supported"] == ["header", "body", "query"]
    assert requests.get(site.url + WELL_KNOWN + "/api", timeout=10).status_code == 404


def test_view_names_its_resource(serve: Serve) -> None:
    site = ResourceApp(serve, metadata_view=False)

    @site.app.route("/.well-known/oauth-protected-resource/<path:resource>")
    @site.oauth.resource_metadata_handler
    def only_mcp(resource: str) -> dict[str, str]:
        return {"resource": site.url + "/mcp/"}

    assert requests.get(site.url + WELL_KNOWN + "/api", timeout=10).status_code == 404
    document = requests.get(site.url + WELL_KNOWN + "/mcp/", timeout=10).json()
    assert document["resource"] == site.url + "/mcp/"


def test_refusals_carry_the_metadata_url(serve: Serve) -> None:
    site = ResourceApp(serve)
    api = site.url + "/api"
    site.configure(OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS=[api])
    metadata = site.url + WELL_KNOWN + "/api"
    missing = site.get("/api/data")
    assert missing.status_code == 401
    assert challenge(missing) == {"realm": urlsplit(site.url).netloc, "resource_metadata": metadata}
    invalid = challenge(site.get("/api/data", "no-such-token"))
    assert invalid["error"] == "invalid_token" and invalid["resource_metadata"] == metadata
    site.store.add_token("no-profile", scopes=["email"])
    forbidden = site.get("/api/profile", "no-profile")
    assert forbidden.status_code == 403
    params = challenge(forbidden)
    assert params["error"] == "insufficient_scope" and params["scope"] == "email profile"
    assert params["resource_metadata"] == metadata


def test_no_metadata_url_without_a_view_that_serves_it(serve: Serve) -> None:
    plain = ResourceApp(serve, metadata_view=False)
    assert "resource_metadata" not in challenge(plain.get("/api/data"))
    # the view serves the host's document only: a resource with a path is not advertised
    bare = ResourceApp(serve, metadata_view=False)
    bare.configure(OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS=bare.url + "/api")

    @bare.app.route(WELL_KNOWN)
    @bare.oauth.resource_metadata_handler
    def host_only() -> None:
        return None

    assert "resource_metadata" not in challenge(bare.get("/api/data"))


def test_the_request_picks_its_resource(serve: Serve) -> None:
    site = ResourceApp(serve)
    site.configure(
        OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS=["https://elsewhere.example/x", site.url + "/api"]
    )

    @site.app.route("/elsewhere")
    @site.oauth.require_oauth()
    def elsewhere() -> str:
        return "ok"

    assert challenge(site.get("/api/data"))["resource_metadata"] == site.url + WELL_KNOWN + "/api"
    # a request under none of them names no metadata: the first identifier's document
    # would describe another resource (RFC 9728 3.3: a client discards it); the outside
    # review found userinfo's 401 pointing at /api/me's metadata
    assert "resource_metadata" not in challenge(site.get("/elsewhere"))


def test_userinfo_refusal_carries_the_metadata_url(serve: Serve) -> None:
    site = ResourceApp(serve, OAUTH2_PROVIDER_OIDC_ENABLED=True, metadata_view=False)

    @site.app.route("/oauth/userinfo")
    @site.oauth.endpoint_handler("userinfo")
    def userinfo() -> None:
        return None

    @site.app.route(WELL_KNOWN)
    @site.oauth.resource_metadata_handler
    def host_metadata() -> None:
        return None

    answer = site.get("/oauth/userinfo")
    assert answer.status_code == 401
    assert challenge(answer)["resource_metadata"] == site.url + WELL_KNOWN


def test_client_discovers_the_authorization_server_from_a_401(serve: Serve) -> None:
    """A client that knows only the resource's URL, with plain HTTP and no OAuth library."""
    site = ResourceApp(serve)
    site.configure(
        OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS=[site.url + "/api"], OAUTH2_PROVIDER_ISSUER=site.url
    )
    resource_url = site.url + "/api/data"

    first = requests.get(resource_url, timeout=10)
    assert first.status_code == 401
    metadata_url = challenge(first)["resource_metadata"]
    resource = requests.get(metadata_url, timeout=10).json()
    # RFC 9728 3.3: the document is of the resource whose URL the client inserted into
    assert rfc9728.metadata_url(resource["resource"]) == metadata_url
    assert resource_url.startswith(resource["resource"] + "/")
    issuer = resource["authorization_servers"][0]
    server = requests.get(issuer + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert server["issuer"] == issuer
    assert resource["resource"] in server["protected_resources"]

    token = requests.post(
        server["token_endpoint"],
        data={
            "grant_type": "client_credentials",
            "scope": " ".join(resource["scopes_supported"][:1]),
            "resource": resource["resource"],
        },
        auth=("machine", SECRETS["machine"]),
        timeout=10,
    ).json()
    headers = {"Authorization": "Bearer " + token["access_token"]}
    assert requests.get(resource_url, headers=headers, timeout=10).status_code == 200
    # a token meant for another resource is refused here
    other = requests.post(
        server["token_endpoint"],
        data={"grant_type": "client_credentials", "resource": "https://other.example"},
        auth=("machine", SECRETS["machine"]),
        timeout=10,
    ).json()
    headers = {"Authorization": "Bearer " + other["access_token"]}
    refused = requests.get(resource_url, headers=headers, timeout=10)
    assert refused.status_code == 401 and challenge(refused)["error"] == "invalid_token"
