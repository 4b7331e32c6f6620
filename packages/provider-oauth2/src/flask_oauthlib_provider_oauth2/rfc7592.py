"""RFC 7592: dynamic client registration management, as one feature.

A registered client reads (``GET``), updates (``PUT``) or deletes (``DELETE``) its
registration at its client configuration endpoint: the view decorated with
``oauth.client_configuration_handler``, whose URL carries the ``client_id`` (the
``registration_client_uri`` of the registration answer)::

    @app.route("/oauth/register/<client_id>", methods=["GET", "PUT", "DELETE"])
    @oauth.client_configuration_handler
    def client_configuration(client_id):
        return None

Each request is authenticated by the client's registration access token
(``Authorization: Bearer``), stored hashed. A missing or wrong token and a client that
does not exist get the same 401 ``invalid_token``, so nobody learns which clients exist.

An update replaces the client's metadata (checked, and asked of the registration policy,
as at registration); a client whose secret expires
(``OAUTH2_PROVIDER_REGISTRATION_SECRET_EXPIRES_IN``) gets a new one with each update,
and a client that becomes confidential gets its first. A deleted client is gone, with
its tokens and codes when the ``clientsetter`` removes them.

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from flask import request as flask_request
from oauthlib.oauth2.rfc6749 import errors

from flask_oauthlib_core import hash_secret, matches_hash

from .client_metadata import (
    DEFAULT_AUTH_METHOD,
    DESCRIPTIVE_FIELDS,
    InvalidClientMetadata,
    Offer,
    check_metadata,
    read_document,
    software_statement,
)
from .clientauth import is_confidential, secret_matches
from .features import EndpointCall, Feature
from .rfc7591 import (
    JSON_HEADERS,
    bearer_token,
    checked_by_policy,
    client_fields,
    configuration_uri,
    information,
    new_secret,
    not_offered,
    now,
    oauth_request,
    secret_expiry,
    serves_registration,
)

if TYPE_CHECKING:
    from .server import Server

__all__ = ["READ_ONLY_FIELDS", "ClientConfiguration", "read_metadata"]

log = logging.getLogger(__name__)

#: what an update request must not include (RFC 7592 2.2): the server sets them
READ_ONLY_FIELDS = frozenset(
    {
        "registration_access_token",
        "registration_client_uri",
        "client_secret_expires_at",
        "client_id_issued_at",
    }
)
REFUSED = "The registration access token is not valid for this client."
#: compared against when no client was found, so both refusals cost the same
_NO_CLIENT_HASH = hash_secret("no client")


def _stored_int(client: Any, name: str) -> int:
    value = getattr(client, name, None)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _descriptive(client: Any) -> Mapping[str, Any]:
    stored = getattr(client, "client_metadata", None)
    if isinstance(stored, str):
        try:
            stored = json.loads(stored)
        except ValueError:
            stored = None
    return stored if isinstance(stored, Mapping) else {}


def read_metadata(client: Any) -> dict[str, Any]:
    """The registered metadata of a stored ``client``, as a client information response
    shows it (RFC 7591 3.2.1): what it may do from the attributes the provider uses,
    what describes it from its ``client_metadata``."""
    method = getattr(client, "token_endpoint_auth_method", None)
    if not method:
        method = DEFAULT_AUTH_METHOD if is_confidential(client) else "none"
    grants = getattr(client, "allowed_grant_types", None)
    responses = getattr(client, "allowed_response_types", None)
    metadata: dict[str, Any] = {
        "redirect_uris": list(getattr(client, "redirect_uris", None) or ()),
        "token_endpoint_auth_method": method,
        "grant_types": list(grants if grants is not None else ("authorization_code",)),
        "response_types": list(responses if responses is not None else ("code",)),
        "scope": " ".join(getattr(client, "default_scopes", None) or ()),
    }
    logout = getattr(client, "post_logout_redirect_uris", None)
    if logout:
        metadata["post_logout_redirect_uris"] = list(logout)
    described = _descriptive(client)
    metadata.update({k: described[k] for k in DESCRIPTIVE_FIELDS if k in described})
    return metadata


class ClientConfiguration(Feature):
    """The client configuration endpoint (``oauth.client_configuration_handler``):
    read, update and delete a registered client. Served with registration
    (:class:`~.rfc7591.DynamicRegistration`); the endpoint has no metadata field, each
    client learns its URL from its ``registration_client_uri``."""

    endpoints: ClassVar[Mapping[str, str]] = {"client_configuration": ""}

    def serves(self, kind: str, server: Server) -> bool:
        return serves_registration(server)

    def endpoint(self, kind: str, server: Server, view_result: Any) -> EndpointCall:
        if not serves_registration(server):
            return not_offered
        client_id = (flask_request.view_args or {}).get("client_id")
        if not isinstance(client_id, str):
            raise RuntimeError(
                "the URL of the client configuration view must carry the client id:"
                ' @app.route("/oauth/register/<client_id>", methods=["GET", "PUT", "DELETE"])'
            )

        def configure(uri: str, method: str, body: str | None, headers: dict[str, str]) -> Any:
            return self.configure(server, client_id, uri, method, headers)

        return configure

    def configure(
        self, server: Server, client_id: str, uri: str, method: str, headers: dict[str, str]
    ) -> tuple[dict[str, str], str, int]:
        """Authenticate the registration access token, then read, update or delete."""
        validator = server.request_validator
        token = bearer_token(headers)
        req = oauth_request(
            uri,
            method,
            headers,
            client=None,
            client_id=client_id,
            initial_access_token=None,
            software_statement=None,
        )
        if not token:
            raise errors.InvalidTokenError(description=REFUSED)
        client = validator._client(client_id, req)
        if client is None:
            matches_hash(token, _NO_CLIENT_HASH)
            raise errors.InvalidTokenError(description=REFUSED)
        if not validator.registration_token_matches(client, token):
            raise errors.InvalidTokenError(description=REFUSED)
        req.client = client
        if method == "GET":
            return JSON_HEADERS, json.dumps(self.read(client, token)), 200
        if method == "PUT":
            return JSON_HEADERS, json.dumps(self.update(server, client, token, req)), 200
        if method == "DELETE":
            validator.delete_client(client.client_id, req)
            log.info("deleted the registered client %s", client.client_id)
            return {}, "", 204
        raise errors.InvalidRequestError(
            description="Read with GET, update with PUT, delete with DELETE.", status_code=405
        )

    def read(self, client: Any, token: str) -> dict[str, Any]:
        """The client information response (RFC 7592 3); the registration access token
        is the one the request presented (only its hash is stored)."""
        fields = {
            "is_confidential": is_confidential(client),
            "client_id_issued_at": _stored_int(client, "client_id_issued_at"),
            "client_secret_expires_at": _stored_int(client, "client_secret_expires_at"),
        }
        client_id = client.client_id
        return information(
            client_id, read_metadata(client), fields, token=token, uri=configuration_uri(client_id)
        )

    def update(self, server: Server, client: Any, token: str, req: Any) -> dict[str, Any]:
        """Replace the client's metadata (RFC 7592 2.2)."""
        document = read_document(flask_request)
        client_id = client.client_id
        if document.get("client_id") != client_id:
            raise InvalidClientMetadata("An update must include the client's own client_id.")
        named = sorted(READ_ONLY_FIELDS.intersection(document))
        if named:
            raise InvalidClientMetadata("An update must not include " + ", ".join(named) + ".")
        sent = document.get("client_secret")
        if sent is not None and not (isinstance(sent, str) and secret_matches(client, sent)):
            raise InvalidClientMetadata("client_secret is not the client's current secret.")
        offer = Offer.of(server)
        metadata = check_metadata(document, offer)
        req.software_statement = software_statement(document)
        checked = checked_by_policy(server.request_validator, metadata, offer, req)
        if checked is None:
            raise InvalidClientMetadata("The server does not allow this registration.")
        fields: dict[str, Any] = {"client_id": client_id, **client_fields(checked)}
        fields["client_id_issued_at"] = _stored_int(client, "client_id_issued_at")
        expires = _stored_int(client, "client_secret_expires_at")
        secret = None
        if not fields["is_confidential"]:
            fields["client_secret"] = None
            expires = 0
        elif expires or not is_confidential(client):
            # a secret that expires is renewed by each update; a client that becomes
            # confidential gets its first
            secret = fields["client_secret"] = new_secret()
            expires = secret_expiry(server, now())
        fields["client_secret_expires_at"] = expires
        server.request_validator.save_client(client_id, fields, req)
        log.info("updated the registered client %s", client_id)
        uri = configuration_uri(client_id)
        return information(client_id, checked, fields, secret=secret, token=token, uri=uri)
