"""``flask_oauthlib.client``: the OAuth client (distribution ``flask-oauthlib-client``)."""

from __future__ import annotations

from ._install import import_distribution

import_distribution("flask_oauthlib_client", "flask-oauthlib-client", "The OAuth client")

from flask_oauthlib_client import (  # noqa: E402
    CallbackError,
    MissingSetting,
    OAuth,
    OAuthException,
    OAuthRemoteApp,
    OAuthResponse,
    RemoteResponse,
    encode_request_data,
    get_etree,
    parse_response,
    prepare_request,
    signals,
)

__all__ = [
    "CallbackError",
    "MissingSetting",
    "OAuth",
    "OAuthException",
    "OAuthRemoteApp",
    "OAuthResponse",
    "RemoteResponse",
    "encode_request_data",
    "get_etree",
    "parse_response",
    "prepare_request",
    "signals",
]
