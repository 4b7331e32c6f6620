"""The ``OAUTH1_PROVIDER_*`` configuration keys and their defaults.

Every key is set with ``app.config.setdefault`` in :meth:`OAuth1Provider.init_app`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEFAULTS"]

DEFAULTS: dict[str, Any] = {
    # where authorization errors are shown (a path or URL) ...
    "OAUTH1_PROVIDER_ERROR_URI": None,
    # ... or the endpoint name of the app's error page
    "OAUTH1_PROVIDER_ERROR_ENDPOINT": None,
    # refuse requests that did not come over HTTPS
    "OAUTH1_PROVIDER_ENFORCE_SSL": True,
    # accepted signature methods; add "PLAINTEXT" only over HTTPS and only if needed
    "OAUTH1_PROVIDER_SIGNATURE_METHODS": ("HMAC-SHA1", "HMAC-SHA256", "RSA-SHA1"),
    # every realm the provider knows; a client may only ask for these
    "OAUTH1_PROVIDER_REALMS": [],
    # (min, max) length of client keys, request tokens and access tokens
    "OAUTH1_PROVIDER_KEY_LENGTH": (20, 30),
    # seconds a request's oauth_timestamp may differ from the server's clock
    "OAUTH1_PROVIDER_TIMESTAMP_WINDOW": 600,
    # ... but at most this many seconds ahead of it (nonce stores then keep each nonce
    # until timestamp + window has passed, at most window + skew seconds)
    "OAUTH1_PROVIDER_TIMESTAMP_SKEW": 60,
    # refuse a consent POST without the session's csrf_token (a token that is sent is
    # always checked, and cross-site consent always refused)
    "OAUTH1_PROVIDER_CSRF_REQUIRED": False,
}
