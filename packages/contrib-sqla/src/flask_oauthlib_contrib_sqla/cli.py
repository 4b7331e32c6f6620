"""``flask oauth2``: manage the clients of an app that uses ``bind_sqlalchemy``."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select, update

from .binding import SQLAlchemyBinding, binding_for

__all__ = ["oauth2"]

#: the grant types the OAuth 2 provider implements (RFC 6749, RFC 8628)
GRANT_TYPES = (
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "password",
    "urn:ietf:params:oauth:grant-type:device_code",
)
#: the response types of the authorization endpoint
RESPONSE_TYPES = ("code", "token")
#: RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")
#: schemes that run or embed content instead of reaching a client
UNSAFE_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about", "blob"})


def _check_grant_types(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    for value in values:
        if value == "implicit":
            raise click.BadParameter(
                "'implicit' is not a grant type; the implicit flow is the response type"
                " 'token' (--response-type token)",
                ctx,
                param,
            )
        if value not in GRANT_TYPES:
            raise click.BadParameter(
                f"{value!r} is not a grant type; use one of: {', '.join(GRANT_TYPES)}", ctx, param
            )
    return values


def _check_response_types(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    for value in values:
        if value not in RESPONSE_TYPES:
            raise click.BadParameter(
                f"{value!r} is not a response type; use one of: {', '.join(RESPONSE_TYPES)}",
                ctx,
                param,
            )
    return values


def _check_scopes(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    for value in values:
        if not value:
            raise click.BadParameter("a scope cannot be empty", ctx, param)
        if not SCOPE_TOKEN.fullmatch(value):
            hint = (
                "; give each scope its own --scope"
                if " " in value.strip()
                else " (RFC 6749 3.3: printable ASCII without spaces, quotes or backslashes)"
            )
            raise click.BadParameter(f"{value!r} is not a valid scope{hint}", ctx, param)
    return values


def _check_redirect_uris(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    for value in values:
        problem = _redirect_uri_problem(value)
        if problem:
            raise click.BadParameter(f"{value!r} {problem}", ctx, param)
    return values


def _redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be a registered redirect URI (RFC 6749 3.1.2), or ``None``."""
    if not uri or any(char.isspace() or ord(char) < 0x20 or ord(char) == 0x7F for char in uri):
        return "is not a URI (it is empty or holds spaces or control characters)"
    if "#" in uri:
        return "has a fragment (#...); a redirect URI must not have one"
    example = "give the whole URI, e.g. https://app.example/callback"
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        return "is not a valid URI"
    scheme = parts.scheme.lower()
    if not scheme or (not parts.netloc and re.match(r"\d+(/|$)", parts.path)):
        return f"is not absolute (no scheme); {example}"
    if scheme in UNSAFE_SCHEMES:
        return f"uses the {scheme}: scheme, which cannot be a redirect URI"
    if scheme in ("http", "https") and not parts.hostname:
        return f"has no host; {example}"
    return None


def _new_client_id() -> str:
    """A random client id that does not start with ``-`` (which ``revoke-client`` would
    take for an option)."""
    while True:
        client_id = secrets.token_urlsafe(16)
        if not client_id.startswith("-"):
            return client_id


def _binding() -> SQLAlchemyBinding:
    """The binding of the app's OAuth 2 provider (registered under 0.9.6's extension key)."""
    binding = binding_for(current_app.extensions.get("oauthlib.provider.oauth2"))
    if binding is None or binding.client_model is None:
        raise click.ClickException(
            "this app has no OAuth2Provider bound with bind_sqlalchemy(..., client=...)"
        )
    return binding


@click.group()
def oauth2() -> None:
    """Manage OAuth 2 clients stored by bind_sqlalchemy."""


@oauth2.command("create-client")
@click.option("--name", default="", help="A name shown on the consent page.")
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    required=True,
    callback=_check_redirect_uris,
    help="An absolute redirect URI without a fragment, matched exactly (repeatable).",
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    callback=_check_scopes,
    help="A scope the client may ask for (repeatable).",
)
@click.option("--public", is_flag=True, help="A public client (no secret; PKCE required).")
@click.option(
    "--grant-type",
    "grant_types",
    multiple=True,
    callback=_check_grant_types,
    help="Restrict the grant types (repeatable): " + ", ".join(GRANT_TYPES) + ".",
)
@click.option(
    "--response-type",
    "response_types",
    multiple=True,
    callback=_check_response_types,
    help="Restrict the response types (repeatable): code, token.",
)
@with_appcontext
def create_client(
    name: str,
    redirect_uris: tuple[str, ...],
    scopes: tuple[str, ...],
    public: bool,
    grant_types: tuple[str, ...],
    response_types: tuple[str, ...],
) -> None:
    """Register a client and print its id and secret (shown once, stored hashed)."""
    if public and "client_credentials" in grant_types:
        raise click.UsageError(
            "'client_credentials' needs a confidential client (RFC 6749 4.4); drop --public"
        )
    binding = _binding()
    model = binding.client_model
    for option, values, attribute in (
        ("--grant-type", grant_types, "allowed_grant_types"),
        ("--response-type", response_types, "allowed_response_types"),
    ):
        if values and not hasattr(model, attribute):
            raise click.UsageError(f"{option}: the client model has no {attribute}")
    secret = None if public else secrets.token_urlsafe(32)
    client: Any = model(client_id=_new_client_id(), name=name, is_confidential=not public)
    client.redirect_uris = list(redirect_uris)
    client.default_scopes = list(scopes)
    if grant_types:
        client.allowed_grant_types = list(grant_types)
    if response_types:
        client.allowed_response_types = list(response_types)
    if hasattr(client, "set_client_secret"):
        client.set_client_secret(secret)
    else:
        client.client_secret = secret or ""
    binding.session.add(client)
    binding.session.commit()
    click.echo(f"client_id: {client.client_id}")
    if secret:
        click.echo(f"client_secret: {secret}")
    # stored and shown: tell signals.client_registered (the bound provider is installed)
    from flask_oauthlib_provider_oauth2 import signals

    signals.send_client_registered(
        client.client_id, scopes, grant_types or None, not public, source="cli"
    )


@oauth2.command("list-clients")
@with_appcontext
def list_clients() -> None:
    """List registered clients: a header row, then one tab-separated row per client."""
    binding = _binding()
    click.echo("client_id\ttype\tname\tredirect_uris")
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
