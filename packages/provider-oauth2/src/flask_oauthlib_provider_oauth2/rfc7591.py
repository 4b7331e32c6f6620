"""RFC 7591: dynamic client registration, as one feature.

A client POSTs its metadata as JSON to the registration endpoint (the view decorated
with ``oauth.registration_handler``); the metadata is checked (:mod:`.client_metadata`),
the app's registration policy decides (``oauth.registration_policy``: open, or guarded
by an initial access token), and the ``clientsetter`` stores the new client. The answer
carries its ``client_id``, a ``client_secret`` for a confidential client, and, when the
app serves the client configuration endpoint (:mod:`.rfc7592`), the
``registration_access_token`` and ``registration_client_uri`` to manage it.

Off unless ``OAUTH2_PROVIDER_REGISTRATION_ENABLED`` is set and a ``clientsetter`` is
registered; the metadata document lists ``registration_endpoint`` only then.

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from flask import current_app, url_for
from flask import request as flask_request
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.oauth2.rfc6749 import errors

from flask_oauthlib_core import hash_secret, matches_hash, utcnow

from . import signals
from .client_metadata import (
    DESCRIPTIVE_FIELDS,
    InvalidClientMetadata,
    InvalidRedirectURI,
    InvalidSoftwareStatement,
    Offer,
    UnapprovedSoftwareStatement,
    check_metadata,
    is_loopback_uri,
    read_document,
    software_statement,
)
from .endpoints import ENDPOINT_MARK
from .features import EndpointCall, Feature
from .rfc6750 import TOKEN_SYNTAX
from .validation import ValidatorBase

if TYPE_CHECKING:
    from .server import Server

__all__ = [
    "DynamicRegistration",
    "InvalidClientMetadata",
    "InvalidRedirectURI",
    "InvalidSoftwareStatement",
    "RegistrationMixin",
    "UnapprovedSoftwareStatement",
    "bearer_token",
    "client_fields",
    "configuration_uri",
    "is_loopback_uri",
]

log = logging.getLogger(__name__)

#: the longest bearer token (initial or registration access token) read
MAX_TOKEN_LENGTH = 4096
JSON_HEADERS = {"Content-Type": "application/json"}


class RegistrationMixin(ValidatorBase):
    """The validator's part of dynamic client registration and management: storing with
    the ``clientsetter``, asking the ``registration_policy``, checking registration
    access tokens. Override a method to decide otherwise.

    .. versionadded:: 1.1
    """

    def offers_registration(self) -> bool:
        """Whether clients can be stored (a ``clientsetter`` is registered)."""
        return self._clientsetter is not None

    def may_register(self, metadata: dict[str, Any], request: Any) -> bool:
        """Whether a client may register (or update its registration) with ``metadata``:
        what the ``registration_policy`` answers; open registration without one.

        ``request.initial_access_token`` is the bearer token of the request (``None``
        without one) and ``request.client`` the client being updated (``None`` at
        registration).
        """
        policy = self._registration_policy
        if policy is None:
            return True
        return bool(policy(metadata, request))

    def save_client(self, client_id: str, client: dict[str, Any], request: Any) -> None:
        """Store a new or updated client with the ``clientsetter``."""
        if self._clientsetter is None:
            raise RuntimeError("register a clientsetter for dynamic client registration")
        self._clientsetter(client_id, client, request)

    def delete_client(self, client_id: str, request: Any) -> None:
        """Delete a client with the ``clientsetter`` (called with ``None``)."""
        if self._clientsetter is None:
            raise RuntimeError("register a clientsetter for dynamic client registration")
        self._clientsetter(client_id, None, request)

    def registration_token_matches(self, client: Any, token: str) -> bool:
        """Whether ``token`` is the registration access token of ``client``: its
        ``check_registration_access_token(token)``, else its
        ``registration_access_token_hash`` compared in constant time."""
        check = getattr(client, "check_registration_access_token", None)
        if check is not None:
            return bool(check(token))
        return matches_hash(token, getattr(client, "registration_access_token_hash", None))


# -- pieces the client configuration endpoint shares ------------------------------------


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer`` header, or ``None`` without one.

    :raises errors.InvalidTokenError: for a bearer token that is malformed or too long.
    """
    scheme, _, value = (headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = value.strip()
    if len(token) > MAX_TOKEN_LENGTH or not TOKEN_SYNTAX.fullmatch(token):
        raise errors.InvalidTokenError(description="The bearer token is malformed.")
    return token


def oauth_request(uri: str, method: str, headers: dict[str, str], **attributes: Any) -> Any:
    """The request the policy and the ``clientsetter`` are given: an oauthlib request
    (without the body) carrying ``attributes``."""
    req = OAuthlibRequest(uri, http_method=method, headers=headers)
    for name, value in attributes.items():
        setattr(req, name, value)
    return req


def configuration_uri(client_id: str) -> str | None:
    """The URL of ``client_id``'s client configuration endpoint (RFC 7592): the view
    decorated with ``oauth.client_configuration_handler`` whose URL carries
    ``<client_id>``; ``None`` when the app has none."""
    app = current_app
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if getattr(view, ENDPOINT_MARK, None) == "client_configuration":
            if "client_id" in rule.arguments:
                return url_for(rule.endpoint, client_id=client_id, _external=True)
            log.warning("the client configuration view's URL must carry <client_id>")
    return None


def new_secret() -> str:
    """A client secret or registration access token: 256 random bits."""
    return secrets.token_urlsafe(32)


def now() -> int:
    """Seconds since the epoch, as ``client_id_issued_at`` counts them."""
    return int(utcnow().timestamp())


def secret_expiry(server: Server, issued: int) -> int:
    """``client_secret_expires_at`` for a secret issued at ``issued`` (``0``: never)."""
    lifetime = server.settings.registration_secret_expires_in
    return issued + lifetime if lifetime > 0 else 0


def client_fields(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """What the ``clientsetter`` stores for ``metadata``, named as the provider reads
    clients (``redirect_uris``, ``default_scopes``, ``allowed_grant_types`` ...), with the
    descriptive fields in ``client_metadata``."""
    method = metadata["token_endpoint_auth_method"]
    return {
        "is_confidential": method != "none",
        "token_endpoint_auth_method": method,
        "redirect_uris": list(metadata["redirect_uris"]),
        "default_scopes": metadata["scope"].split(),
        "allowed_grant_types": list(metadata["grant_types"]),
        "allowed_response_types": list(metadata["response_types"]),
        "post_logout_redirect_uris": list(metadata.get("post_logout_redirect_uris", ())),
        "client_metadata": {k: metadata[k] for k in DESCRIPTIVE_FIELDS if k in metadata},
    }


def information(
    client_id: str,
    metadata: Mapping[str, Any],
    fields: Mapping[str, Any],
    *,
    secret: str | None = None,
    token: str | None = None,
    uri: str | None = None,
) -> dict[str, Any]:
    """The client information response (RFC 7591 3.2.1, RFC 7592 3): the client's id,
    its new ``secret`` if one was issued, its registration access ``token`` and the
    configuration endpoint's ``uri`` when the client can be managed, and its metadata."""
    answer: dict[str, Any] = {
        "client_id": client_id,
        "client_id_issued_at": int(fields.get("client_id_issued_at") or 0),
    }
    if secret is not None:
        answer["client_secret"] = secret
    if fields.get("is_confidential"):
        answer["client_secret_expires_at"] = int(fields.get("client_secret_expires_at") or 0)
    if token is not None and uri is not None:
        answer["registration_access_token"] = token
        answer["registration_client_uri"] = uri
    answer.update(metadata)
    return answer


def checked_by_policy(
    validator: Any, metadata: dict[str, Any], offer: Offer, request: Any
) -> dict[str, Any] | None:
    """``metadata`` as the registration policy left it (checked again if it changed
    anything), or ``None`` if the policy refused."""
    proposed = json.loads(json.dumps(metadata))
    if not validator.may_register(proposed, request):
        return None
    return metadata if proposed == metadata else check_metadata(proposed, offer)


def not_offered(uri: str, method: str, body: str | None, headers: dict[str, str]) -> Any:
    """The answer while registration is off: 404."""
    raise errors.InvalidRequestError(
        description="This server does not offer dynamic client registration.", status_code=404
    )


def serves_registration(server: Server) -> bool:
    """Whether ``server`` offers registration: switched on, with a ``clientsetter``."""
    offers = getattr(server.request_validator, "offers_registration", None)
    return server.settings.registration_enabled and offers is not None and bool(offers())


# -- the registration endpoint ---------------------------------------------------------


class DynamicRegistration(Feature):
    """The client registration endpoint (``oauth.registration_handler``), served while
    ``OAUTH2_PROVIDER_REGISTRATION_ENABLED`` is on and a ``clientsetter`` is registered.
    """

    endpoints: ClassVar[Mapping[str, str]] = {"registration": "registration_endpoint"}

    def serves(self, kind: str, server: Server) -> bool:
        return serves_registration(server)

    def endpoint(self, kind: str, server: Server, view_result: Any) -> EndpointCall:
        if not serves_registration(server):
            return not_offered

        def register(uri: str, method: str, body: str | None, headers: dict[str, str]) -> Any:
            if method != "POST":
                raise errors.InvalidRequestError(
                    description="Register with a POST.", status_code=405
                )
            return self.register(server, uri, method, headers)

        return register

    def register(
        self, server: Server, uri: str, method: str, headers: dict[str, str]
    ) -> tuple[dict[str, str], str, int]:
        """Check, ask the policy, store, send :data:`~.signals.client_registered`,
        answer 201 (RFC 7591 3)."""
        validator = server.request_validator
        document = read_document(flask_request)
        offer = Offer.of(server)
        metadata = check_metadata(document, offer)
        client_id = secrets.token_urlsafe(24)
        token = bearer_token(headers)
        req = oauth_request(
            uri,
            method,
            headers,
            client=None,
            client_id=client_id,
            initial_access_token=token,
            software_statement=software_statement(document),
        )
        checked = checked_by_policy(validator, metadata, offer, req)
        if checked is None:
            description = (
                "The initial access token is not valid for this registration."
                if token
                else "An initial access token is required to register this client."
            )
            raise errors.InvalidTokenError(description=description)
        issued = now()
        fields: dict[str, Any] = {"client_id": client_id, **client_fields(checked)}
        fields["client_id_issued_at"] = issued
        # a private_key_jwt client proves itself with its keys: it gets no secret
        keys_only = fields["token_endpoint_auth_method"] == "private_key_jwt"  # noqa: S105
        shared = fields["is_confidential"] and not keys_only
        secret = new_secret() if shared else None
        fields["client_secret"] = secret
        fields["client_secret_expires_at"] = secret_expiry(server, issued) if secret else 0
        # a registration access token only when the client can be managed with it
        management_uri = configuration_uri(client_id)
        access_token = new_secret() if management_uri else None
        fields["registration_access_token_hash"] = (
            hash_secret(access_token) if access_token else None
        )
        validator.save_client(client_id, fields, req)
        log.info("registered the client %s", client_id)
        signals.send_client_registered(
            client_id,
            fields["default_scopes"],
            fields["allowed_grant_types"],
            fields["is_confidential"],
            "registration",
        )
        answer = information(
            client_id, checked, fields, secret=secret, token=access_token, uri=management_uri
        )
        return JSON_HEADERS, json.dumps(answer), 201
