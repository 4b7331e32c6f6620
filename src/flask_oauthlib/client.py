"""``flask_oauthlib.client``: the OAuth client (distribution ``flask-oauthlib-client``)."""

from __future__ import annotations

from ._install import import_distribution

import_distribution("flask_oauthlib_client", "flask-oauthlib-client", "The OAuth client")

from flask_oauthlib_client import (  # noqa: E402
    MissingSetting,
    OAuth,
    OAuthException,
    OAuthRemoteApp,
    OAuthResponse,
    encode_request_data,
    parse_response,
)

__all__ = [
    "MissingSetting",
    "OAuth",
    "OAuthException",
    "OAuthRemoteApp",
    "OAuthResponse",
    "encode_request_data",
    "parse_response",
]
