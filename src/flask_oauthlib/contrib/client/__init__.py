"""``flask_oauthlib.contrib.client``: 0.9.6's requests-oauthlib client (distribution
``flask-oauthlib-client``, package ``flask_oauthlib_client.contrib``)."""

from __future__ import annotations

from ..._install import import_distribution

import_distribution("flask_oauthlib_client", "flask-oauthlib-client", "The OAuth client")

from flask_oauthlib_client.contrib import (  # noqa: E402
    OAuth,
    OAuth1Application,
    OAuth2Application,
    OAuthState,
    cached_clients,
    get_cached_clients,
)

__all__ = [
    "OAuth",
    "OAuth1Application",
    "OAuth2Application",
    "OAuthState",
    "cached_clients",
    "get_cached_clients",
]
