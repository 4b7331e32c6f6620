"""``flask oidc generate-key``: a new signing key for ``OAUTH2_PROVIDER_OIDC_KEYS``.

Registered on every app an ``OAuth2Provider`` is initialised on (the ``flask oauth2``
group belongs to the SQLAlchemy binding's client commands)::

    $ flask oidc generate-key --out keys/2025-06.pem
    $ flask oidc generate-key --alg ES256 --format jwk

Put the new key first in ``OAUTH2_PROVIDER_OIDC_KEYS`` to sign with it; keep the old
one after it until the ID tokens it signed have expired.

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..jwks import ALGORITHMS, generate_key, load_key, private_jwk, private_pem

__all__ = ["oidc"]


@click.group()
def oidc() -> None:
    """OpenID Connect: signing keys."""


@oidc.command("generate-key")
@click.option(
    "--alg",
    type=click.Choice(ALGORITHMS),
    default="RS256",
    show_default=True,
    help="RS256 makes an RSA key, ES256 a P-256 key.",
)
@click.option("--bits", type=click.IntRange(2048, 8192), default=2048, show_default=True)
@click.option("--format", "form", type=click.Choice(["pem", "jwk"]), default="pem")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the private key to this new file (mode 0600) instead of printing it;"
    " missing directories are made (mode 0700).",
)
def generate_key_command(alg: str, bits: int, form: str, out: Path | None) -> None:
    """Make a private signing key; its kid goes to standard error."""
    key = generate_key(alg, bits)
    text = private_pem(key) if form == "pem" else json.dumps(private_jwk(key), indent=2) + "\n"
    kid = load_key(key).kid
    if out is None:
        click.echo(text, nl=False)
    else:
        try:
            out.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise click.ClickException(f"{out} exists: a key is never overwritten") from exc
        except OSError as exc:
            raise click.ClickException(f"cannot write {out}: {exc.strerror}") from exc
        with os.fdopen(fd, "w") as file:
            file.write(text)
    click.echo(f"kid: {kid}", err=True)
