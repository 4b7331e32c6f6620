"""A provider written the way the 0.9.6 documentation shows, run unchanged.

Flask-SQLAlchemy models queried with ``Model.query``, every getter and setter registered
by decorator, the handlers as documented, ``datetime.utcnow``-style naive expiries; the
only addition is ``is_confidential`` on the client, which the 0.9.6 docs' model had too.
Driven by requests-oauthlib over real HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from flask import Flask, jsonify, request
from requests_oauthlib import OAuth2Session

flask_sqlalchemy = pytest.importorskip("flask_sqlalchemy")

from old_style_models import REDIRECT, define_models, seed  # noqa: E402

from flask_oauthlib.provider import OAuth2Provider  # noqa: E402


def utcnow() -> datetime:
    """What 0.9.6 apps wrote as ``datetime.utcnow()``: naive UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def old_style_app() -> Flask:
    app = Flask("old_style")
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db = flask_sqlalchemy.SQLAlchemy(app)
    oauth = OAuth2Provider(app)

    models = define_models(db)
    User, Client, Grant, Token = models.User, models.Client, models.Grant, models.Token

    def current_user() -> Any:
        return User.query.filter_by(id=1).first()

    @oauth.clientgetter
    def load_client(client_id: str) -> Any:
        return Client.query.filter_by(client_id=client_id).first()

    @oauth.grantgetter
    def load_grant(client_id: str, code: str) -> Any:
        return Grant.query.filter_by(client_id=client_id, code=code).first()

    @oauth.grantsetter
    def save_grant(
        client_id: str, code: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        expires = utcnow() + timedelta(seconds=100)
        grant = Grant(
            client_id=client_id,
            code=code["code"],
            redirect_uri=request.redirect_uri,
            _scopes=" ".join(request.scopes),
            user=current_user(),
            expires=expires,
        )
        db.session.add(grant)
        db.session.commit()
        return grant

    @oauth.tokengetter
    def load_token(access_token: str | None = None, refresh_token: str | None = None) -> Any:
        if access_token:
            return Token.query.filter_by(access_token=access_token).first()
        if refresh_token:
            return Token.query.filter_by(refresh_token=refresh_token).first()
        return None

    @oauth.tokensetter
    def save_token(token: dict[str, Any], request: Any, *args: Any, **kwargs: Any) -> Any:
        toks = Token.query.filter_by(client_id=request.client.client_id, user_id=request.user.id)
        # make sure that every client has only one token connected to a user
        for t in toks:
            db.session.delete(t)
        expires_in = token.get("expires_in")
        expires = utcnow() + timedelta(seconds=expires_in)
        tok = Token(
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            token_type=token["token_type"],
            _scopes=token["scope"],
            expires=expires,
            client_id=request.client.client_id,
            user_id=request.user.id,
        )
        db.session.add(tok)
        db.session.commit()
        return tok

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    @oauth.authorize_handler
    def authorize(*args: Any, **kwargs: Any) -> Any:
        if request.method == "GET":
            client_id = kwargs.get("client_id")
            client = Client.query.filter_by(client_id=client_id).first()
            kwargs["client"] = client
            return (
                f"<form method=post>Allow {client.client_id}? <input name=confirm value=yes></form>"
            )
        confirm = request.form.get("confirm", "no")
        return confirm == "yes"

    @app.route("/oauth/token", methods=["POST"])
    @oauth.token_handler
    def access_token() -> None:
        return None

    @app.route("/oauth/revoke", methods=["POST"])
    @oauth.revoke_handler
    def revoke_token() -> None:
        pass

    @app.route("/api/me")
    @oauth.require_oauth("email")
    def me() -> Any:
        user = request.oauth.user
        return jsonify(username=user.username)

    with app.app_context():
        seed(db, models)
    return app


def test_old_style_app_runs_unchanged(serve: Callable[..., str]) -> None:
    url = serve(old_style_app())
    sess = OAuth2Session("dev", redirect_uri=REDIRECT, scope=["email"])
    auth_url, state = sess.authorization_url(url + "/oauth/authorize")
    assert requests.get(auth_url, timeout=10).status_code == 200
    answer = requests.post(auth_url, data={"confirm": "yes"}, allow_redirects=False, timeout=10)
    token = sess.fetch_token(
        url + "/oauth/token",
        authorization_response=answer.headers["Location"],
        client_secret="dev-secret",
    )
    assert sess.get(url + "/api/me").json() == {"username": "alice"}
    refreshed = sess.refresh_token(
        url + "/oauth/token", client_id="dev", client_secret="dev-secret"
    )
    assert refreshed["access_token"] != token["access_token"]
    old = requests.get(
        url + "/api/me", headers={"Authorization": "Bearer " + token["access_token"]}, timeout=10
    )
    assert old.status_code == 401  # the old tokensetter deleted it, as it always did
    revoked = requests.post(
        url + "/oauth/revoke",
        data={"token": refreshed["access_token"]},
        auth=("dev", "dev-secret"),
        timeout=10,
    )
    assert revoked.status_code == 200
    assert sess.get(url + "/api/me").status_code == 401
