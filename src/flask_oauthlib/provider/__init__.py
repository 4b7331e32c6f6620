"""``flask_oauthlib.provider``: both providers, each loaded on first use.

Installing only one provider works; touching the other raises an ``ImportError`` that
names the extra to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._install import lazy_exports

if TYPE_CHECKING:
    from flask_oauthlib_provider_oauth1 import OAuth1Provider, OAuth1RequestValidator
    from flask_oauthlib_provider_oauth2 import OAuth2Provider, OAuth2RequestValidator

__all__ = ["OAuth1Provider", "OAuth1RequestValidator", "OAuth2Provider", "OAuth2RequestValidator"]

_LAZY = {
    "OAuth1Provider": (
        "flask_oauthlib_provider_oauth1",
        "flask-oauthlib[oauth1]",
        "The OAuth 1 provider",
    ),
    "OAuth1RequestValidator": (
        "flask_oauthlib_provider_oauth1",
        "flask-oauthlib[oauth1]",
        "The OAuth 1 provider",
    ),
    "OAuth2Provider": (
        "flask_oauthlib_provider_oauth2",
        "flask-oauthlib[oauth2]",
        "The OAuth 2 provider",
    ),
    "OAuth2RequestValidator": (
        "flask_oauthlib_provider_oauth2",
        "flask-oauthlib[oauth2]",
        "The OAuth 2 provider",
    ),
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
