"""What the distributions share from core: the clock, the secret comparison, the
redaction switch and the provider base."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask

from flask_oauthlib_core import (
    ProviderBase,
    RedactingFilter,
    as_utc,
    equal_secrets,
    hash_secret,
    install_redaction,
    is_expired,
    matches_hash,
    utcnow,
)


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)


def test_naive_datetimes_count_as_utc() -> None:
    naive = datetime(2020, 1, 1, 12, 0)
    assert as_utc(naive) == datetime(2020, 1, 1, 12, 0, tzinfo=timezone.utc)
    assert is_expired(naive)
    assert not is_expired(datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(hours=1))
    assert not is_expired(None) and not is_expired("2020-01-01")


def test_equal_secrets() -> None:
    assert equal_secrets("s3cret", "s3cret")
    assert not equal_secrets("s3cret", "s3cre")
    assert equal_secrets("é", "é") and not equal_secrets("é", "e")
    assert not equal_secrets(None, None) and not equal_secrets("", None)


def test_stored_credentials_are_sha256_hashes() -> None:
    stored = hash_secret("t0ken")
    assert stored == hashlib.sha256(b"t0ken").hexdigest()
    assert matches_hash("t0ken", stored) and not matches_hash("t0ken!", stored)
    assert not matches_hash(None, stored) and not matches_hash("", hash_secret(""))
    assert not matches_hash("t0ken", None) and not matches_hash("t0ken", "")


@pytest.fixture
def oauthlib_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("oauthlib.shared_test")
    saved = list(logger.filters)
    logger.filters = [f for f in logger.filters if not isinstance(f, RedactingFilter)]
    yield logger
    logger.filters = saved


def test_the_development_servers_request_lines_are_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """werkzeug's development server logs each request line with its query: a code or an
    ID token in a callback URL went to the console (found by the outside review)."""
    install_redaction(Flask("dev"))
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info(
            '127.0.0.1 - - "%s" 302 -', "GET /authorized?code=h79Xk2&state=s HTTP/1.1"
        )
    assert "h79Xk2" not in caplog.text and "code=[redacted]" in caplog.text


def test_redaction_is_on_unless_the_app_switches_it_off(oauthlib_logger: logging.Logger) -> None:
    off = Flask("off")
    off.config["OAUTHLIB_REDACT_LOGS"] = False
    assert install_redaction(off) is False
    assert not any(isinstance(f, RedactingFilter) for f in oauthlib_logger.filters)
    assert install_redaction(Flask("on")) is True
    assert install_redaction(Flask("again")) is True  # once per logger, however often
    assert [isinstance(f, RedactingFilter) for f in oauthlib_logger.filters].count(True) == 1


class Provider(ProviderBase[str, dict[str, Any], Any]):
    """The smallest provider: its server is a string naming what built it."""

    extension_key = "test.provider"
    state_key = "test.provider.state"
    config_prefix = "TEST_PROVIDER_"
    defaults = {"TEST_PROVIDER_MODE": "a", "TEST_PROVIDER_ERROR_URI": None}

    def __init__(self, app: Flask | None = None) -> None:
        self.builds = 0
        self.registered: list[str] = []
        super().__init__(app)

    def clientgetter(self, f: Any) -> Any:
        self.registered.append("clientgetter")
        return self._register("clientgetter", f)

    def _resolve_settings(self, app: Flask) -> dict[str, Any]:
        return {"mode": app.config["TEST_PROVIDER_MODE"]}

    def _build_server(self, app: Flask, settings: dict[str, Any]) -> str:
        self.builds += 1
        return f"{app.name}:{settings['mode']}:{sorted(self.registered)}"


def test_a_provider_builds_once_per_app_and_again_after_a_registration() -> None:
    first, second = Flask("first"), Flask("second")
    second.config["TEST_PROVIDER_MODE"] = "b"
    provider = Provider(first)
    provider.init_app(second)
    with first.app_context():
        assert provider.server == "first:a:[]" and provider.server == "first:a:[]"
    with second.app_context():
        assert provider.server == "second:b:[]"
    assert provider.builds == 2
    provider.clientgetter(lambda client_id: None)
    with first.app_context():
        assert provider.server == "first:a:['clientgetter']"
    assert provider.server == "second:b:['clientgetter']"  # outside: the last app initialised


def test_a_provider_refuses_an_app_it_was_not_initialised_on() -> None:
    provider = Provider(Flask("mine"))
    with Flask("theirs").app_context(), pytest.raises(RuntimeError, match=r"init_app\(app\)"):
        provider.server  # noqa: B018
    with pytest.raises(RuntimeError, match="already registered"):
        Provider(provider.app)


def test_error_uri_reads_the_prefixed_keys() -> None:
    app = Flask("errors")
    provider = Provider(app)
    assert provider.error_uri == "/oauth/errors"
    app.config["TEST_PROVIDER_ERROR_URI"] = "/problem"
    assert provider.error_uri == "/problem"
