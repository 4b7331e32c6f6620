"""An OAuth 1 provider app as the 0.9.6 docs write it, checked by ``mypy --strict``:
the storage Protocols accept those signatures and reject a wrong one (each
``type: ignore`` must be needed, or mypy reports it unused)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from flask_oauthlib_provider_oauth1 import OAuth1Provider

app = Flask(__name__)
oauth1 = OAuth1Provider(app)


@oauth1.clientgetter
def load_client(client_key: str) -> Any:
    return None


@oauth1.grantgetter
def load_request_token(token: str) -> Any:
    return None


@oauth1.grantsetter
def save_request_token(token: dict[str, Any], request: Any) -> None:
    return None


@oauth1.verifiergetter
def load_verifier(verifier: str, token: str) -> Any:
    return None


@oauth1.verifiersetter
def save_verifier(token: str, verifier: dict[str, str], *args: Any, **kwargs: Any) -> None:
    return None


@oauth1.tokengetter
def load_access_token(client_key: str, token: str) -> Any:
    return None


@oauth1.tokensetter
def save_access_token(token: dict[str, Any], request: Any) -> None:
    return None


@oauth1.noncegetter
def load_nonce(
    client_key: str, timestamp: int, nonce: str, request_token: str | None, access_token: str | None
) -> Any:
    return None


@oauth1.noncesetter
def save_nonce(
    client_key: str, timestamp: int, nonce: str, request_token: str | None, access_token: str | None
) -> None:
    return None


@oauth1.tokengetter  # type: ignore[type-var]
def load_token_by_other_names(key: str, access: str) -> Any:
    return None


@oauth1.verifiersetter  # type: ignore[type-var]
def save_verifier_without_the_verifier(token: str) -> None:
    return None
