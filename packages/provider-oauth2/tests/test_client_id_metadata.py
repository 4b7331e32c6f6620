"""Client ID metadata documents over real HTTPS: a public client named by the URL of its
document logs in with Authlib (code + PKCE); documents that are wrong, or served wrongly
(slow, dripping, too large, redirected, not JSON, on a private address), make the client
unknown without a 500 and without a redirect to the client; HTTP caching is observed by
counting the requests the document server gets."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from cimd_testing import REDIRECT, DocumentServer, document
from flask import Flask, request
from flask.testing import FlaskClient
from oauth2_app import Client, Provider, authorize_url, create_app

from flask_oauthlib_core.testing import consent, pkce_pair, redirect_location
from flask_oauthlib_provider_oauth2 import MetadataDocumentClient, OAuth2Provider
from flask_oauthlib_provider_oauth2.client_id_metadata import documents_of

Serve = Callable[..., str]


@pytest.fixture
def documents() -> Iterator[DocumentServer]:
    with DocumentServer() as server:
        yield server


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def provider_app(documents: DocumentServer, **config: Any) -> tuple[Flask, OAuth2Provider, Any]:
    """The test provider with documents on, trusting ``documents``; ``config`` adds to
    (or, with ``None``, removes from) :attr:`DocumentServer.config`."""
    merged = {**documents.config, **config}
    return create_app(**{key: value for key, value in merged.items() if value is not None})


def authorize(
    browser: FlaskClient, client_id: str, challenge: str | None = "c" * 43, **params: str
) -> Any:
    """GET the authorization endpoint as ``client_id`` (an S256 challenge unless
    ``challenge`` is ``None``)."""
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    return browser.get(authorize_url(client_id=client_id, **params))


def refused_as_unknown(answer: Any) -> dict[str, list[str]]:
    """The fatal error page's parameters: the browser was not sent to the client."""
    location = answer.headers.get("Location", "")
    assert answer.status_code == 302, (answer.status_code, answer.text)
    assert location.startswith("/oauth/errors?"), location
    assert not location.startswith(REDIRECT)
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == ["invalid_client"], query
    return query


def token_refused(browser: FlaskClient, client_id: str) -> None:
    answer = browser.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": "x" * 20,
            "redirect_uri": REDIRECT,
            "client_id": client_id,
            "code_verifier": "v" * 43,
        },
    )
    assert answer.status_code == 401, answer.text
    assert answer.json["error"] == "invalid_client"


# -- the whole flow ------------------------------------------------------------------------


def test_a_client_named_by_its_document_logs_in_with_pkce(
    serve: Serve, documents: DocumentServer
) -> None:
    client_id = documents.serve_document("/oauth/client.json")
    app, oauth, store = provider_app(documents)
    provider = Provider(app, oauth, store, serve(app))
    metadata = requests.get(provider.url + "/.well-known/oauth-authorization-server", timeout=10)
    assert metadata.json()["client_id_metadata_document_supported"] is True
    assert "none" in metadata.json()["token_endpoint_auth_methods_supported"]

    session = OAuth2Session(
        client_id,
        token_endpoint_auth_method="none",
        scope="email profile",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )
    verifier, _ = pkce_pair()
    url, _ = session.create_authorization_url(
        provider.url + "/oauth/authorize", code_verifier=verifier
    )
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and client_id in page.text, page.text
    callback = redirect_location(consent(url))
    assert callback.startswith(REDIRECT), callback
    token = session.fetch_token(
        provider.url + "/oauth/token", authorization_response=callback, code_verifier=verifier
    )
    assert token["scope"] == "email profile"
    me = requests.get(
        provider.url + "/api/me",
        headers={"Authorization": "Bearer " + token["access_token"]},
        timeout=10,
    )
    assert me.json() == {"username": "alice", "client": client_id}
    refreshed = session.refresh_token(provider.url + "/oauth/token")
    assert refreshed["access_token"] != token["access_token"]
    # fetched once: no cache headers keep it OAUTH2_PROVIDER_CLIENT_ID_METADATA_CACHE_MIN
    assert documents.hits["/oauth/client.json"] == 1


