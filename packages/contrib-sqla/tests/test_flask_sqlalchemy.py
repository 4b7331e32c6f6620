"""The documented 0.9.6 example: Flask-SQLAlchemy models written as the old docs show,
bound with bind_sqlalchemy, unchanged. (The ``flask oauth2`` commands: test_cli.py.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import requests
from flask import Flask
from legacy_app import legacy_app
from old_style_models import REDIRECT
from requests_oauthlib import OAuth2Session

from flask_oauthlib_core.testing import consent


def test_old_style_models_run_unchanged(serve: Callable[[Flask], str]) -> None:
    app, db, token_model = legacy_app("sqlite://")
    url = serve(app)
    sess = OAuth2Session("dev", redirect_uri=REDIRECT, scope=["email"])
    auth_url, _ = sess.authorization_url(url + "/oauth/authorize")
    answer = consent(auth_url)
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
