"""Log redaction is installed by ``init_app``, once, unless ``OAUTHLIB_REDACT_LOGS`` is off.

The filter (``flask_oauthlib_core.RedactingFilter``) is attached to the loggers of
oauthlib, requests-oauthlib and urllib3. These tests take it off every such logger
first and put back what was there after, so they see only what their own app did.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest
from flask import Flask
from login_app import login_app

from flask_oauthlib_client import OAuth, OAuthRemoteApp, RemoteResponse
from flask_oauthlib_client.contrib import OAuth as ContribOAuth
from flask_oauthlib_core import RedactingFilter
from flask_oauthlib_core.testing import redirect_params

FAMILIES = ("oauthlib", "requests_oauthlib", "urllib3")

Registry = Callable[[Flask], Any]
REGISTRIES: dict[str, Registry] = {"client": OAuth, "contrib": ContribOAuth}


def third_party_loggers() -> list[logging.Logger]:
    names = [
        name for name in list(logging.Logger.manager.loggerDict) if name.split(".")[0] in FAMILIES
    ]
    return [logging.getLogger(name) for name in names]


def redacted(logger: logging.Logger) -> bool:
    return any(isinstance(f, RedactingFilter) for f in logger.filters)


@pytest.fixture
def bare_loggers() -> Iterator[logging.Logger]:
    """The ``oauthlib`` logger, with no redaction filter on any third-party logger."""
    saved = {logger: list(logger.filters) for logger in third_party_loggers()}
    for logger in saved:
        for found in [f for f in logger.filters if isinstance(f, RedactingFilter)]:
            logger.removeFilter(found)
    yield logging.getLogger("oauthlib")
    for logger in third_party_loggers():
        if logger in saved:
            logger.filters[:] = saved[logger]
        else:  # created during the test
            logger.filters[:] = [f for f in logger.filters if not isinstance(f, RedactingFilter)]


@pytest.mark.parametrize("registry", REGISTRIES.values(), ids=REGISTRIES)
def test_init_app_installs_redaction_by_default(
    bare_loggers: logging.Logger, registry: Registry
) -> None:
    assert not redacted(bare_loggers)
    registry(Flask("default"))
    assert redacted(bare_loggers)
    assert all(redacted(logger) for logger in third_party_loggers())


@pytest.mark.parametrize("registry", REGISTRIES.values(), ids=REGISTRIES)
def test_the_config_key_switches_it_off(bare_loggers: logging.Logger, registry: Registry) -> None:
    app = Flask("quiet")
    app.config["OAUTHLIB_REDACT_LOGS"] = False
    registry(app)
    assert not any(redacted(logger) for logger in third_party_loggers())


def test_no_request_installs_it(bare_loggers: logging.Logger) -> None:
    """Switched off, it stays off through a whole login and an API call: only
    ``init_app`` installs the filter, never a request."""
    app, _ = login_app(
        config={"OAUTHLIB_REDACT_LOGS": False},
        consumer_key="k",
        consumer_secret="s",
        base_url="https://idp.example/api/",
        authorize_url="https://idp.example/authorize",
        access_token_url="https://idp.example/token",
    )
    answers = [
        (RemoteResponse(200, {"Content-Type": "application/json"}), body)
        for body in (b'{"access_token": "at", "token_type": "Bearer"}', b'{"name": "alice"}')
    ]
    client = app.test_client()
    with mock.patch.object(OAuthRemoteApp, "http_request", side_effect=answers):
        state = redirect_params(client.get("/login"))["state"]
        assert client.get(f"/authorized?code=c&state={state}").status_code == 200
        assert client.get("/me").get_json() == {"name": "alice"}
    assert not any(redacted(logger) for logger in third_party_loggers())
