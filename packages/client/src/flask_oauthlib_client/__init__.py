"""OAuth 1.0a and OAuth 2 client for Flask.

The API of ``flask_oauthlib.client`` 0.9.6 on today's stack, with ``state`` checking,
PKCE and token refresh on by default::

    from flask_oauthlib_client import OAuth

    oauth = OAuth(app)
    github = oauth.remote_app("github", app_key="GITHUB", ...)

Logins, their failures and refreshes are sent as blinker signals
(:mod:`flask_oauthlib_client.signals`). 0.9.6's second client, built on
requests-oauthlib, is :mod:`flask_oauthlib_client.contrib`.
"""

from __future__ import annotations

from . import signals
from .callback import CallbackError
from .exceptions import OAuthException
from .registry import OAuth
from .remote import OAuthRemoteApp, encode_request_data
from .response import OAuthResponse, get_etree, parse_response
from .settings import MissingSetting
from .transport import RemoteResponse, prepare_request

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
