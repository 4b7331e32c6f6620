"""The OAuth 1.0a provider driven by requests-oauthlib and Authlib over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
from authlib.common.urls import quote as escape
from authlib.integrations.requests_client import OAuth1Session as AuthlibSession
from authlib.oauth1 import ClientAuth as AuthlibClientAuth
from authlib.oauth1.rfc5849.signature import generate_signature_base_string
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from oauth1_app import (
    CALLBACK,
    CLIENT_KEY,
    CLIENT_SECRET,
    RSA_CLIENT_KEY,
    Provider,
    create_app,
    request_token_headers,
    signed_headers,
)
from oauthlib.oauth1 import Client as OAuth1Client
from requests_oauthlib import OAuth1, OAuth1Session

from flask_oauthlib_core.testing import consent, redirect_params
from flask_oauthlib_provider_oauth1 import DEFAULTS, OAuth1Provider


def rsa_keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


RSA_PRIVATE, RSA_PUBLIC = rsa_keys()


def authlib_hmac_sha256(client: Any, request: Any) -> str:
    """HMAC-SHA256 for Authlib's client, which ships HMAC-SHA1, RSA-SHA1 and PLAINTEXT."""
    base_string = generate_signature_base_string(request)
    key = f"{escape(client.client_secret or '')}&{escape(client.token_secret or '')}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


AuthlibClientAuth.register_signature_method("HMAC-SHA256", authlib_hmac_sha256)


@pytest.fixture
def make_provider(serve: Callable[[Flask], str]) -> Callable[..., Provider]:
    return partial(Provider.start, serve, rsa_public_key=RSA_PUBLIC)


@pytest.fixture
def provider(make_provider: Callable[..., Provider]) -> Provider:
    return make_provider()


def requests_oauthlib_flow(provider: Provider, **session_kwargs: Any) -> OAuth1Session:
    session_kwargs.setdefault("client_secret", CLIENT_SECRET)
    key = session_kwargs.pop("client_key", CLIENT_KEY)
    sess = OAuth1Session(key, callback_uri=CALLBACK, **session_kwargs)
    sess.fetch_request_token(provider.url + "/oauth/request_token")
    answer = provider.consent(sess.authorization_url(provider.url + "/oauth/authorize"))
    assert answer.status_code == 302
    sess.parse_authorization_response(answer.headers["Location"])
    sess.fetch_access_token(provider.url + "/oauth/access_token")
    return sess


@pytest.mark.parametrize("method", ["HMAC-SHA1", "HMAC-SHA256"])
def test_full_flow_requests_oauthlib(provider: Provider, method: str) -> None:
    sess = requests_oauthlib_flow(provider, signature_method=method)
    got = sess.get(provider.url + "/api/email")
    assert got.json() == {"user": "alice", "client": CLIENT_KEY, "realms": ["email"], "form": {}}
    posted = sess.post(provider.url + "/api/email", data={"a": "1"})
    assert posted.json()["form"] == {"a": "1"}
    assert not provider.store.grants  # the request token was used up


def test_full_flow_rsa_sha1(provider: Provider) -> None:
    sess = requests_oauthlib_flow(
        provider,
        client_key=RSA_CLIENT_KEY,
        client_secret=None,
        signature_method="RSA-SHA1",
        rsa_key=RSA_PRIVATE,
    )
    assert sess.get(provider.url + "/api/email").status_code == 200


@pytest.mark.parametrize("method", ["HMAC-SHA1", "HMAC-SHA256", "RSA-SHA1"])
def test_full_flow_authlib(provider: Provider, method: str) -> None:
    key, secret, rsa_key = (CLIENT_KEY, CLIENT_SECRET, None)
    if method == "RSA-SHA1":
        key, secret, rsa_key = RSA_CLIENT_KEY, None, RSA_PRIVATE
    client = AuthlibSession(
        key, secret, redirect_uri=CALLBACK, signature_method=method, rsa_key=rsa_key
    )
    client.fetch_request_token(provider.url + "/oauth/request_token")
    answer = provider.consent(client.create_authorization_url(provider.url + "/oauth/authorize"))
    client.parse_authorization_response(answer.headers["Location"])
    token = client.fetch_access_token(provider.url + "/oauth/access_token")
    assert token["oauth_authorized_realms"] == "email"
    assert client.get(provider.url + "/api/email").json()["user"] == "alice"


