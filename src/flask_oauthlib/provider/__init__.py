"""``flask_oauthlib.provider``: both providers, each loaded on first use.

Installing only one provider works; touching the other raises an ``ImportError`` that
names the extra to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._install import import_distribution

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


def __getattr__(name: str) -> Any:
    try:
        module, extra, what = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return getattr(import_distribution(module, extra, what), name)


def __dir__() -> list[str]:
    return sorted(__all__)
