"""The rules of client ID metadata documents, without a network: which addresses may be
fetched, which ``client_id`` URLs and documents are accepted, how long an answer is kept,
the cache, and the settings."""

from __future__ import annotations

from email.message import Message
from ipaddress import ip_address
from typing import Any

import pytest
from flask import Flask

from flask_oauthlib_provider_oauth2 import OAuth2Provider, OAuth2RequestValidator, OAuth2Settings
from flask_oauthlib_provider_oauth2.client_id_metadata import (
    DocumentRefused,
    check_client_id_url,
    client_from_document,
    is_client_id_url,
)
from flask_oauthlib_provider_oauth2.client_id_metadata_fetch import (
    DocumentCache,
    cache_lifetime,
    is_public_address,
)
from flask_oauthlib_provider_oauth2.client_metadata import Offer
from flask_oauthlib_provider_oauth2.clientauth import CLIENT_SECRET_BASIC

URL = "https://app.example.com/oauth/client.json"
OFFER = Offer(
    grant_types=frozenset({"authorization_code", "refresh_token"}),
    response_types=frozenset({"code"}),
    auth_methods=("none",),
    scopes=("read", "write"),
)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("127.0.0.1", False),
        ("127.255.255.254", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # shared address space
        ("0.0.0.0", False),  # noqa: S104 - an address checked, not bound
        ("255.255.255.255", False),
        ("224.0.0.251", False),
        ("239.1.2.3", False),
        ("240.0.0.1", False),
        ("192.0.2.1", False),  # documentation
        ("::1", False),
        ("::", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("fd12:3456::1", False),
        ("fec0::1", False),
        ("ff02::1", False),
        ("2001:db8::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", False),  # 6to4 of 169.254.169.254
        ("192.0.0.8", False),  # IETF protocol assignments: global to some ipaddress versions
        ("3fff::1", False),  # the documentation prefix of RFC 9637
    ],
)
def test_only_public_addresses_are_fetched_from(address: str, public: bool) -> None:
    assert is_public_address(ip_address(address)) is public


@pytest.mark.parametrize(
    "client_id",
    [
        URL,
        "https://app.example.com/",
        "https://app.example.com:8443/client.json",
        "https://app.example.com/client?version=2",
        "https://127.0.0.1/client.json",
    ],
)
def test_client_id_urls_the_draft_allows(client_id: str) -> None:
    assert is_client_id_url(client_id)
    check_client_id_url(client_id)


@pytest.mark.parametrize(
    ("client_id", "reason"),
    [
        ("http://app.example.com/client.json", "must use https"),
        ("HTTPS://app.example.com/client.json", "must use https"),
        ("https://app.example.com", "must have a path"),
        ("https:///client.json", "must name a host"),
        ("https://me@app.example.com/client.json", "no user"),
        ("https://me:pw@app.example.com/client.json", "no user"),
        ("https://app.example.com/client.json#x", "fragment"),
        ("https://app.example.com/./client.json", "path segments"),
        ("https://app.example.com/a/../client.json", "path segments"),
        ("https://app.example.com/a/%2e%2E/client.json", "path segments"),
        ("https://app.example.com:0x1/client.json", "not a valid URL"),
        ("https://app.example.com/cli ent.json", "characters"),
        ("https://app.example.com/client\x00.json", "characters"),
        ("https://bücher.example/client.json", "characters"),
        ("https://app.example.com/" + "a" * 2000, "too long"),
    ],
)
def test_client_id_urls_the_draft_forbids(client_id: str, reason: str) -> None:
    with pytest.raises(DocumentRefused, match=reason):
        check_client_id_url(client_id)


def test_other_client_ids_are_not_urls() -> None:
    for client_id in ("my-client", "", None, "urn:example:client", "httpsx://a/b"):
        assert not is_client_id_url(client_id)


