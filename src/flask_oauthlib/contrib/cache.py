"""``flask_oauthlib.contrib.cache`` (distribution ``flask-oauthlib-contrib-cache``)."""

from __future__ import annotations

from .._install import import_distribution

import_distribution("flask_oauthlib_contrib_cache", "flask-oauthlib[cache]", "The cache binding")

from flask_oauthlib_contrib_cache import (  # noqa: E402
    Cache,
    bind_cache_grant,
    bind_cache_nonce,
)

__all__ = ["Cache", "bind_cache_grant", "bind_cache_nonce"]
