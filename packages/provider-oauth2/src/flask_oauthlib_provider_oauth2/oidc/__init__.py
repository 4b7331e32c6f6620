"""OpenID Connect (Core 1.0, Discovery 1.0) on the OAuth 2 provider.

Switched on per app with ``OAUTH2_PROVIDER_OIDC_ENABLED``; until then nothing here
changes a request, and PyJWT is not imported. The parts:

- :mod:`.feature`: the ``openid`` scope of the code flow and of refreshes, and the
  OpenID entries of the metadata document (``/.well-known/openid-configuration``);
- :mod:`.validator`: the validator's OpenID methods (:class:`OpenIDMixin`), on the
  ``logingetter`` and ``claimsgetter``;
- :mod:`.claims`: which claims the scopes and the ``claims`` parameter give;
- :mod:`.interaction`: ``prompt``, ``max_age`` and logins at the authorization endpoint;
- :mod:`.userinfo`: the userinfo endpoint;
- :mod:`.logout`: RP-initiated logout (``oauth.logout_handler``);
- :mod:`.cli`: ``flask oidc generate-key``.

Keys and the JWKS endpoint live in :mod:`..jwks`. See docs/oidc.md.

.. versionadded:: 1.1
"""

from __future__ import annotations

from .claims import SCOPE_CLAIMS, attribute_claims, select_claims
from .context import OpenIDContext
from .feature import OpenIDConnect
from .logout import EndSession, LogoutRequest
from .userinfo import UserInfo
from .validator import OpenIDMixin

__all__ = [
    "SCOPE_CLAIMS",
    "EndSession",
    "LogoutRequest",
    "OpenIDConnect",
    "OpenIDContext",
    "OpenIDMixin",
    "UserInfo",
    "attribute_claims",
    "select_claims",
]
