"""A client app that registers itself and asks for resource indicators, as a user writes
it, checked by ``mypy --strict`` (``hatch run types:check``)."""

from __future__ import annotations

from typing import Any

from flask import Flask, url_for
from werkzeug.wrappers import Response

from flask_oauthlib_client import OAuth, OAuthRemoteApp

app = Flask(__name__)
oauth = OAuth(app)
mcp: OAuthRemoteApp = oauth.remote_app(
    "mcp",
    server_metadata_url="https://auth.example.com/.well-known/oauth-authorization-server",
    resource=["https://mcp.example.com/mcp"],
)
vault: dict[str, dict[str, Any]] = {}


@mcp.registration_saver
def save_registration(registration: dict[str, Any]) -> None:
    vault["mcp"] = registration


@mcp.registrationloader
def load_registration() -> dict[str, Any] | None:
    return vault.get("mcp")


@app.route("/login")
def login() -> Response:
    callback = url_for("login", _external=True)
    registration: dict[str, Any] = mcp.register(callback, client_name="Agent", public=True)
    client_id: str = registration["client_id"]
    assert client_id == mcp.consumer_key
    in_use: dict[str, Any] | None = mcp.registration
    assert in_use is not None
    resources: list[str] = mcp.resource
    return mcp.authorize(callback=callback, resource=resources)