def test_realms_are_enforced(provider: Provider) -> None:
    sess = requests_oauthlib_flow(provider)
    resp = sess.get(provider.url + "/api/profile")
    assert resp.status_code == 401
    assert parse_qs(resp.text)["error"] == ["invalid_token"]


def test_requested_realm_outside_the_clients_realms(provider: Provider) -> None:
    def ask(realm: str) -> requests.Response:
        auth = OAuth1(CLIENT_KEY, CLIENT_SECRET, callback_uri=CALLBACK, realm=realm)
        return requests.post(provider.url + "/oauth/request_token", auth=auth, timeout=10)

    assert ask("email").status_code == 200
    assert ask("profile").status_code == 401  # known realm, not this client's
    assert ask("admin").status_code == 400  # not a realm of the provider


def signed_get(url: str, **kwargs: Any) -> requests.Response:
    return requests.get(url, auth=OAuth1(CLIENT_KEY, CLIENT_SECRET, **kwargs), timeout=10)


def test_bad_inputs_are_clean_oauth_errors(provider: Provider) -> None:
    token = requests_oauthlib_flow(provider).token
    api = provider.url + "/api/email"
    # no OAuth parameters at all
    assert requests.get(api, timeout=10).status_code in (400, 401)
    # bad signature
    bad = requests.get(
        api,
        auth=OAuth1(
            CLIENT_KEY, "wrongsecret0123456789", token["oauth_token"], token["oauth_token_secret"]
        ),
        timeout=10,
    )
    assert bad.status_code == 401
    # unknown client
    unknown = requests.get(
        api,
        auth=OAuth1(
            "unknownclient00000000000", "x" * 24, token["oauth_token"], token["oauth_token_secret"]
        ),
        timeout=10,
    )
    assert unknown.status_code == 401
    # expired timestamp
    client = OAuth1Client(
        CLIENT_KEY,
        CLIENT_SECRET,
        token["oauth_token"],
        token["oauth_token_secret"],
        timestamp=str(int(time.time()) - 3600),
    )
    uri, headers, _ = client.sign(api)
    expired = requests.get(uri, headers=headers, timeout=10)
    assert expired.status_code == 401 and "error=invalid_token" in expired.text
    # malformed Authorization header
    broken = requests.get(
        api, headers={"Authorization": 'OAuth oauth_consumer_key="x", garbage'}, timeout=10
    )
    assert broken.status_code in (400, 401)
    # a query parameter named like a loaded object never reaches a getter's place
    tricky = requests.get(
        api + "?access_token=x&client=y&request_token=z",
        auth=OAuth1(CLIENT_KEY, CLIENT_SECRET, token["oauth_token"], token["oauth_token_secret"]),
        timeout=10,
    )
    assert tricky.status_code in (200, 400, 401)


def test_replayed_nonce_is_rejected(provider: Provider) -> None:
    token = requests_oauthlib_flow(provider).token
    client = OAuth1Client(
        CLIENT_KEY,
        CLIENT_SECRET,
        token["oauth_token"],
        token["oauth_token_secret"],
        nonce="n" * 30,
        timestamp=str(int(time.time())),
    )
    uri, headers, _ = client.sign(provider.url + "/api/email")
    assert requests.get(uri, headers=headers, timeout=10).status_code == 200
    assert requests.get(uri, headers=headers, timeout=10).status_code == 401


