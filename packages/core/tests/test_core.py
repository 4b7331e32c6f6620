"""The shared adapters and helpers."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from flask_oauthlib_core import (
    BadRequestBody,
    RedactingFilter,
    StorageUnavailable,
    create_response,
    decode_base64,
    extract_params,
    import_callable,
    redact,
    to_bytes,
    to_unicode,
)


@pytest.fixture
def app() -> Flask:
    return Flask("core")


def test_extract_params_form(app: Flask) -> None:
    with app.test_request_context(
        "/token?x=1",
        method="POST",
        data="grant_type=password&scope=a&scope=b",
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": "Basic abc"},
        base_url="https://auth.example",
    ):
        uri, method, body, headers = extract_params()
    assert uri == "https://auth.example/token?x=1"
    assert method == "POST"
    assert body == "grant_type=password&scope=a&scope=b"
    assert headers["Authorization"] == "Basic abc"


def test_extract_params_ignores_other_bodies(app: Flask) -> None:
    with app.test_request_context("/api", method="POST", json={"a": 1}):
        _, _, body, _ = extract_params()
    assert body is None
    with app.test_request_context("/api"):
        assert extract_params()[2] is None


def test_extract_params_rejects_non_utf8(app: Flask) -> None:
    with (
        app.test_request_context(
            "/token",
            method="POST",
            data=b"a=\xff",
            content_type="application/x-www-form-urlencoded",
        ),
        pytest.raises(BadRequestBody),
    ):
        extract_params()


def test_extract_params_honours_proxy_headers(app: Flask) -> None:
    from werkzeug.middleware.proxy_fix import ProxyFix

    seen = {}

    @app.route("/x")
    def x() -> str:
        seen["uri"] = extract_params()[0]
        return ""

    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.test_client().get(
        "/x", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "id.example"}
    )
    assert seen["uri"] == "https://id.example/x"


def test_create_response(app: Flask) -> None:
    resp = create_response({"Location": "https://c/cb", "X-A": "1"}, None, 302)
    assert resp.status_code == 302 and resp.headers["Location"] == "https://c/cb"
    assert create_response({}, '{"a": 1}', 200).get_data(as_text=True) == '{"a": 1}'


def test_encoding_helpers() -> None:
    assert to_bytes("é") == "é".encode() and to_bytes(b"x") == b"x" and to_bytes(None) == b""
    assert to_unicode(b"\xc3\xa9") == "é" and to_unicode(None) == "" and to_unicode(3) == "3"
    assert decode_base64("aGVsbG8=") == "hello"


def test_import_callable() -> None:
    assert import_callable(None) is None
    assert import_callable(len) is len
    assert import_callable("secrets.token_hex") is __import__("secrets").token_hex
    with pytest.raises(ImportError):
        import_callable("nodots")
    with pytest.raises(TypeError):
        import_callable("string.ascii_letters")


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("access_token=abc123&x=1", "abc123"),
        ('{"refresh_token": "r-9"}', "r-9"),
        ("Authorization: Bearer tok.en", "tok.en"),
        ("client_secret=s3cr3t", "s3cr3t"),
        ("code=xyz&state=1", "xyz"),
        ("password=hunter2", "hunter2"),
        ("Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("Validating refresh token YvUgew96DSHNKTEt7 for client", "YvUgew96DSHNKTEt7"),
        ("<Client resource_owner_key=2FyWqT8o1zrd, verifier=Li5nQWrCaPAf>", "Li5nQWrCaPAf"),
        ("[('oauth_verifier', '4jPtPAR8BXtnkM')]", "4jPtPAR8BXtnkM"),
        ("GET&x%26oauth_token%3D7y05T8In4e1E%26oauth_version", "7y05T8In4e1E"),
        ("GET /oauth/logout?id_token_hint=eyJh.eyJz.c2ln&state=1", "eyJh.eyJz.c2ln"),
        ("registration_access_token=Rt-5gq", "Rt-5gq"),
    ],
)
def test_redact(text: str, secret: str) -> None:
    assert secret not in redact(text)
    assert "[redacted]" in redact(text)


def test_redacting_filter() -> None:
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("redaction-test")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("sending %s", "access_token=abc123")
        logger.debug("nothing secret here")
    finally:
        logger.removeHandler(handler)
    assert records == ["sending access_token=[redacted]", "nothing secret here"]


def test_storage_unavailable_is_a_runtime_error() -> None:
    assert issubclass(StorageUnavailable, RuntimeError)


def test_insecure_transport_is_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from flask_oauthlib_core import warn_if_insecure_transport

    logger = logging.getLogger("transport-test")
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    assert warn_if_insecure_transport(logger) is False and not caplog.records
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with caplog.at_level(logging.WARNING):
        assert warn_if_insecure_transport(logger) is True
    assert "plain HTTP" in caplog.text


def test_environ_headers_match_werkzeug(app: Flask) -> None:
    from flask_oauthlib_core.adapters import environ_headers

    headers = {"Authorization": "Basic abc", "X-Forwarded-For": "1.2.3.4", "Origin": "https://o"}
    with app.test_request_context(
        "/",
        method="POST",
        data="a=1",
        headers=headers,
        content_type="application/x-www-form-urlencoded",
    ):
        from flask import request

        assert environ_headers(request.environ) == dict(request.headers)