def test_the_consent_view_and_protected_resources_get_the_document_client(
    documents: DocumentServer,
) -> None:
    client_id = documents.serve_document("/c.json", logo_uri="https://app.example.com/logo.png")
    app, oauth, store = provider_app(documents)
    seen: dict[str, Any] = {}

    @app.route("/oauth/authorize-named", methods=["GET", "POST"])
    @oauth.authorize_handler
    def named(*args: Any, **kwargs: Any) -> Any:
        if request.method == "GET":
            seen.update(client=kwargs["request"].client, scopes=kwargs["scopes"])
            return "allow?"
        return True

    browser = app.test_client()
    verifier, challenge = pkce_pair()
    path = authorize_url(client_id=client_id, scope="email", code_challenge=challenge)
    path = path.replace("/oauth/authorize?", "/oauth/authorize-named?")
    path += "&code_challenge_method=S256"
    assert browser.get(path).status_code == 200
    client = seen["client"]
    assert isinstance(client, MetadataDocumentClient)
    assert (client.client_name, client.client_host) == ("Example MCP client", "localhost")
    assert client.client_metadata["logo_uri"] == "https://app.example.com/logo.png"
    assert not client.is_confidential and client.token_endpoint_auth_method == "none"
    # a scope of the document the server does not offer is left out
    assert client.default_scopes == ("email", "profile")
    assert client.allowed_grant_types == ("authorization_code", "refresh_token")

    code = parse_qs(urlsplit(browser.post(path).headers["Location"]).query)["code"][0]
    token = browser.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client_id,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    ).json
    # storage whose tokens keep only the client_id: require_oauth finds the client anyway
    tokens = store.tokens

    @oauth.tokengetter
    def load_token(access_token: str | None = None, refresh_token: str | None = None) -> Any:
        tok = tokens.get(access_token or "")
        if tok is None:
            return None
        return SimpleNamespace(
            access_token=tok.access_token,
            client_id=tok.client_id,
            scopes=tok.scopes,
            expires=tok.expires,
            user=tok.user,
        )

    me = browser.get("/api/me", headers={"Authorization": "Bearer " + token["access_token"]})
    assert me.json == {"username": "alice", "client": client_id}, me.text


def test_a_document_client_must_use_pkce_whatever_the_policy(documents: DocumentServer) -> None:
    client_id = documents.serve_document("/c.json")
    app, _, _ = provider_app(documents, OAUTH2_PROVIDER_PKCE_REQUIRED="none")
    browser = app.test_client()
    answer = authorize(browser, client_id, challenge=None)
    # the redirect URI is the document's: the error goes there (RFC 7636 4.4.1)
    assert answer.headers["Location"].startswith(REDIRECT + "?error=invalid_request")
    # a stored public client goes without, as the app's policy says: the consent page
    assert authorize(browser, "public", challenge=None).status_code == 200


def test_the_clientgetter_is_asked_first(documents: DocumentServer) -> None:
    url = documents.url("/pinned.json")
    app, _, store = provider_app(documents)
    store.add_client(Client(url, "", [REDIRECT], ["email"], is_confidential=False))
    assert authorize(app.test_client(), url).status_code == 200
    assert documents.hits["/pinned.json"] == 0


def test_off_by_default_and_advertised_only_when_on(documents: DocumentServer) -> None:
    url = documents.serve_document("/c.json")
    app, _, _ = provider_app(documents, OAUTH2_PROVIDER_CLIENT_ID_METADATA_DOCUMENTS=None)
    browser = app.test_client()
    metadata = browser.get("/.well-known/oauth-authorization-server").json
    assert "client_id_metadata_document_supported" not in metadata
    answer = authorize(browser, url)
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/oauth/errors")
    assert documents.hits["/c.json"] == 0


# -- refused documents ---------------------------------------------------------------------


