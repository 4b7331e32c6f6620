"""The ``OAUTH2_PROVIDER_*`` configuration keys and their defaults.

Every key is set with ``app.config.setdefault`` in :meth:`OAuth2Provider.init_app`, so
``app.config`` always shows what is in force.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULTS"]

DEFAULTS: dict[str, Any] = {
    # where fatal authorization errors are shown (a path or URL) ...
    "OAUTH2_PROVIDER_ERROR_URI": None,
    # ... or the endpoint name of the app's error page
    "OAUTH2_PROVIDER_ERROR_ENDPOINT": None,
    # access token lifetime in seconds (or a callable taking the oauthlib request)
    "OAUTH2_PROVIDER_TOKEN_EXPIRES_IN": 3600,
    # callables (or import strings) generating access and refresh tokens
    "OAUTH2_PROVIDER_TOKEN_GENERATOR": None,
    "OAUTH2_PROVIDER_REFRESH_TOKEN_GENERATOR": None,
    # the implicit (response_type=token) and password grants; RFC 9700 advises off
    "OAUTH2_PROVIDER_ALLOW_IMPLICIT": True,
    "OAUTH2_PROVIDER_ALLOW_PASSWORD": True,
    # PKCE: "public" (public clients must use it), "all", or "none"
    "OAUTH2_PROVIDER_PKCE_REQUIRED": "public",
    # accept code_challenge_method=plain
    "OAUTH2_PROVIDER_PKCE_ALLOW_PLAIN": False,
    # a token must carry every scope require_oauth names (False: any one, as in 0.9.6)
    "OAUTH2_PROVIDER_REQUIRE_ALL_SCOPES": True,
    # accept bearer tokens in the query string or form body, not only the header
    "OAUTH2_PROVIDER_ALLOW_TOKEN_IN_QUERY": False,
    # the issuer identifier: sent as ``iss`` on authorization responses (RFC 9207) and
    # in the metadata document; without it metadata uses the request's host URL
    "OAUTH2_PROVIDER_ISSUER": None,
    # issue a new refresh token on every refresh (and revoke the old one when storage can)
    "OAUTH2_PROVIDER_ROTATE_REFRESH_TOKENS": True,
    # device flow (RFC 8628, oauthlib 4.x): where users enter their code (a URL or an
    # endpoint name), how long device codes live, the polling interval
    "OAUTH2_PROVIDER_DEVICE_VERIFICATION_URI": None,
    "OAUTH2_PROVIDER_DEVICE_EXPIRES_IN": 600,
    "OAUTH2_PROVIDER_DEVICE_INTERVAL": 5,
    # refuse a consent POST without the session's csrf_token (a token that is sent is
    # always checked, and cross-site consent always refused)
    "OAUTH2_PROVIDER_CSRF_REQUIRED": False,
}
