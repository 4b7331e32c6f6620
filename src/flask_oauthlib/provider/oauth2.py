"""``flask_oauthlib.provider.oauth2`` (distribution ``flask-oauthlib-provider-oauth2``)."""

from __future__ import annotations

from .._install import import_distribution

import_distribution(
    "flask_oauthlib_provider_oauth2", "flask-oauthlib[oauth2]", "The OAuth 2 provider"
)

from flask_oauthlib_provider_oauth2 import OAuth2Provider, OAuth2RequestValidator  # noqa: E402

__all__ = ["OAuth2Provider", "OAuth2RequestValidator"]