def serve_wrong(documents: DocumentServer, case: str) -> str:
    """Serve the document of ``case`` at ``/<case>.json``; its URL."""
    path = f"/{case}.json"
    url = documents.url(path)
    good = document(url)
    if case == "mismatch":
        documents.serve(path, {**good, "client_id": url + "?v=2"})
    elif case == "redirect":
        elsewhere = documents.serve_document("/elsewhere.json", host="127.0.0.1")
        documents.serve(path, b"", status="302 Found", headers=[("Location", elsewhere)])
    elif case == "not-found":
        documents.serve(path, good, status="404 Not Found")
    elif case == "too-large":
        padded = json.dumps({**good, "software_id": "x" * 6000}).encode()
        documents.serve(path, padded, headers=[("Content-Length", str(len(padded)))])
    elif case == "too-large-chunked":
        documents.serve(path, {**good, "software_version": "x" * 6000})
    elif case == "not-json":
        documents.serve(path, b"<html>client</html>")
    elif case == "json-array":
        documents.serve(path, [good])
    elif case == "text-html":
        documents.serve(path, good, content_type="text/html")
    elif case == "content-encoding":
        documents.serve(path, good, headers=[("Content-Encoding", "gzip")])
    elif case == "javascript-redirect-uri":
        documents.serve(path, {**good, "redirect_uris": ["javascript:alert(1)"]})
    elif case == "http-redirect-uri":
        documents.serve(path, {**good, "redirect_uris": ["http://app.example.com/cb"]})
    elif case == "no-redirect-uri":
        documents.serve(path, {**good, "redirect_uris": []})
    elif case == "client-secret":
        documents.serve(path, {**good, "client_secret": "s3cret"})
    elif case == "client-secret-basic":
        documents.serve(path, {**good, "token_endpoint_auth_method": "client_secret_basic"})
    elif case == "implicit":
        documents.serve(path, {**good, "grant_types": ["implicit"], "response_types": ["token"]})
    elif case == "client-credentials":
        documents.serve(path, {**good, "grant_types": ["client_credentials"]})
    else:
        raise ValueError(case)
    return url


#: each case of :func:`serve_wrong`, and what the log line says of it
WRONG = {
    "mismatch": "client_id is not the URL it is served from",
    "redirect": "answered 302: redirects are not followed",
    "not-found": "answered 404, not 200",
    "too-large": "larger than 5120 bytes",
    "too-large-chunked": "larger than 5120 bytes",
    "not-json": "not one JSON object",
    "json-array": "not one JSON object",
    "text-html": "not application/json",
    "content-encoding": "content encoding",
    "javascript-redirect-uri": "redirect_uris must use https",
    "http-redirect-uri": "http only on a loopback host",
    "no-redirect-uri": "redirect_uris is required",
    "client-secret": "must not hold client_secret",
    "client-secret-basic": "needs a shared secret",
    "implicit": "does not offer",
    "client-credentials": "does not offer",
}


def refusal_logged(caplog: pytest.LogCaptureFixture) -> str:
    """The reasons logged for refused documents."""
    return " | ".join(
        r.getMessage() for r in caplog.records if r.name.endswith(".client_id_metadata")
    )