def test_a_document_becomes_a_public_client() -> None:
    document = {
        "client_id": URL,
        "client_name": "Example",
        "redirect_uris": ["https://app.example.com/cb", "http://127.0.0.1/cb"],
        "scope": "read admin",
        "grant_types": ["authorization_code"],
        "jwks_uri": "https://app.example.com/jwks",  # its keys, for signed requests
    }
    client = client_from_document(URL, document, OFFER)
    assert client.client_id == URL and client.client_name == "Example"
    assert client.client_host == "app.example.com"
    assert client.redirect_uris == ("https://app.example.com/cb", "http://127.0.0.1/cb")
    assert client.default_redirect_uri == "https://app.example.com/cb"
    assert client.default_scopes == ("read",)  # admin is not offered: left out
    assert client.allowed_grant_types == ("authorization_code",)
    assert client.allowed_response_types == ("code",)
    assert not client.is_confidential and client.client_secret is None
    assert client.token_endpoint_auth_method == "none"
    assert dict(client.client_metadata) == {
        "client_name": "Example",
        "jwks_uri": "https://app.example.com/jwks",
    }
    with pytest.raises(TypeError):
        client.client_metadata["client_name"] = "changed"  # type: ignore[index]
    without_scope = client_from_document(URL, {**document, "scope": None}, OFFER)
    assert without_scope.default_scopes == ("read", "write")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"client_id": None}, "client_id is not the URL"),
        ({"client_id": URL + "/"}, "client_id is not the URL"),
        ({"client_id": URL.upper()}, "client_id is not the URL"),
        ({"client_secret_expires_at": 0}, "must not hold client_secret_expires_at"),
        ({"token_endpoint_auth_method": "client_secret_post"}, "shared secret"),
        ({"token_endpoint_auth_method": "client_secret_jwt"}, "shared secret"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "does not support private_key_jwt"),
        ({"token_endpoint_auth_method": "tls_client_auth"}, "must be one of: none"),
        ({"grant_types": ["refresh_token"], "response_types": []}, "must include authorization"),
        ({"grant_types": ["authorization_code"], "response_types": ["token"]}, "does not offer"),
        ({"redirect_uris": "https://app.example.com/cb"}, "array of"),
        ({"redirect_uris": ["https://app.example.com/cb#x"]}, "fragment"),
        ({"logo_uri": "javascript:alert(1)"}, "logo_uri"),
        ({"client_name": 42}, "client_name"),
        ({"scope": 7}, "scope"),
    ],
)
def test_documents_the_provider_refuses(change: dict[str, Any], reason: str) -> None:
    document = {"client_id": URL, "redirect_uris": ["https://app.example.com/cb"], **change}
    document = {name: value for name, value in document.items() if value is not None}
    with pytest.raises(DocumentRefused, match=reason):
        client_from_document(URL, document, OFFER)


def headers(**fields: str) -> Message:
    message = Message()
    for name, value in fields.items():
        message[name.replace("_", "-")] = value
    return message


@pytest.mark.parametrize(
    ("fields", "lifetime"),
    [
        ({}, 60),  # nothing said: the minimum
        ({"Cache_Control": "max-age=300"}, 300),
        ({"Cache_Control": "public, max-age=300", "Age": "100"}, 200),
        ({"Cache_Control": "max-age=5"}, 60),  # within the bounds
        ({"Cache_Control": "max-age=0"}, 60),
        ({"Cache_Control": "max-age=999999"}, 3600),
        ({"Cache_Control": 'private="x, y", max-age=120'}, 120),
        ({"Cache_Control": "max-age=abc"}, 60),  # invalid: stale, then the minimum
        ({"Cache_Control": "no-store"}, 0),
        ({"Cache_Control": "max-age=300, no-store"}, 0),
        ({"Cache_Control": "no-cache"}, 0),
        ({"Cache_Control": "NO-STORE"}, 0),
        (
            {"Date": "Tue, 01 Dec 2026 10:00:00 GMT", "Expires": "Tue, 01 Dec 2026 10:10:00 GMT"},
            600,
        ),
        ({"Expires": "0"}, 60),  # invalid: already expired
        (
            {
                "Cache_Control": "max-age=120",
                "Date": "Tue, 01 Dec 2026 10:00:00 GMT",
                "Expires": "Tue, 01 Dec 2026 10:10:00 GMT",
            },
            120,  # max-age wins over Expires
        ),
    ],
)
def test_how_long_an_answer_is_kept(fields: dict[str, str], lifetime: float) -> None:
    assert cache_lifetime(headers(**fields), 60, 3600, now=0) == lifetime


