"""``flask_oauthlib.provider.oauth1`` (distribution ``flask-oauthlib-provider-oauth1``)."""

from __future__ import annotations

from .._install import import_distribution

import_distribution(
    "flask_oauthlib_provider_oauth1", "flask-oauthlib[oauth1]", "The OAuth 1 provider"
)

from flask_oauthlib_provider_oauth1 import *  # noqa: E402, F403
from flask_oauthlib_provider_oauth1 import __all__  # noqa: E402, F401
