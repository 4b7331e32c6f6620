"""``flask_oauthlib.contrib.oauth2``: storage bindings for the OAuth 2 provider.

``bind_sqlalchemy`` and the 0.9.6 binding classes (``ClientBinding`` and the others)
come from ``flask-oauthlib-contrib-sqla`` and ``bind_cache_grant`` from
``flask-oauthlib-contrib-cache``; each is loaded on first use, so installing one
binding is enough.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._install import lazy_exports

if TYPE_CHECKING:
    from flask_oauthlib_contrib_cache import Grant, bind_cache_grant
    from flask_oauthlib_contrib_sqla import (
        BaseBinding,
        ClientBinding,
        GrantBinding,
        SQLAlchemyBinding,
        TokenBinding,
        UserBinding,
        bind_sqlalchemy,
    )

__all__ = [
    "BaseBinding",
    "ClientBinding",
    "Grant",
    "GrantBinding",
    "SQLAlchemyBinding",
    "TokenBinding",
    "UserBinding",
    "bind_cache_grant",
    "bind_sqlalchemy",
]

_SQLA = ("flask_oauthlib_contrib_sqla", "flask-oauthlib[sqla]", "The SQLAlchemy binding")
_CACHE = ("flask_oauthlib_contrib_cache", "flask-oauthlib[cache]", "The cache binding")

_LAZY = {
    "bind_sqlalchemy": _SQLA,
    "Grant": _CACHE,
    "SQLAlchemyBinding": _SQLA,
    "BaseBinding": _SQLA,
    "UserBinding": _SQLA,
    "ClientBinding": _SQLA,
    "TokenBinding": _SQLA,
    "GrantBinding": _SQLA,
    "bind_cache_grant": _CACHE,
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
