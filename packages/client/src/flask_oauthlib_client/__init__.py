"""OAuth 1.0a and OAuth 2 client for Flask.

The API of ``flask_oauthlib.client`` 0.9.6 on today's stack, with ``state`` checking,
PKCE and token refresh on by default::

    from flask_oauthlib_client import OAuth

    oauth = OAuth(app)
    github = oauth.remote_app("github", app_key="GITHUB", ...)
"""

from __future__ import annotations

from .exceptions import OAuthException
from .registry import OAuth
from .remote import OAuthRemoteApp, encode_request_data
from .response import OAuthResponse, parse_response
from .settings import MissingSetting

__all__ = [
    "MissingSetting",
    "OAuth",
    "OAuthException",
    "OAuthRemoteApp",
    "OAuthResponse",
    "encode_request_data",
    "parse_response",
]