def test_only_valid_requests_store_their_nonce() -> None:
    """oauthlib checks the nonce before the client and the signature: requests from
    unknown clients or with bad signatures must not fill the nonce store."""
    app, _, store = create_app()
    client = app.test_client()
    for key, secret in (("a" * 25, "x" * 24), (CLIENT_KEY, "wrongsecret0123456789")):
        signer = {"client_key": key, "client_secret": secret}
        headers = signed_headers(
            "/api/email", resource_owner_key="b" * 25, resource_owner_secret="c" * 25, **signer
        )
        assert client.get("/api/email", headers=headers).status_code == 401
        headers = request_token_headers(**signer)
        assert client.post("/oauth/request_token", headers=headers).status_code == 401
    assert not store.nonces
    headers = request_token_headers()
    assert client.post("/oauth/request_token", headers=headers).status_code == 200
    assert len(store.nonces) == 1  # the 0.9.6 noncesetter returns None: stored
    assert client.post("/oauth/request_token", headers=headers).status_code == 401


def authorized_request_token(provider: Provider) -> tuple[dict[str, str], str]:
    """A request token the user allowed, and its verifier."""
    sess = OAuth1Session(CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri=CALLBACK)
    fetched = sess.fetch_request_token(provider.url + "/oauth/request_token")
    answer = provider.consent(sess.authorization_url(provider.url + "/oauth/authorize"))
    return fetched, redirect_params(answer)["oauth_verifier"]


def exchange(provider: Provider, fetched: dict[str, str], verifier: str) -> requests.Response:
    """Ask for the access token of ``fetched`` with ``verifier``."""
    token, secret = fetched["oauth_token"], fetched["oauth_token_secret"]
    auth = OAuth1(CLIENT_KEY, CLIENT_SECRET, token, secret, verifier=verifier)
    return requests.post(provider.url + "/oauth/access_token", auth=auth, timeout=10)


def test_redeemed_request_token_is_not_exchanged(provider: Provider) -> None:
    fetched, verifier = authorized_request_token(provider)
    assert provider.store.grants[fetched["oauth_token"]].redeem()  # another exchange won
    late = exchange(provider, fetched, verifier)
    assert late.status_code == 401 and not provider.store.tokens


def test_wrong_verifier_and_reused_request_token(provider: Provider) -> None:
    fetched, verifier = authorized_request_token(provider)
    assert exchange(provider, fetched, "x" * len(verifier)).status_code == 401
    assert exchange(provider, fetched, verifier).status_code == 200
    assert exchange(provider, fetched, verifier).status_code == 401


def test_denied_and_bad_authorization(provider: Provider) -> None:
    sess = OAuth1Session(CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri=CALLBACK)
    sess.fetch_request_token(provider.url + "/oauth/request_token")
    denied = provider.consent(
        sess.authorization_url(provider.url + "/oauth/authorize"), allow=False
    )
    assert denied.headers["Location"] == "/oauth/errors?error=denied"
    unknown = requests.get(
        provider.url + "/oauth/authorize?oauth_token=" + "u" * 25, allow_redirects=False, timeout=10
    )
    assert unknown.headers["Location"].startswith("/oauth/errors?error=")


def test_unregistered_callback_is_refused(provider: Provider) -> None:
    sess = OAuth1Session(
        CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri="http://evil.example/cb"
    )
    with pytest.raises(Exception):  # noqa: B017 - requests-oauthlib raises its own TokenRequestDenied
        sess.fetch_request_token(provider.url + "/oauth/request_token")


def test_plaintext_only_when_allowed(make_provider: Callable[..., Provider]) -> None:
    provider = make_provider()
    resp = requests.post(
        provider.url + "/oauth/request_token",
        auth=OAuth1(CLIENT_KEY, CLIENT_SECRET, callback_uri=CALLBACK, signature_method="PLAINTEXT"),
        timeout=10,
    )
    assert resp.status_code == 400
    provider = make_provider(OAUTH1_PROVIDER_SIGNATURE_METHODS=["PLAINTEXT"])
    resp = requests.post(
        provider.url + "/oauth/request_token",
        auth=OAuth1(CLIENT_KEY, CLIENT_SECRET, callback_uri=CALLBACK, signature_method="PLAINTEXT"),
        timeout=10,
    )
    assert resp.status_code == 200


