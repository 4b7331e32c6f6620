"""The device authorization grant (RFC 8628) with a device polling over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest
import requests
from flask import request
from oauth2_app import Store, create_app, token_request

from flask_oauthlib_provider_oauth2 import rfc8628

GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class Device:
    store: dict[str, Device]
    device_code: str
    user_code: str
    client_id: str
    scopes: list[str]
    expires: datetime
    status: str = "pending"
    user: Any = None
    used: bool = field(default=False)

    def redeem(self) -> bool:
        if self.used:
            return False
        self.used = True
        return True


def device_app(serve: Callable[..., str]) -> tuple[str, dict[str, Device], Store]:
    app, oauth, store = create_app(OAUTH2_PROVIDER_DEVICE_VERIFICATION_URI="verify")
    devices: dict[str, Device] = {}

    @oauth.devicesetter
    def save_device(device: dict[str, Any], req: Any) -> None:
        devices[device["device_code"]] = Device(devices, **device)

    @oauth.devicegetter
    def load_device(device_code: str) -> Device | None:
        return devices.get(device_code)

    @app.route("/oauth/device", methods=["POST"])
    @oauth.device_authorization_handler
    def device_authorization() -> None:
        return None

    @app.route("/verify", methods=["POST"])
    def verify() -> str:
        """The page where the signed-in user types the code shown on the device."""
        for device in devices.values():
            if device.user_code == request.form["user_code"]:
                device.status = "authorized" if request.form["allow"] == "yes" else "denied"
                device.user = store.alice
                return "done"
        return "unknown code"

    return serve(app), devices, store


def poll(url: str, device_code: str) -> requests.Response:
    return token_request(url, grant_type=GRANT, device_code=device_code)


@pytest.mark.skipif(not rfc8628.SUPPORTED, reason="the device flow needs oauthlib >= 4.0")
def test_device_flow(serve: Callable[..., str]) -> None:
    url, devices, store = device_app(serve)
    start = requests.post(
        url + "/oauth/device",
        data={"client_id": "confidential", "scope": "email"},
        auth=("confidential", "s3cret"),
        timeout=10,
    )
    assert start.status_code == 200, start.text
    grant = start.json()
    assert grant["verification_uri"] == url + "/verify" and grant["interval"] == 5
    assert grant["expires_in"] == 600 and grant["scope"] == "email"
    pending = poll(url, grant["device_code"])
    assert pending.status_code == 400 and pending.json()["error"] == "authorization_pending"
    assert (
        requests.post(
            url + "/verify", data={"user_code": grant["user_code"], "allow": "yes"}, timeout=10
        ).text
        == "done"
    )
    token = poll(url, grant["device_code"])
    assert token.status_code == 200, token.text
    me = requests.get(
        url + "/api/me",
        headers={"Authorization": "Bearer " + token.json()["access_token"]},
        timeout=10,
    )
    assert me.json()["username"] == "alice"
    again = poll(url, grant["device_code"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"  # single use


@pytest.mark.skipif(not rfc8628.SUPPORTED, reason="the device flow needs oauthlib >= 4.0")
def test_device_flow_denied_unknown_and_other_client(serve: Callable[..., str]) -> None:
    url, devices, _ = device_app(serve)
    grant = requests.post(
        url + "/oauth/device",
        data={"client_id": "confidential", "scope": "email"},
        auth=("confidential", "s3cret"),
        timeout=10,
    ).json()
    requests.post(
        url + "/verify", data={"user_code": grant["user_code"], "allow": "no"}, timeout=10
    )
    assert poll(url, grant["device_code"]).json()["error"] == "access_denied"
    assert poll(url, "no-such-code").json()["error"] == "invalid_grant"
    other = token_request(url, "machine", grant_type=GRANT, device_code=grant["device_code"])
    assert other.status_code in (400, 401)
    unauthenticated = requests.post(
        url + "/oauth/device", data={"client_id": "confidential"}, timeout=10
    )
    assert unauthenticated.status_code == 401


@pytest.mark.skipif(rfc8628.SUPPORTED, reason="only on oauthlib < 4.0")
def test_device_flow_refuses_old_oauthlib(serve: Callable[..., str]) -> None:
    app, oauth, _ = create_app(OAUTH2_PROVIDER_DEVICE_VERIFICATION_URI="/verify")
    with pytest.raises(RuntimeError, match="oauthlib >= 4.0"):
        oauth.device_authorization_handler(lambda: None)
    url = serve(app)
    resp = token_request(url, grant_type=GRANT, device_code="x")
    assert resp.json()["error"] == "unsupported_grant_type"


@pytest.mark.skipif(not rfc8628.SUPPORTED, reason="the device flow needs oauthlib >= 4.0")
def test_device_metadata(serve: Callable[..., str]) -> None:
    url, _, _ = device_app(serve)
    app_url = url
    doc = requests.get(app_url + "/.well-known/oauth-authorization-server", timeout=10).json()
    assert doc["device_authorization_endpoint"] == app_url + "/oauth/device"
    assert GRANT in doc["grant_types_supported"]
