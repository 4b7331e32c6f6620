"""flask_oauthlib.utils keeps the 0.9.6 results: extract_params() gives the form as a
dict and reads the module's ``request`` when called (so tests can patch it)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from unittest import mock

import flask
import pytest
import requests
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

import flask_oauthlib.utils as utils
from flask_oauthlib.utils import (
    create_response,
    decode_base64,
    extract_params,
    to_bytes,
    to_unicode,
)

FORM = {"grant_type": "password", "username": "alice"}
HEADERS = {"Authorization": "Basic ZGV2OnNlY3JldA==", "X-Custom": "1"}


def builder(**kwargs: object) -> EnvironBuilder:
    return EnvironBuilder(
        path="/oauth/token",
        base_url="https://provider.example",
        query_string="a=1",
        method="POST",
        data=FORM,
        headers=HEADERS,
        **kwargs,  # type: ignore[arg-type]
    )


def check(params: tuple[str, str, dict[str, str], dict[str, str]], uri: str) -> None:
    got_uri, method, body, headers = params
    assert (got_uri, method, body) == (uri, "POST", FORM)
    assert isinstance(body, dict) and isinstance(headers, dict)
    assert headers["Authorization"] == HEADERS["Authorization"] and headers["X-Custom"] == "1"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert not any(key.lower().startswith("wsgi.") for key in headers)


def test_extract_params_in_a_flask_request() -> None:
    app = flask.Flask("utils")
    with app.request_context(builder().get_environ()):
        check(extract_params(), "https://provider.example/oauth/token?a=1")


@pytest.mark.parametrize("request_class", [Request, flask.Request], ids=["werkzeug", "flask"])
def test_extract_params_reads_a_patched_request(request_class: type[Request]) -> None:
    environ = builder().get_environ()
    with mock.patch("flask_oauthlib.utils.request", request_class(environ)):
        check(extract_params(), "https://provider.example/oauth/token?a=1")


def test_extract_params_drops_wsgi_entries() -> None:
    fake = mock.Mock(
        url="http://x/", method="GET", form=mock.Mock(to_dict=dict), headers=mock.Mock()
    )
    fake.headers.items.return_value = [("wsgi.input", "io"), ("wsgi.errors", "io"), ("A", "b")]
    with mock.patch.object(utils, "request", fake):
        assert extract_params() == ("http://x/", "GET", {}, {"A": "b"})


def test_extract_params_over_http(serve: Callable[[flask.Flask], str]) -> None:
    app = flask.Flask("utils_http")

    @app.post("/echo")
    def echo() -> flask.Response:
        uri, method, body, headers = extract_params()
        return flask.jsonify(uri=uri, method=method, body=body, auth=headers["Authorization"])

    url = serve(app)
    answer = requests.post(
        url + "/echo?x=1", data={"a": "1", "b": "two words"}, headers=HEADERS, timeout=10
    ).json()
    assert answer == {
        "uri": url + "/echo?x=1",
        "method": "POST",
        "body": {"a": "1", "b": "two words"},
        "auth": HEADERS["Authorization"],
    }


def test_to_bytes_and_decode_base64() -> None:
    assert to_bytes("é") == "é".encode()
    assert to_bytes("é", "latin-1") == b"\xe9"
    assert to_bytes(b"\xff") == b"\xff"
    assert to_bytes(None) is None  # 0.9.6 passed None through
    assert decode_base64("eA==") == "x"
    assert decode_base64(b"6Q==", "latin-1") == "é"
    assert to_unicode(b"x") == "x"


def test_create_response_is_a_flask_response() -> None:
    response = create_response({"Content-Type": "application/json", "X-A": "1"}, '{"a": 1}', 201)
    assert isinstance(response, flask.Response)
    assert response.status_code == 201 and response.get_json() == {"a": 1}
    assert response.headers.getlist("Content-Type") == ["application/json"]
    assert response.headers["X-A"] == "1"
    empty = create_response({}, None, 204)
    assert empty.status_code == 204 and empty.get_data() == b""


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("extract_params", []),
        ("to_bytes", ["text", "encoding"]),
        ("decode_base64", ["text", "encoding"]),
        ("create_response", ["headers", "body", "status"]),
    ],
)
def test_0_9_6_signatures(name: str, params: list[str]) -> None:
    signature = inspect.signature(getattr(utils, name))
    assert list(signature.parameters) == params and name in utils.__all__
    if "encoding" in params:
        assert signature.parameters["encoding"].default == "utf-8"
