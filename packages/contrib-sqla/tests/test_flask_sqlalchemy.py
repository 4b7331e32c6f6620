"""The documented 0.9.6 example: Flask-SQLAlchemy models written as the old docs show,
bound with bind_sqlalchemy, unchanged; and the ``flask oauth2`` commands."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import requests
from flask import Flask
from legacy_app import REDIRECT, legacy_app
from requests_oauthlib import OAuth2Session


def test_old_style_models_run_unchanged(serve: Callable[[Flask], str]) -> None:
    app, db, token_model = legacy_app("sqlite://")
    url = serve(app)
    sess = OAuth2Session("dev", redirect_uri=REDIRECT, scope=["email"])
    auth_url, _ = sess.authorization_url(url + "/oauth/authorize")
    answer = requests.post(auth_url, allow_redirects=False, timeout=10)
    token = sess.fetch_token(
        url + "/oauth/token",
        authorization_response=answer.headers["Location"],
        client_secret="dev-secret",
    )
    me = requests.get(
        url + "/api/me", headers={"Authorization": "Bearer " + token["access_token"]}, timeout=10
    )
    assert me.json() == {"username": "alice"}
    second = OAuth2Session("dev", token=token).refresh_token(
        url + "/oauth/token", client_id="dev", client_secret="dev-secret"
    )
    with app.app_context():
        rows = db.session.execute(db.select(token_model)).scalars().all()
        # 0.9.6 behaviour: one token per client and user, stored in plaintext
        assert [row.access_token for row in rows] == [second["access_token"]]
        assert isinstance(rows[0].expires, datetime)


def test_cli_create_list_revoke(serve: Callable[[Flask], str]) -> None:
    from sqla_app import Client, create_app, database

    from flask_oauthlib_contrib_sqla.cli import oauth2

    with database("sqlite") as engine:
        app, _, session = create_app(engine)
        app.cli.add_command(oauth2)  # what the flask.commands entry point does for `flask`
        runner = app.test_cli_runner()
        created = runner.invoke(
            args=[
                "oauth2",
                "create-client",
                "--name",
                "cli",
                "--redirect-uri",
                REDIRECT,
                "--scope",
                "email",
            ]
        )
        assert created.exit_code == 0, created.output
        lines = dict(line.split(": ") for line in created.output.strip().splitlines())
        client = session.get(Client, lines["client_id"])
        assert client.check_client_secret(lines["client_secret"])
        assert client.client_secret_hash != lines["client_secret"]
        listed = runner.invoke(args=["oauth2", "list-clients"])
        assert lines["client_id"] in listed.output and "confidential" in listed.output
        revoked = runner.invoke(args=["oauth2", "revoke-client", lines["client_id"]])
        assert revoked.exit_code == 0
        session.remove()
        assert session.get(Client, lines["client_id"]) is None
        missing = runner.invoke(args=["oauth2", "revoke-client", "nope"])
        assert missing.exit_code != 0 and "no client" in missing.output
        session.remove()
