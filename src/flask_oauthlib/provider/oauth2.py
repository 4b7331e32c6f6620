"""``flask_oauthlib.provider.oauth2`` (distribution ``flask-oauthlib-provider-oauth2``)."""

from __future__ import annotations

from .._install import import_distribution

import_distribution(
    "flask_oauthlib_provider_oauth2", "flask-oauthlib[oauth2]", "The OAuth 2 provider"
)

from flask_oauthlib_provider_oauth2 import *  # noqa: E402, F403
from flask_oauthlib_provider_oauth2 import __all__  # noqa: E402, F401
