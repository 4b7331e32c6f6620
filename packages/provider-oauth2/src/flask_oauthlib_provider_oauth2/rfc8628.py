"""RFC 8628: the device authorization grant, as one feature.

Everything of the device flow lives here: the validator's part (:class:`DeviceMixin`,
reading the ``devicegetter`` and writing with the ``devicesetter``), the grant and the
device authorization endpoint (:class:`DeviceFlow`). It plugs into the server with one
line of :data:`~.server.DEFAULT_FEATURES`.

Only offered on oauthlib 4.x, whose ``DeviceCodeGrant`` asks the validator for the
device code's authorization status. (oauthlib 3.3's grant issues a token to any client
that sends a device code, checked or not, so it is never used.)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlencode

from flask import request, url_for
from oauthlib.oauth2.rfc6749 import errors

from flask_oauthlib_core import is_expired, utcnow

from .clientauth import basic_credentials
from .features import EndpointCall, Feature
from .validation import ValidatorBase, field

try:
    from oauthlib.oauth2.rfc8628.endpoints import DeviceAuthorizationEndpoint
    from oauthlib.oauth2.rfc8628.grant_types import DeviceCodeGrant
except ImportError:  # oauthlib < 3.3
    DeviceAuthorizationEndpoint = None
    DeviceCodeGrant = None

if TYPE_CHECKING:
    from .server import Server

__all__ = [
    "DEVICE_GRANT_TYPE",
    "SUPPORTED",
    "DeviceAuthorizationEndpoint",
    "DeviceCodeGrant",
    "DeviceFlow",
    "DeviceMixin",
    "device_status",
]

log = logging.getLogger(__name__)

DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
#: whether this oauthlib validates device codes (4.x)
SUPPORTED = DeviceCodeGrant is not None and hasattr(DeviceCodeGrant, "DEVICE_CODE_AUTHORIZED")

#: a stored device authorization's ``status`` -> what oauthlib's grant expects
STATUS = {
    "authorized": "authorized",
    "pending": "authorization_pending",
    "denied": "access_denied",
    "slow_down": "slow_down",
}


def device_status(device: Any) -> str | None:
    """The oauthlib status for a stored device authorization (``None``: unknown)."""
    status = field(device, "status")
    return STATUS.get(str(status)) if status is not None else None


class DeviceMixin(ValidatorBase):
    """The validator's part of the device flow."""

    def offers_device_flow(self) -> bool:
        """Whether device codes can be looked up (a ``devicegetter`` is registered)."""
        return self._devicegetter is not None

    def save_device_authorization(self, device: dict[str, Any], request: Any) -> None:
        """Save a new device authorization with the ``devicesetter``.

        .. versionadded:: 1.1
        """
        if self._devicesetter is None or self._devicegetter is None:
            raise RuntimeError("register a devicegetter and a devicesetter for the device flow")
        self._devicesetter(device, request)

    def validate_device_code(
        self, client_id: str, code: str, request: Any, *args: Any, **kwargs: Any
    ) -> str | None:
        """The status of a device code for oauthlib 4: ``authorized`` once (the code is
        then used up), else pending, denied, expired or unknown (``None``)."""
        if self._devicegetter is None:
            return None
        device = self._devicegetter(device_code=code)
        if not device or field(device, "client_id") != client_id:
            return None
        if is_expired(field(device, "expires")):
            return "expired_token"
        status = device_status(device)
        if status != "authorized":
            return status
        redeem = getattr(device, "redeem", None) or getattr(device, "delete", None)
        if redeem is None:
            log.error("device records need redeem() or delete() to be single use")
            return None
        if redeem() is False:  # another poll took it first
            return None
        request.user = field(device, "user")
        request.scopes = list(field(device, "scopes") or [])
        return status


class DeviceFlow(Feature):
    """The device grant at the token endpoint (when a ``devicegetter`` is registered)
    and the device authorization endpoint (``oauth.device_authorization_handler``)."""

    endpoints: ClassVar[Mapping[str, str]] = {
        "device_authorization": "device_authorization_endpoint"
    }

    def install(self, server: Server) -> None:
        offers = getattr(server.request_validator, "offers_device_flow", None)
        if SUPPORTED and offers is not None and offers():
            server.device_code_grant = DeviceCodeGrant(server.request_validator)
            server.add_grant_type(DEVICE_GRANT_TYPE, server.device_code_grant)

    def serves(self, kind: str, server: Server) -> bool:
        """Only with the grant installed and ``OAUTH2_PROVIDER_DEVICE_VERIFICATION_URI``."""
        return server.device_code_grant is not None and bool(
            server.settings.device_verification_uri
        )

    def endpoint(self, kind: str, server: Server, view_result: Any) -> EndpointCall:
        if not self.serves(kind, server):
            log.error(
                "the device authorization endpoint needs oauthlib >= 4.0, a devicegetter"
                " and a devicesetter, and OAUTH2_PROVIDER_DEVICE_VERIFICATION_URI"
            )
            return _not_offered
        validator = server.request_validator
        settings = server.settings
        verification = str(settings.device_verification_uri)
        if "/" not in verification:
            verification = url_for(verification, _external=True)
        endpoint = _device_authorization(
            validator,
            verification_uri=verification,
            expires_in=settings.device_expires_in,
            interval=settings.device_interval,
        )

        def create(uri: str, method: str, body: str | None, headers: dict[str, str]) -> Any:
            body = _with_basic_client_id(body, headers)
            out_headers, data, status = endpoint.create_device_authorization_response(
                uri, method, body, headers
            )
            if status != 200 or not isinstance(data, dict):
                return out_headers, data, status
            validator.save_device_authorization(
                {
                    "device_code": data["device_code"],
                    "user_code": data["user_code"],
                    "client_id": endpoint.client_id,
                    "scopes": str(data.get("scope", "")).split(),
                    "expires": utcnow() + timedelta(seconds=data["expires_in"]),
                    "status": "pending",
                },
                request,
            )
            return {**out_headers, "Content-Type": "application/json"}, json.dumps(data), status

        return create


def _not_offered(uri: str, method: str, body: str | None, headers: dict[str, str]) -> Any:
    raise errors.UnsupportedGrantTypeError(
        description="This server does not offer the device authorization grant."
    )


def _with_basic_client_id(body: str | None, headers: dict[str, str]) -> str | None:
    """The form with the ``client_id`` of HTTP Basic credentials added when it names
    none: RFC 8628 3.1 asks for ``client_id`` only from clients that do not
    authenticate, but oauthlib's endpoint wants it always."""
    client_id = basic_credentials(headers)[0]
    if client_id is None or "client_id" in dict(parse_qsl(body or "")):
        return body
    extra = urlencode({"client_id": client_id})
    return f"{body}&{extra}" if body else extra


def _device_authorization(validator: Any, **options: Any) -> Any:
    """oauthlib's device authorization endpoint, keeping the id of the client it
    authenticated (``client_id`` after a request)."""

    class DeviceAuthorization(DeviceAuthorizationEndpoint):
        client_id: str | None = None

        def validate_device_authorization_request(self, request: Any) -> None:
            super().validate_device_authorization_request(request)
            client = getattr(request, "client", None)
            self.client_id = getattr(client, "client_id", None) or request.client_id

    return DeviceAuthorization(validator, **options)
