"""A provider app as a user writes it, checked by ``mypy --strict`` (``hatch run
types:check``): the storage Protocols accept the documented signatures, and reject a
wrong one — each ``type: ignore`` below must be needed, or mypy reports it unused."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

from flask_oauthlib_provider_oauth2 import OAuth2Provider, get_oauth_request

app = Flask(__name__)
oauth = OAuth2Provider(app)


@dataclass
class Client:
    client_id: str


@oauth.clientgetter
def load_client(client_id: str) -> Client | None:
    return Client(client_id)


@oauth.tokengetter
def load_token(access_token: str | None = None, refresh_token: str | None = None) -> None:
    return None


@oauth.grantgetter
def load_grant(client_id: str, code: str) -> None:
    return None


@oauth.grantsetter
def save_grant(
    client_id: str, code: dict[str, Any], request: Any, *args: Any, **kwargs: Any
) -> None:
    return None


@oauth.tokensetter
def save_token(token: dict[str, Any], request: Any, *args: Any, **kwargs: Any) -> None:
    return None


@oauth.usergetter
def get_user(username: str, password: str, *args: Any, **kwargs: Any) -> None:
    return None


@oauth.clientsetter
def save_client(
    client_id: str, client: dict[str, Any] | None, request: Any, *args: Any, **kwargs: Any
) -> None:
    return None


@oauth.registration_policy
def may_register(metadata: dict[str, Any], request: Any) -> bool:
    return request.initial_access_token is not None


@app.route("/api/me")
@oauth.require_oauth("email")
def me() -> ResponseReturnValue:
    oauth_request = get_oauth_request()
    scopes: list[str] = oauth_request.scopes
    return jsonify(user=str(oauth_request.user), scopes=scopes)


# -- wrong signatures that mypy must catch ---------------------------------------------


def token_by_position(token: str) -> None:
    return None


def grant_setter_missing_request(client_id: str, code: dict[str, Any]) -> None:
    return None


oauth.tokengetter(token_by_position)  # type: ignore[type-var]
oauth.grantsetter(grant_setter_missing_request)  # type: ignore[type-var]


def client_setter_missing_request(client_id: str, client: dict[str, Any] | None) -> None:
    return None


oauth.clientsetter(client_setter_missing_request)  # type: ignore[type-var]
