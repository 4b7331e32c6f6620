"""The transport under ``http_request``, safe XML, and the contrib client's sessions.

The 0.9.6 patterns that drive these through the public API are in
``tests/compat/test_client_096.py`` and ``test_contrib_client_096.py``; this file pins
the pieces themselves, in the environment that installs the client distribution alone.
"""

from __future__ import annotations

import io
import sys
import time
import types
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest
from flask import Flask, jsonify, request
from requests.structures import CaseInsensitiveDict

from flask_oauthlib_client import OAuth, OAuthException, OAuthRemoteApp, RemoteResponse, safexml
from flask_oauthlib_client.contrib.application import OAuth1Session, OAuth2Session
from flask_oauthlib_client.transport import (
    NoCookieJar,
    header_of,
    remote_call,
    send,
    status_of,
)


def test_status_of_reads_code_then_status_code_then_status() -> None:
    assert status_of(types.SimpleNamespace(code=201, status_code=500)) == 201
    assert status_of(types.SimpleNamespace(status_code=404)) == 404
    assert status_of(types.SimpleNamespace(status=204)) == 204
    assert status_of(mock.Mock(code=200)) == 200
    assert status_of(mock.Mock(status_code=302)) == 302  # mock's .code is no int
    with pytest.raises(TypeError, match="no integer code"):
        status_of(types.SimpleNamespace(code=True))


def test_header_of_is_case_insensitive_for_any_headers() -> None:
    assert (
        header_of(types.SimpleNamespace(headers={"content-type": "a/b"}), "Content-Type") == "a/b"
    )
    ci = CaseInsensitiveDict({"Content-Type": "c/d"})
    assert header_of(types.SimpleNamespace(headers=ci), "content-type") == "c/d"
    assert header_of(types.SimpleNamespace(headers={"status-code": 200}), "status-code") is None
    assert header_of(types.SimpleNamespace(), "Content-Type") is None
    assert header_of(mock.Mock(headers=None), "Content-Type") is None


def test_remote_response() -> None:
    resp = RemoteResponse(404, {"Content-Type": "text/plain"}, "http://x/", "Not Found")
    assert resp.code == resp.status_code == resp.status == resp.getcode() == 404
    assert resp.headers["content-type"] == "text/plain" and "404" in repr(resp)


@pytest.fixture
def server(serve: Callable[[Flask], str]) -> str:
    app = Flask("transport_peer")

    @app.route("/", methods=["GET", "POST"])
    def echo() -> Any:
        resp = jsonify(cookies=request.cookies.to_dict())
        resp.set_cookie("peer", "1")
        return resp

    @app.route("/slow")
    def slow() -> Any:
        time.sleep(1)
        return "late"

    return serve(app)  # type: ignore[no-any-return]


def test_send_outside_an_app_context_keeps_no_cookies(server: str) -> None:
    for _ in range(2):
        resp, content = send(server + "/")
        assert resp.code == 200 and b'"cookies":{}' in content.replace(b" ", b"")


def test_send_uses_the_calling_remote_apps_timeout(server: str) -> None:
    with remote_call("slowpoke", 0.2), pytest.raises(OAuthException) as info:
        send(server + "/slow")
    assert info.value.type == "timeout" and "slowpoke" in info.value.message
    with pytest.raises(OAuthException) as refused:
        send("http://127.0.0.1:9/token?client_secret=s3cret")
    assert refused.value.type == "network_error"
    assert "s3cret" not in refused.value.message and "127.0.0.1" in refused.value.message


def test_send_in_an_app_without_init_app() -> None:
    with Flask("bare").app_context(), pytest.raises(RuntimeError, match="init_app"):
        send("http://127.0.0.1:9/")


def test_http_request_is_looked_up_at_call_time() -> None:
    app = Flask("lookup")
    remote = OAuth(app).remote_app("dev", consumer_key="k", base_url="https://api.example/")
    canned = (RemoteResponse(200, {"Content-Type": "application/json"}), b'{"ok": true}')
    with (
        app.test_request_context(),
        mock.patch.object(OAuthRemoteApp, "http_request", return_value=canned),
    ):
        assert remote.get("me", token="t").data == {"ok": True}


# -- safe XML ----------------------------------------------------------------------------------


@pytest.fixture
def fake_defusedxml(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Install a stand-in ``defusedxml`` that records how it was called."""
    calls: list[Any] = []

    class DefusedXmlException(ValueError):
        pass

    def fromstring(text: Any, forbid_dtd: bool = False) -> Any:
        calls.append((text, forbid_dtd))
        if b"DOCTYPE" in text:
            raise DefusedXmlException("dtd")
        return safexml.Element("from-defusedxml")

    package = types.ModuleType("defusedxml")
    package.DefusedXmlException = DefusedXmlException  # type: ignore[attr-defined]
    module = types.ModuleType("defusedxml.ElementTree")
    module.fromstring = fromstring  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "defusedxml", package)
    monkeypatch.setitem(sys.modules, "defusedxml.ElementTree", module)
    safexml._defusedxml.cache_clear()
    yield calls
    safexml._defusedxml.cache_clear()


def test_defusedxml_is_used_when_installed(fake_defusedxml: list[Any]) -> None:
    assert safexml.fromstring(b"<a/>").tag == "from-defusedxml"
    with pytest.raises(safexml.UnsafeXMLError) as info:
        safexml.XML(b"<!DOCTYPE a><a/>")
    assert isinstance(info.value.__cause__, ValueError)
    assert fake_defusedxml == [(b"<a/>", True), (b"<!DOCTYPE a><a/>", True)]


def test_without_defusedxml_declarations_are_refused_by_expat() -> None:
    safexml._defusedxml.cache_clear()
    if safexml._defusedxml() is not None:
        pytest.skip("defusedxml is installed")
    for body in (b"<!DOCTYPE a><a/>", '<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'):
        with pytest.raises(safexml.UnsafeXMLError):
            safexml.fromstring(body)
    with pytest.raises(safexml.ParseError):
        safexml.fromstring(b"<a>&undefined;</a>")


def test_safe_parse_helpers(tmp_path: Any) -> None:
    assert safexml.fromstringlist(["<a>", "<b/></a>"]).find("b") is not None
    assert safexml.fromstringlist([b"<a>", "<b/></a>"]).find("b") is not None
    path = tmp_path / "doc.xml"
    path.write_bytes(b"<root><x>1</x></root>")
    assert safexml.parse(path).getroot().findtext("x") == "1"
    assert safexml.parse(str(path)).getroot().tag == "root"
    assert safexml.parse(io.BytesIO(b"<r/>")).getroot().tag == "r"
    with pytest.raises(safexml.UnsafeXMLError):
        safexml.parse(io.BytesIO(b"<!DOCTYPE r SYSTEM 'file:///etc/passwd'><r/>"))


# -- the contrib client's sessions -------------------------------------------------------------


@pytest.mark.parametrize("session_class", [OAuth1Session, OAuth2Session])
def test_contrib_sessions_keep_no_cookies_and_have_a_timeout(
    session_class: type[Any], server: str
) -> None:
    oauth = session_class("client")
    assert isinstance(oauth.cookies, NoCookieJar) and oauth.timeout == 10
    oauth.timeout = 0.2
    oauth.auth = None  # no signing: the peer is a plain server
    for _ in range(2):
        assert oauth.get(server + "/").json() == {"cookies": {}}
    with pytest.raises(Exception, match="(?i)timed out"):
        oauth.get(server + "/slow")
