"""``flask_oauthlib_core.testing``: live servers, PKCE values, redirects, consent, services."""

from __future__ import annotations

import os
import socket
import string
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, redirect, request

from flask_oauthlib_core import testing
from flask_oauthlib_core.testing import (
    LiveServers,
    allow_insecure_transport,
    authorization_code,
    callback_path,
    code_challenge,
    code_from,
    code_verifier,
    consent,
    free_port,
    go_to_provider,
    pkce_pair,
    redirect_location,
    redirect_params,
    require_service,
    visit_provider,
)


def provider() -> Flask:
    """A consent page at ``/authorize`` that redirects back with a code, or an error."""
    app = Flask("consent")

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        if request.args.get("client_id") != "known":
            return redirect("/errors?error=invalid_client")
        back = request.args["redirect_uri"]
        if request.method == "GET":
            return "<form method=post>Allow?</form>"
        if request.form.get("confirm") != "yes":
            return redirect(back + "?error=access_denied&state=s")
        return redirect(back + "?code=c0de&state=s" + request.form.get("extra", ""))

    return app


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - a local server
        return str(answer.read().decode())


def test_live_servers_serve_until_closed() -> None:
    app = Flask("live")
    app.route("/")(lambda: "hello")
    with LiveServers() as servers:
        first, second = servers.start(app), servers.start(app, port=free_port())
        assert first.startswith("http://127.0.0.1:") and first != second
        assert fetch(first + "/") == fetch(second + "/") == "hello"
    for url in (first, second):
        with pytest.raises(urllib.error.URLError):
            fetch(url + "/")


def test_serve_fixture(serve: Callable[..., str]) -> None:
    app = Flask("fixture")
    app.route("/")(lambda: "served")
    assert fetch(serve(app) + "/") == "served"


def test_allow_insecure_transport(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OAUTHLIB_INSECURE_TRANSPORT", "AUTHLIB_INSECURE_TRANSPORT"):
        monkeypatch.delenv(name, raising=False)
    allow_insecure_transport()
    assert os.environ["OAUTHLIB_INSECURE_TRANSPORT"] == os.environ["AUTHLIB_INSECURE_TRANSPORT"]


def test_free_port_can_be_listened_on() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


# -- PKCE -------------------------------------------------------------------------------------


def test_code_challenge_of_rfc_7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert code_challenge(verifier, "plain") == verifier
    with pytest.raises(ValueError, match="S256 or plain"):
        code_challenge(verifier, "S512")


def test_code_verifiers_are_random_and_well_formed() -> None:
    allowed = set(string.ascii_letters + string.digits + "-._~")
    for length in (43, 64, 128):
        verifier = code_verifier(length)
        assert len(verifier) == length and set(verifier) <= allowed
    assert code_verifier() != code_verifier()
    for length in (42, 129):
        with pytest.raises(ValueError, match="43 to 128"):
            code_verifier(length)
    verifier, challenge = pkce_pair()
    assert len(verifier) == 64 and challenge == code_challenge(verifier)


# -- redirects ----------------------------------------------------------------------------------


def test_redirect_params_read_the_fragment_first() -> None:
    assert redirect_params("https://app/cb?code=a&state=s&code=b") == {"code": "a", "state": "s"}
    assert redirect_params("https://app/cb?x=1#access_token=t&state=s") == {
        "access_token": "t",
        "state": "s",
    }
    assert code_from("https://app/cb?code=a") == "a"
    with pytest.raises(AssertionError, match="error=access_denied"):
        code_from("https://app/cb?error=access_denied")
    assert callback_path("https://app/cb?code=a&state=s") == "/cb?code=a&state=s"


def test_redirect_location_names_what_came_instead() -> None:
    client = provider().test_client()
    assert redirect_location(client.get("/authorize")) == "/errors?error=invalid_client"
    page = client.get("/authorize?client_id=known&redirect_uri=https://app/cb")
    with pytest.raises(AssertionError, match="expected a redirect, got 200: '<form"):
        redirect_location(page)


# -- the user at the provider ------------------------------------------------------------------

AUTHORIZE = "/authorize?client_id=known&redirect_uri=https://app/cb"


def test_consent_with_a_test_client() -> None:
    browser = provider().test_client()
    assert authorization_code(AUTHORIZE, browser=browser) == "c0de"
    assert authorization_code(AUTHORIZE, browser=browser, open_page=True) == "c0de"
    denied = consent(AUTHORIZE, False, browser=browser, open_page=True)
    assert redirect_params(denied) == {"error": "access_denied", "state": "s"}
    more = consent(AUTHORIZE, browser=browser, form={"extra": "&more=1"})
    assert redirect_params(more)["more"] == "1"
    # a page that is no consent page is answered as it is, nothing posted
    refused = consent("/authorize?client_id=other", browser=browser, open_page=True)
    assert redirect_location(refused) == "/errors?error=invalid_client"


def test_visiting_a_live_provider(serve: Callable[..., str]) -> None:
    pytest.importorskip("requests")
    url = serve(provider()) + "/authorize?client_id=known&redirect_uri=http://localhost/cb"
    assert code_from(consent(url)) == "c0de"
    assert visit_provider(url, allow=True) == "/cb?code=c0de&state=s"
    assert visit_provider(url, allow=False) == "/cb?error=access_denied&state=s"
    with pytest.raises(AssertionError, match="expected a redirect, got 200"):
        visit_provider(url)  # no answer at once: the consent page

    client = Flask("client")
    client.route("/login")(lambda: redirect(url))
    assert go_to_provider(client.test_client(), allow=True) == "/cb?code=c0de&state=s"


# -- services -----------------------------------------------------------------------------------


@pytest.fixture
def nowhere(monkeypatch: pytest.MonkeyPatch) -> int:
    """The Redis of ``require_service`` moved to a port nobody listens on."""
    port = free_port()
    monkeypatch.setitem(testing._SERVICES, "redis", ("Redis", "127.0.0.1", port))
    return port


def test_a_missing_service_skips_the_test(nowhere: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"Redis is not running on 127.0.0.1:{nowhere}"):
        require_service("redis")


def test_a_missing_service_fails_the_test_in_ci(
    nowhere: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="in CI the services must run"):
        require_service("redis")


def test_a_running_service_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        monkeypatch.setitem(testing._SERVICES, "memcached", ("memcached", "127.0.0.1", port))
        require_service("MEMCACHED")


def test_importing_the_module_imports_neither_pytest_nor_requests() -> None:
    import subprocess

    code = (
        "import sys, flask_oauthlib_core.testing;"
        "print(sorted({'pytest', 'requests'} & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "[]"
