"""The ``OAUTH1_PROVIDER_*`` configuration keys, their defaults, and the settings an app's
config resolves to.

Every key is set with ``app.config.setdefault`` in :meth:`OAuth1Provider.init_app`; the
provider reads them once per app, on first use, into :class:`OAuth1Settings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULTS", "OAuth1Settings"]

#: the key of the provider in ``app.extensions``
EXTENSION_KEY = "oauthlib.provider.oauth1"

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

#: :class:`OAuth1Settings` field -> config key
_KEYS = {
    "enforce_ssl": "OAUTH1_PROVIDER_ENFORCE_SSL",
    "signature_methods": "OAUTH1_PROVIDER_SIGNATURE_METHODS",
    "realms": "OAUTH1_PROVIDER_REALMS",
    "key_length": "OAUTH1_PROVIDER_KEY_LENGTH",
    "timestamp_window": "OAUTH1_PROVIDER_TIMESTAMP_WINDOW",
    "timestamp_skew": "OAUTH1_PROVIDER_TIMESTAMP_SKEW",
    "csrf_required": "OAUTH1_PROVIDER_CSRF_REQUIRED",
}


def _integer(value: Any, key: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be an integer, not {value!r}.") from None


def _length_range(value: Any, key: str) -> tuple[int, int]:
    try:
        low, high = (int(n) for n in value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a (min, max) pair of integers, not {value!r}.") from None
    return low, high


def _names(value: Any) -> tuple[str, ...]:
    """A list of names; a single string is one name, not its characters."""
    return (value,) if isinstance(value, str) else tuple(value or ())


@dataclass(frozen=True)
class OAuth1Settings:
    """An app's ``OAUTH1_PROVIDER_*`` settings, resolved once.

    The provider builds them from the app's config on first use (see
    :attr:`OAuth1Provider.settings <flask_oauthlib_provider_oauth1.OAuth1Provider>`);
    changing ``app.config`` afterwards changes nothing. Where errors are shown
    (``OAUTH1_PROVIDER_ERROR_URI``/``_ERROR_ENDPOINT``) is not part of them.

    .. versionadded:: 1.1
    """

    #: ``OAUTH1_PROVIDER_ENFORCE_SSL``
    enforce_ssl: bool = True
    #: ``OAUTH1_PROVIDER_SIGNATURE_METHODS``
    signature_methods: tuple[str, ...] = ("HMAC-SHA1", "HMAC-SHA256", "RSA-SHA1")
    #: ``OAUTH1_PROVIDER_REALMS``
    realms: tuple[str, ...] = ()
    #: ``OAUTH1_PROVIDER_KEY_LENGTH``
    key_length: tuple[int, int] = (20, 30)
    #: ``OAUTH1_PROVIDER_TIMESTAMP_WINDOW`` (seconds)
    timestamp_window: int = 600
    #: ``OAUTH1_PROVIDER_TIMESTAMP_SKEW`` (seconds)
    timestamp_skew: int = 60
    #: ``OAUTH1_PROVIDER_CSRF_REQUIRED``
    csrf_required: bool = False

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OAuth1Settings:
        """The settings in ``config`` (an app's config, or any mapping with
        ``OAUTH1_PROVIDER_*`` keys); a missing key takes its default.

        :raises ValueError: for a value of the wrong shape, naming the key.
        """

        def get(field: str) -> Any:
            key = _KEYS[field]
            return config.get(key, DEFAULTS[key])

        return cls(
            enforce_ssl=bool(get("enforce_ssl")),
            signature_methods=_names(get("signature_methods")),
            realms=_names(get("realms")),
            key_length=_length_range(get("key_length"), _KEYS["key_length"]),
            timestamp_window=_integer(get("timestamp_window"), _KEYS["timestamp_window"]),
            timestamp_skew=_integer(get("timestamp_skew"), _KEYS["timestamp_skew"]),
            csrf_required=bool(get("csrf_required")),
        )

    def as_config(self) -> dict[str, Any]:
        """The settings as ``OAUTH1_PROVIDER_*`` config keys (what a 0.9.6 validator
        subclass reads from ``self._config``)."""
        return {key: getattr(self, field) for field, key in _KEYS.items()}
