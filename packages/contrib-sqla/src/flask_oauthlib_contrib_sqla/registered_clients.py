"""Clients registered dynamically (RFC 7591) and managed by their configuration endpoint
(RFC 7592): the columns :class:`~.models.ClientMixin` has for them and the
``clientsetter`` :func:`~.binding.bind_sqlalchemy` registers.

The registration access token is stored as its SHA-256 hash only
(``registration_access_token_hash``), the client secret as ``client_secret_hash``; what
describes the client (``client_name``, ``client_uri``, ``contacts`` ...) is one JSON text
column, ``client_metadata``. Every column is nullable: clients made otherwise leave them
``NULL`` (see the README to add them to existing tables).

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import BigInteger, String, Text, delete
from sqlalchemy.orm import Mapped, mapped_column

__all__ = ["RegisteredClientMixin", "can_register", "save_client"]

log = logging.getLogger(__name__)


class RegisteredClientMixin:
    """The columns of a dynamically registered client, all nullable."""

    #: the one way it authenticates at the token endpoint (``none``,
    #: ``client_secret_basic``, ``client_secret_post``); ``NULL``: any the provider offers
    token_endpoint_auth_method: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: when it registered, in seconds since the epoch
    client_id_issued_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: when its secret expires, in seconds since the epoch (``0`` or ``NULL``: never)
    client_secret_expires_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    #: the SHA-256 hex digest of its registration access token (RFC 7592)
    registration_access_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    client_metadata_text: Mapped[str | None] = mapped_column("client_metadata", Text, nullable=True)

    @property
    def client_metadata(self) -> dict[str, Any]:
        """What describes the client (RFC 7591 names: ``client_name``, ``client_uri``,
        ``logo_uri``, ``contacts``, ``tos_uri``, ``policy_uri``, ``software_id``,
        ``software_version``), stored as JSON text."""
        if not self.client_metadata_text:
            return {}
        try:
            value = json.loads(self.client_metadata_text)
        except ValueError:
            log.warning("ignored a stored client_metadata value that is not JSON")
            return {}
        return value if isinstance(value, dict) else {}

    @client_metadata.setter
    def client_metadata(self, value: Mapping[str, Any] | None) -> None:
        self.client_metadata_text = (
            json.dumps(dict(value), separators=(",", ":"), sort_keys=True) if value else None
        )


def can_register(model: Any) -> bool:
    """Whether ``model`` can keep dynamically registered clients: it stores the hash of
    a registration access token (the ready :class:`~.models.ClientMixin` does; 0.9.6-style
    models do not, and their apps go on without registration)."""
    return model is not None and hasattr(model, "registration_access_token_hash")


def save_client(binding: Any, client_id: str, client: Mapping[str, Any] | None) -> Any:
    """Create or update the client ``client_id`` from the ``clientsetter``'s dict, in one
    commit; with ``client`` ``None`` delete it, its tokens and its codes.

    ``client_secret`` is stored hashed (``set_client_secret``), the descriptive metadata as
    JSON, ``client_name`` also as ``name`` (the name apps show on consent pages).
    """
    model = binding.client_model
    session = binding.session
    row = binding._first(model, client_id=client_id)
    if client is None:
        if row is not None:
            for related in (binding.token_model, binding.grant_model):
                if related is not None and hasattr(related, "client_id"):
                    session.execute(delete(related).where(related.client_id == client_id))
            session.delete(row)
            session.commit()
        return None
    if row is None:
        row = model(client_id=client_id)
        session.add(row)
    for name, value in client.items():
        if name == "client_id":
            continue
        if name == "client_secret":
            _set_secret(row, value)
        elif name == "client_metadata":
            row.client_metadata = value
            if hasattr(model, "name"):
                row.name = str((value or {}).get("client_name") or "")
        elif hasattr(model, name):
            setattr(row, name, value)
    session.commit()
    return row


def _set_secret(row: Any, secret: str | None) -> None:
    setter = getattr(row, "set_client_secret", None)
    if setter is not None:
        setter(secret)
    else:
        row.client_secret = secret