def test_expires_without_a_date_counts_from_now() -> None:
    expires = headers(Expires="Tue, 01 Dec 2026 10:10:00 GMT")
    now = 1796119200.0  # Tue, 01 Dec 2026 10:00:00 GMT
    assert cache_lifetime(expires, 60, 3600, now=now) == 600


def test_the_cache_expires_drops_the_least_recently_used_and_forgets() -> None:
    now = [0.0]
    cache: DocumentCache[str] = DocumentCache(2, clock=lambda: now[0])
    cache.put("a", "A", 10)
    cache.put("b", "B", 100)
    cache.put("nothing", "N", 0)  # not kept
    assert (cache.get("a"), cache.get("b"), cache.get("nothing")) == ("A", "B", None)
    assert cache.get("a") == "A"  # a is now the most recently used
    cache.put("c", "C", 100)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == ("A", None, "C")
    now[0] = 10
    assert cache.get("a") is None and len(cache) == 1
    loads: list[str] = []
    assert cache.get_or_load("d", lambda: (loads.append("d") or "D", 5)) == "D"
    assert cache.get_or_load("d", lambda: (loads.append("d") or "X", 5)) == "D"
    assert loads == ["d"]
    cache.forget("d")
    assert cache.get("d") is None and cache.get("c") == "C"
    cache.forget()
    assert len(cache) == 0


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("TIMEOUT", 0),
        ("TIMEOUT", "5"),
        ("MAX_SIZE", 0),
        ("CACHE_MIN", -1),
        ("CACHE_MAX", 10),  # below the minimum (60)
        ("CACHE_ERRORS", -5),
        ("CACHE_SIZE", 0),
        ("CACHE_SIZE", True),
    ],
)
def test_limits_out_of_range_are_refused(key: str, value: Any) -> None:
    with pytest.raises(ValueError, match=f"OAUTH2_PROVIDER_CLIENT_ID_METADATA_{key}"):
        OAuth2Settings.from_config({f"OAUTH2_PROVIDER_CLIENT_ID_METADATA_{key}": value})


def test_scopes_default_to_those_of_registration() -> None:
    settings = OAuth2Settings.from_config({"OAUTH2_PROVIDER_REGISTRATION_SCOPES": "read write"})
    assert settings.client_id_metadata_scopes == ("read", "write")
    settings = OAuth2Settings.from_config(
        {
            "OAUTH2_PROVIDER_REGISTRATION_SCOPES": "read write",
            "OAUTH2_PROVIDER_CLIENT_ID_METADATA_SCOPES": ["read"],
        }
    )
    assert settings.client_id_metadata_scopes == ("read",)
    assert OAuth2Settings.from_config({}).client_id_metadata_documents is False


class SecretsOnly(OAuth2RequestValidator):
    client_auth_methods = (CLIENT_SECRET_BASIC,)


def test_not_advertised_when_public_clients_cannot_be_served(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Flask("secrets_only")
    app.config["OAUTH2_PROVIDER_CLIENT_ID_METADATA_DOCUMENTS"] = True
    oauth = OAuth2Provider(app, validator_class=SecretsOnly)
    oauth.clientgetter(lambda client_id: None)
    oauth.tokengetter(lambda access_token=None, refresh_token=None: None)
    oauth.grantgetter(lambda client_id, code: None)
    oauth.grantsetter(lambda *args, **kwargs: None)

    @app.route("/.well-known/oauth-authorization-server")
    @oauth.metadata_handler
    def metadata() -> dict[str, Any]:
        return {}

    document = app.test_client().get("/.well-known/oauth-authorization-server").json
    assert "client_id_metadata_document_supported" not in document
    assert "need the 'none' method" in caplog.text
