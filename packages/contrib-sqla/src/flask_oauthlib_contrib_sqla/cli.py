"""``flask oauth2``: manage the clients of an app that uses ``bind_sqlalchemy``."""

from __future__ import annotations

import secrets
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select, update

from .binding import SQLAlchemyBinding

__all__ = ["oauth2"]


def _binding() -> SQLAlchemyBinding:
    provider = current_app.extensions.get("oauthlib.provider.oauth2")
    binding = getattr(provider, "_sqla_binding", None)
    if binding is None or binding.client_model is None:
        raise click.ClickException(
            "this app has no OAuth2Provider bound with bind_sqlalchemy(..., client=...)"
        )
    return binding  # type: ignore[no-any-return]


@click.group()
def oauth2() -> None:
    """Manage OAuth 2 clients stored by bind_sqlalchemy."""


@oauth2.command("create-client")
@click.option("--name", default="", help="A name shown on the consent page.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True)
@click.option("--scope", "scopes", multiple=True, help="A scope the client may ask for.")
@click.option("--public", is_flag=True, help="A public client (no secret; PKCE required).")
@click.option("--grant-type", "grant_types", multiple=True, help="Restrict the grant types.")
@with_appcontext
def create_client(
    name: str,
    redirect_uris: tuple[str, ...],
    scopes: tuple[str, ...],
    public: bool,
    grant_types: tuple[str, ...],
) -> None:
    """Register a client and print its id and secret (shown once, stored hashed)."""
    binding = _binding()
    model = binding.client_model
    secret = None if public else secrets.token_urlsafe(32)
    client: Any = model(client_id=secrets.token_urlsafe(16), name=name, is_confidential=not public)
    client.redirect_uris = list(redirect_uris)
    client.default_scopes = list(scopes)
    if grant_types:
        client.allowed_grant_types = list(grant_types)
    if hasattr(client, "set_client_secret"):
        client.set_client_secret(secret)
    else:
        client.client_secret = secret or ""
    binding.session.add(client)
    binding.session.commit()
    click.echo(f"client_id: {client.client_id}")
    if secret:
        click.echo(f"client_secret: {secret}")


@oauth2.command("list-clients")
@with_appcontext
def list_clients() -> None:
    """List registered clients."""
    binding = _binding()
    for client in binding.session.execute(select(binding.client_model)).scalars():
        kind = "confidential" if getattr(client, "is_confidential", True) else "public"
        uris = " ".join(client.redirect_uris)
        click.echo(f"{client.client_id}\t{kind}\t{getattr(client, 'name', '')}\t{uris}")


@oauth2.command("revoke-client")
@click.argument("client_id")
@with_appcontext
def revoke_client(client_id: str) -> None:
    """Delete a client and revoke every token issued to it."""
    binding = _binding()
    client = binding.get_client(client_id)
    if client is None:
        raise click.ClickException(f"no client {client_id!r}")
    token = binding.token_model
    if token is not None and hasattr(token, "revoked"):
        binding.session.execute(
            update(token).where(token.client_id == client_id).values(revoked=True)
        )
    binding.session.delete(client)
    binding.session.commit()
    click.echo(f"revoked {client_id}")