@pytest.mark.parametrize("case", WRONG)
def test_a_wrong_document_makes_the_client_unknown(
    documents: DocumentServer, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    url = serve_wrong(documents, case)
    app, _, _ = provider_app(documents)
    browser = app.test_client()
    refused_as_unknown(authorize(browser, url))
    token_refused(browser, url)
    assert WRONG[case] in refusal_logged(caplog)
    assert documents.hits[urlsplit(url).path] == 1  # the failure is kept for a while
    assert documents.hits["/elsewhere.json"] == 0  # a redirect is never followed


def test_at_most_eight_documents_are_fetched_at_once(documents: DocumentServer) -> None:
    """The third outside review: slow hosts tied up the lookups and fetches of everyone.
    While eight slow documents are being fetched, a ninth is refused at once, without a
    request to its host, and the refusal is not remembered."""
    from flask_oauthlib_core.testing import concurrently

    slow = [
        documents.serve(f"/slow{n}.json", document(documents.url(f"/slow{n}.json")), delay=1.5)
        for n in range(8)
    ]
    app, _, _ = provider_app(documents)
    urls = iter(slow)
    lock = threading.Lock()

    def one() -> int:
        with lock:
            url = next(urls)
        return int(authorize(app.test_client(), url).status_code)

    waiting = threading.Thread(target=concurrently, args=(one, 8))
    waiting.start()
    deadline = time.monotonic() + 10  # the eight are fetching (their hosts saw them) now
    while sum(documents.hits[f"/slow{n}.json"] for n in range(8)) < 8:
        assert time.monotonic() < deadline, documents.hits
        time.sleep(0.01)
    ninth = documents.serve_document("/ninth.json")
    query = refused_as_unknown(authorize(app.test_client(), ninth))
    assert "could not be fetched" in query["error_description"][0]
    assert documents.hits["/ninth.json"] == 0
    waiting.join()
    assert authorize(app.test_client(), ninth).status_code == 200  # not remembered
    assert documents.hits["/ninth.json"] == 1


def test_a_field_of_the_wrong_type_is_an_invalid_document(
    documents: DocumentServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The third outside review: a list where a string belongs was reported as "could
    not be fetched" with an "unexpected TypeError" in the log."""
    url = documents.serve_document("/typed.json", token_endpoint_auth_method=["none"])
    app, _, _ = provider_app(documents)
    query = refused_as_unknown(authorize(app.test_client(), url))
    assert "could not be fetched" not in query["error_description"][0]
    assert "unexpected" not in refusal_logged(caplog)


def test_private_key_jwt_is_refused_with_a_reason(documents: DocumentServer) -> None:
    url = documents.serve_document("/jwt.json", token_endpoint_auth_method="private_key_jwt")
    app, _, _ = provider_app(documents)
    query = refused_as_unknown(authorize(app.test_client(), url))
    assert "private_key_jwt" in query["error_description"][0]


@pytest.mark.parametrize(
    "client_id",
    [
        "http://localhost/c.json",
        "HTTPS://localhost/c.json",
        "https://localhost",
        "https://localhost/a/../c.json",
        "https://localhost/a/%2E%2E/c.json",
        "https://localhost/c.json#fragment",
        "https://user:pass@localhost/c.json",
        "https://localhost:99999/c.json",
        "https://localhost/c d.json",
    ],
)
def test_a_client_id_url_the_draft_forbids_is_never_fetched(
    documents: DocumentServer, client_id: str
) -> None:
    app, _, _ = provider_app(documents)
    browser = app.test_client()
    if client_id.startswith("http://"):
        client_id = client_id.replace("localhost", f"localhost:{documents.port}")
    refused_as_unknown(authorize(browser, client_id))
    token_refused(browser, client_id)
    assert sum(documents.hits.values()) == 0


def test_a_private_address_is_refused_unless_allowed(
    documents: DocumentServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = documents.serve_document("/c.json")  # localhost: 127.0.0.1 and ::1
    app, _, _ = provider_app(
        documents, OAUTH2_PROVIDER_CLIENT_ID_METADATA_ALLOW_PRIVATE_ADDRESSES=None
    )
    browser = app.test_client()
    refused_as_unknown(authorize(browser, url))
    token_refused(browser, url)
    assert documents.hits["/c.json"] == 0
    assert "resolves to an address that is not public" in refusal_logged(caplog)


def test_a_host_with_one_private_address_among_public_ones_is_refused(
    documents: DocumentServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = documents.serve_document("/c.json", host="rebind.test")
    addresses = ["8.8.8.8", "127.0.0.1"]
    monkeypatch.setattr(socket, "getaddrinfo", fake_dns({"rebind.test": [addresses]}))
    app, _, _ = provider_app(
        documents, OAUTH2_PROVIDER_CLIENT_ID_METADATA_ALLOW_PRIVATE_ADDRESSES=None
    )
    refused_as_unknown(authorize(app.test_client(), url))
    assert documents.hits["/c.json"] == 0


def fake_dns(answers: dict[str, list[list[str]]]) -> Callable[..., Any]:
    """``socket.getaddrinfo`` answering each name of ``answers`` with its next list of
    addresses (the last one again and again), and every other name as usual."""
    real = socket.getaddrinfo
    calls: dict[str, int] = {}

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        turn = calls[host] = calls.get(host, 0) + 1
        listed = answers[host][min(turn, len(answers[host])) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in listed]

    getaddrinfo.calls = calls  # type: ignore[attr-defined]
    return getaddrinfo


def test_the_connection_goes_to_the_address_that_was_checked(
    documents: DocumentServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DNS rebinding answers the second lookup differently: there is none."""
    url = documents.serve_document("/c.json", host="rebind.test")
    dns = fake_dns({"rebind.test": [["127.0.0.1"], ["192.0.2.1"]]})
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    app, _, _ = provider_app(documents)
    assert authorize(app.test_client(), url).status_code == 200
    assert documents.hits["/c.json"] == 1
    assert dns.calls == {"rebind.test": 1}  # type: ignore[attr-defined]


def test_an_untrusted_certificate_is_refused(
    documents: DocumentServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = documents.serve_document("/c.json")
    app, _, _ = provider_app(documents, OAUTH2_PROVIDER_CLIENT_ID_METADATA_CA_BUNDLE=None)
    query = refused_as_unknown(authorize(app.test_client(), url))
    assert query["error_description"] == ["The client's metadata document could not be fetched."]
    assert documents.hits["/c.json"] == 0  # the TLS handshake failed
    assert "the TLS certificate is not trusted" in refusal_logged(caplog)


@pytest.mark.parametrize("drip", [0, 10])
def test_a_slow_server_is_cut_off_at_the_deadline(
    documents: DocumentServer, drip: int, caplog: pytest.LogCaptureFixture
) -> None:
    """Slow to answer, or answering in a drip that never lets one read time out: the
    whole fetch has one deadline (here 1 s)."""
    body = document(documents.url("/slow.json"), client_name="x" * 200)
    url = documents.serve("/slow.json", body, delay=0.4 if drip else 3, drip=drip)
    app, _, _ = provider_app(documents)
    started = time.monotonic()
    refused_as_unknown(authorize(app.test_client(), url))
    assert time.monotonic() - started < 2.5
    assert "timed out" in refusal_logged(caplog)


def test_a_refusal_is_logged_once_in_one_line(
    documents: DocumentServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = serve_wrong(documents, "text-html")
    app, _, _ = provider_app(documents)
    browser = app.test_client()
    with caplog.at_level(logging.INFO, "flask_oauthlib_provider_oauth2.client_id_metadata"):
        refused_as_unknown(authorize(browser, url))
        refused_as_unknown(authorize(browser, url))
    lines = [r.getMessage() for r in caplog.records if r.name.endswith("client_id_metadata")]
    assert lines == [
        f"client ID metadata document {url!r} refused: the answer is not application/json"
    ]


# -- caching -------------------------------------------------------------------------------


def served_with(documents: DocumentServer, **config: Any) -> tuple[FlaskClient, Clock, Any]:
    """A browser of a provider whose document cache runs on a clock the test moves."""
    app, oauth, _ = provider_app(documents, **config)
    clock = Clock()
    with app.app_context():
        resolver = documents_of(oauth.server)
    assert resolver is not None
    resolver.cache.clock = clock
    return app.test_client(), clock, resolver


def test_max_age_is_honoured_then_the_document_is_fetched_again(
    documents: DocumentServer,
) -> None:
    url = documents.serve_document("/c.json", headers=[("Cache-Control", "public, max-age=300")])
    browser, clock, _ = served_with(documents)
    for _ in range(3):
        assert authorize(browser, url).status_code == 200
    assert documents.hits["/c.json"] == 1
    clock.now += 299
    assert authorize(browser, url).status_code == 200
    assert documents.hits["/c.json"] == 1
    clock.now += 2
    assert authorize(browser, url).status_code == 200
    assert documents.hits["/c.json"] == 2


def test_no_store_is_fetched_for_every_request(documents: DocumentServer) -> None:
    url = documents.serve_document("/c.json", headers=[("Cache-Control", "no-store")])
    browser, _, _ = served_with(documents)
    for _ in range(3):
        assert authorize(browser, url).status_code == 200
    assert documents.hits["/c.json"] == 3


def test_lifetimes_stay_within_the_bounds(documents: DocumentServer) -> None:
    year = [("Cache-Control", "max-age=31536000")]
    long_lived = documents.serve_document("/long.json", headers=year)
    short_lived = documents.serve_document("/short.json", headers=[("Cache-Control", "max-age=1")])
    browser, clock, _ = served_with(
        documents,
        OAUTH2_PROVIDER_CLIENT_ID_METADATA_CACHE_MIN=30,
        OAUTH2_PROVIDER_CLIENT_ID_METADATA_CACHE_MAX=600,
    )
    for url in (long_lived, short_lived):
        assert authorize(browser, url).status_code == 200
    clock.now += 29
    for url in (long_lived, short_lived):
        assert authorize(browser, url).status_code == 200
    assert (documents.hits["/long.json"], documents.hits["/short.json"]) == (1, 1)
    clock.now += 600
    for url in (long_lived, short_lived):
        assert authorize(browser, url).status_code == 200
    assert (documents.hits["/long.json"], documents.hits["/short.json"]) == (2, 2)


def test_a_failure_is_kept_briefly_then_fetched_again(documents: DocumentServer) -> None:
    url = serve_wrong(documents, "not-found")
    browser, clock, resolver = served_with(
        documents, OAUTH2_PROVIDER_CLIENT_ID_METADATA_CACHE_ERRORS=30
    )
    for _ in range(3):
        refused_as_unknown(authorize(browser, url))
    assert documents.hits["/not-found.json"] == 1
    documents.serve_document("/not-found.json")  # the client fixed its document
    clock.now += 31
    assert authorize(browser, url).status_code == 200
    assert documents.hits["/not-found.json"] == 2
    resolver.forget(url)
    assert authorize(browser, url).status_code == 200
    assert documents.hits["/not-found.json"] == 3


def test_the_cache_is_bounded(documents: DocumentServer) -> None:
    urls = [documents.serve_document(f"/{n}.json") for n in range(3)]
    browser, _, resolver = served_with(documents, OAUTH2_PROVIDER_CLIENT_ID_METADATA_CACHE_SIZE=2)
    for url in [*urls, urls[2], urls[0]]:
        assert authorize(browser, url).status_code == 200
    assert len(resolver.cache) == 2
    # /0 was dropped for /2, fetched again; /2 was still there
    assert [documents.hits[f"/{n}.json"] for n in range(3)] == [2, 1, 1]


def test_concurrent_requests_fetch_a_document_once(documents: DocumentServer) -> None:
    url = documents.serve_document("/c.json")
    documents.routes["/c.json"].delay = 0.3
    app, oauth, _ = provider_app(documents)
    with app.app_context():
        resolver = documents_of(oauth.server)
    assert resolver is not None
    found: list[Any] = []
    threads = [
        threading.Thread(target=lambda: found.append(resolver.client(url))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(found) == 8 and all(isinstance(c, MetadataDocumentClient) for c in found)
    assert documents.hits["/c.json"] == 1


def test_each_app_keeps_its_own_documents(documents: DocumentServer) -> None:
    url = documents.serve_document("/c.json", headers=[("Cache-Control", "max-age=300")])
    app, oauth, _ = provider_app(documents)
    other = Flask("other")
    other.config.update(documents.config)
    oauth.init_app(other)
    other.add_url_rule("/oauth/authorize", view_func=app.view_functions["authorize"])
    for each in (app, other, app, other):
        assert authorize(each.test_client(), url).status_code == 200
    assert documents.hits["/c.json"] == 2
