"""``flask_oauthlib.contrib.oauth2``: storage bindings for the OAuth 2 provider.

``bind_sqlalchemy`` comes from ``flask-oauthlib-contrib-sqla`` and ``bind_cache_grant``
from ``flask-oauthlib-contrib-cache``; each is loaded on first use, so installing one
binding is enough.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._install import lazy_exports

if TYPE_CHECKING:
    from flask_oauthlib_contrib_cache import bind_cache_grant
    from flask_oauthlib_contrib_sqla import SQLAlchemyBinding, bind_sqlalchemy

__all__ = ["SQLAlchemyBinding", "bind_cache_grant", "bind_sqlalchemy"]

_LAZY = {
    "bind_sqlalchemy": (
        "flask_oauthlib_contrib_sqla",
        "flask-oauthlib[sqla]",
        "The SQLAlchemy binding",
    ),
    "SQLAlchemyBinding": (
        "flask_oauthlib_contrib_sqla",
        "flask-oauthlib[sqla]",
        "The SQLAlchemy binding",
    ),
    "bind_cache_grant": (
        "flask_oauthlib_contrib_cache",
        "flask-oauthlib[cache]",
        "The cache binding",
    ),
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
