"""RFC 8628: the device authorization grant.

Only offered on oauthlib 4.x, whose ``DeviceCodeGrant`` asks the validator for the
device code's authorization status. (oauthlib 3.3's grant issues a token to any client
that sends a device code, checked or not, so it is never used.)
"""

from __future__ import annotations

from typing import Any

try:
    from oauthlib.oauth2.rfc8628.endpoints import DeviceAuthorizationEndpoint
    from oauthlib.oauth2.rfc8628.grant_types import DeviceCodeGrant
except ImportError:  # oauthlib < 3.3
    DeviceAuthorizationEndpoint = None
    DeviceCodeGrant = None

__all__ = [
    "DEVICE_GRANT_TYPE",
    "SUPPORTED",
    "DeviceAuthorizationEndpoint",
    "DeviceCodeGrant",
    "device_status",
]

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
    status = device.get("status") if isinstance(device, dict) else getattr(device, "status", None)
    return STATUS.get(str(status)) if status is not None else None
