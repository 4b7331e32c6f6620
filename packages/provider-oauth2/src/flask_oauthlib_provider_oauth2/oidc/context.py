"""What an OpenID request needs from the app's settings: the issuer, the keys, the
algorithm and lifetime of ID tokens. The :class:`~.feature.OpenIDConnect` feature puts
one :class:`OpenIDContext` on each oauthlib request of an OpenID flow
(``request.openid``), where the validator's OpenID methods find it.

.. versionadded:: 1.1
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context
from flask import request as flask_request

from flask_oauthlib_core import as_utc, utcnow

from ..config import OAuth2Settings
from ..jwks import ALGORITHMS, KeySet, key_set

__all__ = ["OpenIDContext", "epoch", "openid_context"]


def epoch(moment: Any) -> int | None:
    """Seconds since the epoch of a datetime (naive is UTC) or a number; ``None`` for
    anything else."""
    if isinstance(moment, datetime):
        return int(as_utc(moment).timestamp())
    if isinstance(moment, int | float) and not isinstance(moment, bool):
        return int(moment)
    return None


class OpenIDContext:
    """The settings of one app's OpenID flows, for one request.

    :param settings: the app's resolved settings.
    """

    def __init__(self, settings: OAuth2Settings) -> None:
        self.settings = settings
        self._keys: KeySet | None = None

    @property
    def issuer(self) -> str:
        """``OAUTH2_PROVIDER_ISSUER``, or the request's host URL (as in the metadata)."""
        if self.settings.issuer:
            return self.settings.issuer
        if not has_request_context():
            raise RuntimeError("set OAUTH2_PROVIDER_ISSUER to sign ID tokens outside a request")
        return str(flask_request.host_url.rstrip("/"))

    @property
    def keys(self) -> KeySet:
        """The key set of ``OAUTH2_PROVIDER_OIDC_KEYS``, read once per request."""
        if self._keys is None:
            self._keys = key_set(self.settings.oidc_keys)
        return self._keys

    def algorithm(self, client: Any) -> str:
        """The client's ``id_token_signed_response_alg`` when it names one of
        :data:`~..jwks.ALGORITHMS`, else ``OAUTH2_PROVIDER_OIDC_ID_TOKEN_ALG``."""
        asked = getattr(client, "id_token_signed_response_alg", None)
        return str(asked) if asked in ALGORITHMS else self.settings.oidc_id_token_alg

    @staticmethod
    def now() -> int:
        """The current time, in seconds since the epoch."""
        return int(utcnow().timestamp())


def openid_context(request: Any) -> OpenIDContext:
    """The context the OpenID feature put on an oauthlib ``request``.

    :raises RuntimeError: when there is none (the validator was called by a server
        without the :class:`~.feature.OpenIDConnect` feature).
    """
    context = vars(request).get("openid")
    if not isinstance(context, OpenIDContext):
        raise RuntimeError(
            "OpenID Connect requests go through a server with the OpenIDConnect feature"
            " and OAUTH2_PROVIDER_OIDC_ENABLED"
        )
    return context
