"""No signal tells a secret: every signal of the OAuth 2 provider and of the client, sent
by real flows over HTTP (our client logging in to our provider, other clients with
requests), carries no token, code, secret, verifier or password that the traffic
carried."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from io import BytesIO
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests
from flask import Flask
from login_app import login_app

from flask_oauthlib_client import signals as client_signals
from flask_oauthlib_core.testing import go_to_provider

oauth2_app = pytest.importorskip("oauth2_app")
registration = pytest.importorskip("registration_app")
from flask_oauthlib_provider_oauth2 import signals as provider_signals  # noqa: E402

#: the parameters and fields whose values are credentials
SENSITIVE = {
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "code_verifier",
    "client_secret",
    "client_assertion",
    "assertion",
    "password",
    "token",
    "registration_access_token",
    "device_code",
    "state",
}


class Recorder:
    """WSGI middleware keeping every credential that goes through the apps it
    watches: in URLs, ``Location`` headers, form and JSON bodies both ways, and
    ``Authorization`` and ``DPoP`` headers."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()

    def watch(self, app: Flask) -> None:
        inner = app.wsgi_app

        def recording(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = BytesIO(body)
            self.take_pairs(parse_qsl(environ.get("QUERY_STRING", "")))
            self.take_body(body)
            self.take_authorization(environ.get("HTTP_AUTHORIZATION", ""))
            self.add(environ.get("HTTP_DPOP"))

            def start(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
                for name, value in headers:
                    if name.lower() == "location":
                        parts = urlsplit(value)
                        self.take_pairs(parse_qsl(parts.query) + parse_qsl(parts.fragment))
                return start_response(status, headers, *rest)

            answer = b"".join(inner(environ, start))
            self.take_body(answer)
            return [answer]

        app.wsgi_app = recording  # type: ignore[method-assign]

    def add(self, value: Any) -> None:
        if isinstance(value, str) and len(value) >= 6:
            self.secrets.add(value)

    def take_pairs(self, pairs: Iterable[tuple[str, str]]) -> None:
        for name, value in pairs:
            if name in SENSITIVE:
                self.add(value)

    def take_body(self, body: bytes) -> None:
        text = body.decode("utf-8", "replace")
        try:
            self.take_json(json.loads(text))
        except ValueError:
            self.take_pairs(parse_qsl(text))

    def take_json(self, data: Any) -> None:
        if isinstance(data, dict):
            for name, value in data.items():
                if name in SENSITIVE:
                    self.add(value)
                self.take_json(value)
        elif isinstance(data, list):
            for item in data:
                self.take_json(item)

    def take_authorization(self, header: str) -> None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            _, _, secret = base64.b64decode(value).decode().partition(":")
            self.add(unquote(secret))
        else:
            self.add(value.strip())


def texts(value: Any, seen: set[int] | None = None) -> Iterator[str]:
    """Every text ``value`` holds: itself, its items, its ``repr``, its attributes."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    yield repr(value)
    if isinstance(value, str | bytes):
        yield str(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from texts(key, seen)
            yield from texts(item, seen)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from texts(item, seen)
    elif hasattr(value, "__dict__"):
        yield from texts(vars(value), seen)


def every_signal() -> dict[str, Any]:
    named = {f"provider.{n}": getattr(provider_signals, n) for n in provider_signals.__all__}
    named.update({f"client.{n}": getattr(client_signals, n) for n in client_signals.__all__})
    return named


def test_no_signal_carries_a_credential_of_the_traffic(serve: Callable[[Flask], str]) -> None:
    recorder = Recorder()
    provider, _, _ = oauth2_app.create_app()
    recorder.watch(provider)
    url = serve(provider)
    signed_up = registration.registration_app(serve)
    recorder.watch(signed_up.oauth.app)
    client, _ = login_app(
        config={"SERVER_NAME": "127.0.0.1:8000"},
        base_url=url + "/",
        me="api/me",
        consumer_key="confidential",
        consumer_secret="s3cret",
        authorize_url=url + "/oauth/authorize",
        access_token_url=url + "/oauth/token",
        request_token_params={"scope": "email"},
    )
    sent: list[tuple[str, dict[str, Any]]] = []
    with ExitStack() as stack:
        for name, signal in every_signal().items():

            def receive(sender: Any, name: str = name, **data: Any) -> None:
                sent.append((name, data))

            stack.enter_context(signal.connected_to(receive))
        # our client: a login, a denied one, a refresh
        with client.test_client() as browser:
            first = browser.get(go_to_provider(browser, allow=True)).get_json()
            assert first["token_type"] == "Bearer", first
            with browser.session_transaction() as session:
                session["token"] = dict(first, expires_at=int(time.time()) - 1)
            assert browser.get("/me").get_json()["username"] == "alice"
        with client.test_client() as browser:
            assert browser.get(go_to_provider(browser, allow=False)).get_json() == {"denied": True}
        # other clients: client credentials, the password grant, a refresh token used
        # twice, a revocation, a wrong secret, a registration
        machine = oauth2_app.token_request(url, "machine", grant_type="client_credentials")
        password = oauth2_app.token_request(
            url, grant_type="password", username="alice", password="wonderland", scope="email"
        )
        reused = oauth2_app.token_request(
            url, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )
        revoked = requests.post(
            url + "/oauth/revoke",
            data={"token": password.json()["access_token"]},
            auth=("confidential", "s3cret"),
            timeout=10,
        )
        wrong = requests.post(
            url + "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=("machine", "not-the-secret"),
            timeout=10,
        )
        answer = signed_up.register(
            {"redirect_uris": ["http://127.0.0.1/callback"], "scope": "email"}
        )
    assert (machine.status_code, password.status_code, reused.status_code) == (200, 200, 400)
    assert (revoked.status_code, wrong.status_code, answer.status_code) == (200, 401, 201)

    assert {name for name, _ in sent} == set(every_signal())  # every signal was sent
    secrets = recorder.secrets
    assert {"s3cret", "m-secret", "wonderland", "not-the-secret"} <= secrets
    assert {
        first["access_token"],
        first["refresh_token"],
        machine.json()["access_token"],
    } <= secrets
    assert {answer.json()["client_secret"], answer.json()["registration_access_token"]} <= secrets
    told = [(name, text) for name, data in sent for text in texts(data)]
    leaks = {(name, secret) for name, text in told for secret in secrets if secret in text}
    assert leaks == set()
