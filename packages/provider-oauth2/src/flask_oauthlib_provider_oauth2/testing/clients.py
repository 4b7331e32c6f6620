"""Clients made for a test, in the app's own storage, through its ``clientsetter``.

.. versionadded:: 1.1
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, has_request_context
from oauthlib.common import Request as OAuthlibRequest

from ..provider import EXTENSION_KEY
from ..rfc7591 import now

if TYPE_CHECKING:
    from ..provider import OAuth2Provider

__all__ = [
    "DEFAULT_BASE_URL",
    "RegisteredClient",
    "create_client",
    "in_app",
    "load_client",
    "provider_of",
]

#: the base URL of the test request contexts, as the Flask test client's
DEFAULT_BASE_URL = "http://localhost"


@dataclass(frozen=True)
class RegisteredClient:
    """A client made for a test.

    :ivar client_id: its id.
    :ivar client_secret: its secret in plaintext (the storage keeps what its
        ``clientsetter`` keeps: a hash, with the ready models); ``None`` for a public
        client.
    :ivar redirect_uris: where it may be sent back to.
    :ivar scopes: its default scopes.
    :ivar stored: the client as the provider's ``clientgetter`` read it back (a model
        object, say: with a database session that ends with the app context, read it in
        the context it was made in).

    .. versionadded:: 1.1
    """

    client_id: str
    client_secret: str | None
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    stored: Any = field(default=None, repr=False, compare=False)

    @property
    def auth(self) -> tuple[str, str]:
        """``(client_id, client_secret)``, for the test client's ``auth=``."""
        return self.client_id, self.client_secret or ""

    @property
    def headers(self) -> dict[str, str]:
        """``Authorization: Basic`` with its id and secret, for the token endpoint."""
        pair = f"{self.client_id}:{self.client_secret or ''}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}


def provider_of(app: Flask) -> OAuth2Provider:
    """The :class:`~flask_oauthlib_provider_oauth2.OAuth2Provider` of ``app``.

    :raises RuntimeError: if none is initialised on it.
    """
    provider: OAuth2Provider | None = app.extensions.get(EXTENSION_KEY)
    if provider is None:
        raise RuntimeError(f"no OAuth2Provider is initialised on the app {app.name!r}")
    return provider


@contextmanager
def in_app(app: Flask, base_url: str = DEFAULT_BASE_URL) -> Iterator[None]:
    """A request context of ``app`` (at ``base_url``) unless one is pushed already; a
    pushed app context of ``app`` is kept, so its database session stays open."""
    if has_request_context() and current_app._get_current_object() is app:  # type: ignore[attr-defined]
        yield
        return
    with app.test_request_context(base_url=base_url):
        yield


def oauth_request(uri: str, **attributes: Any) -> Any:
    """An oauthlib request to ``uri`` carrying ``attributes``, as storage functions get."""
    req = OAuthlibRequest(uri, http_method="POST", headers={})
    for name, value in attributes.items():
        setattr(req, name, value)
    return req


def create_client(
    app: Flask | None = None,
    client_id: str | None = None,
    *,
    confidential: bool = True,
    redirect_uris: Iterable[str] = ("https://client.example/callback",),
    scopes: Iterable[str] = (),
    grant_types: Iterable[str] = ("authorization_code", "refresh_token"),
    name: str = "Test client",
    secret: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> RegisteredClient:
    """Make a client in ``app``'s storage with its provider's ``clientsetter`` (as a
    registration would: the ready models of ``bind_sqlalchemy`` have one)::

        client = create_client(app, scopes=["email"])
        answer = app.test_client().post("/oauth/token", data=..., headers=client.headers)

    :param app: the app; the current one by default.
    :param client_id: its id; a random one by default.
    :param confidential: ``False`` for a public client (no secret, ``none`` auth).
    :param redirect_uris: where it may be sent back to.
    :param scopes: its default scopes.
    :param grant_types: the grant types it may use.
    :param name: its ``client_name``.
    :param secret: its secret; a random one for a confidential client by default.
    :param base_url: the URL of the request context it is made in.
    :raises RuntimeError: if the provider has no ``clientsetter``.
    :raises LookupError: if its ``clientgetter`` does not find the client then.

    .. versionadded:: 1.1
    """
    app = app if app is not None else current_app._get_current_object()  # type: ignore[attr-defined]
    client_id = client_id or "test-client-" + secrets.token_hex(6)
    if confidential:
        secret = secret or secrets.token_urlsafe(32)
    else:
        secret = None
    uris, default_scopes = tuple(redirect_uris), tuple(scopes)
    issued = now()
    fields: dict[str, Any] = {
        "client_id": client_id,
        "client_secret": secret,
        "is_confidential": confidential,
        "token_endpoint_auth_method": "client_secret_basic" if confidential else "none",
        "redirect_uris": list(uris),
        "default_scopes": list(default_scopes),
        "allowed_grant_types": list(grant_types),
        "allowed_response_types": ["code"],
        "post_logout_redirect_uris": [],
        "client_id_issued_at": issued,
        "client_secret_expires_at": 0,
        "client_metadata": {"client_name": name},
        "registration_access_token_hash": None,
    }
    with in_app(app, base_url):
        validator = provider_of(app).server.request_validator
        offers = getattr(validator, "offers_registration", None)
        if offers is None or not offers():
            raise RuntimeError(
                "creating a client needs a clientsetter (@oauth.clientsetter; bind_sqlalchemy"
                " registers one with the ready ClientMixin): make the client in your storage"
                " and pass it, or its client_id, as client="
            )
        req = oauth_request(
            base_url, client=None, initial_access_token=None, software_statement=None
        )
        validator.save_client(client_id, fields, req)
        stored = load_client(validator, client_id, base_url)
    return RegisteredClient(client_id, secret, uris, default_scopes, stored)


def load_client(validator: Any, client_id: str, base_url: str = DEFAULT_BASE_URL) -> Any:
    """The client ``client_id`` as the provider reads it (its ``clientgetter``).

    :raises LookupError: if there is none.
    """
    req = oauth_request(base_url, client_id=client_id, client=None)
    if not validator.validate_client_id(client_id, req) or req.client is None:
        raise LookupError(f"the provider's clientgetter finds no client {client_id!r}")
    return req.client
