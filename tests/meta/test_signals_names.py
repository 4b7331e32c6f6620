"""The signals modules of the provider and the client under the meta package's import
names."""

from __future__ import annotations

import pytest


def test_provider_signals_under_flask_oauthlib() -> None:
    # the meta distribution with the oauth1 extra alone has no OAuth 2 provider
    pytest.importorskip("flask_oauthlib_provider_oauth2")
    from flask_oauthlib.provider.oauth2 import signals as meta_signals
    from flask_oauthlib_provider_oauth2 import signals

    assert meta_signals is signals


def test_client_signals_under_flask_oauthlib() -> None:
    from flask_oauthlib.client import signals as meta_signals
    from flask_oauthlib_client import signals

    assert meta_signals is signals