def test_https_is_enforced_by_default(make_provider: Callable[..., Provider]) -> None:
    provider = make_provider(OAUTH1_PROVIDER_ENFORCE_SSL=True)
    resp = requests.post(
        provider.url + "/oauth/request_token",
        auth=OAuth1(CLIENT_KEY, CLIENT_SECRET, callback_uri=CALLBACK),
        timeout=10,
    )
    assert resp.status_code == 400 and "insecure_transport" in resp.text


def test_hooks(provider: Provider) -> None:
    sess = requests_oauthlib_flow(provider)
    seen: list[Any] = []

    @provider.oauth.before_request
    def before() -> None:
        seen.append("before")

    @provider.oauth.after_request
    def after(valid: bool, req: Any) -> tuple[bool, Any]:
        seen.append(valid)
        return False, req

    assert sess.get(provider.url + "/api/email").status_code == 401
    assert seen == ["before", True]


def test_init_app_defaults_and_error_uri() -> None:
    oauth = OAuth1Provider()
    app = Flask("late")
    oauth.init_app(app)
    for key, value in DEFAULTS.items():
        assert app.config[key] == value
    with app.test_request_context():
        assert oauth.error_uri == "/oauth/errors"
        app.config["OAUTH1_PROVIDER_ERROR_URI"] = "/e"
        assert oauth.error_uri == "/e"
        with pytest.raises(RuntimeError, match="clientgetter"):
            oauth.server  # noqa: B018
    with pytest.raises(RuntimeError, match="already registered"):
        OAuth1Provider(app)


def test_validator_properties() -> None:
    from flask_oauthlib_provider_oauth1 import OAuth1RequestValidator

    validator = OAuth1RequestValidator(
        *([lambda **kw: None] * 9), config={"OAUTH1_PROVIDER_ENFORCE_SSL": False}
    )
    assert validator.enforce_ssl is False
    assert validator.allowed_signature_methods == ("HMAC-SHA1", "HMAC-SHA256", "RSA-SHA1")
    assert validator.timestamp_lifetime == 600 and validator.realms == []


def test_consent_page_cannot_be_framed_and_gets_no_cors(provider: Provider) -> None:
    """The consent page (and every answer of the authorization view) forbids framing,
    whatever the app's other hooks say, and carries no CORS headers: a page of another
    site framing it would get the user's own click on "allow" (the consent check sees a
    same-origin POST from inside the frame)."""

    def permissive(resp: Any) -> Any:
        resp.headers["Access-Control-Allow-Origin"] = "*"
        resp.headers["Access-Control-Allow-Credentials"] = "true"
        resp.headers["X-Frame-Options"] = "SAMEORIGIN"
        resp.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors *"
        return resp

    provider.app.after_request_funcs.setdefault(None, []).insert(0, permissive)
    sess = OAuth1Session(CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri=CALLBACK)
    sess.fetch_request_token(provider.url + "/oauth/request_token")
    url = sess.authorization_url(provider.url + "/oauth/authorize")
    page = requests.get(url, allow_redirects=False, timeout=10)
    refused = requests.get(
        provider.url + "/oauth/authorize?oauth_token=" + "u" * 25, allow_redirects=False, timeout=10
    )
    allowed = consent(url, True)
    for answer in (page, refused, allowed):
        assert answer.headers["X-Frame-Options"] == "DENY"
        policies = answer.headers["Content-Security-Policy"].split(", ")
        assert policies == ["default-src 'self'", "frame-ancestors 'none'"]
        assert "Access-Control-Allow-Origin" not in answer.headers
        assert "Access-Control-Allow-Credentials" not in answer.headers
    assert page.status_code == 200 and refused.status_code == 302 and allowed.status_code == 302
    other = requests.get(provider.url + "/oauth/errors", timeout=10)
    assert other.headers["X-Frame-Options"] == "SAMEORIGIN"  # only the authorization view
