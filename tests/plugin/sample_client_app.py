"""A sample app as our users write them with the client: "Log in with Corp" (OpenID
Connect) and a GitHub account linked to it, whose repositories it lists through the API.
Tokens are kept server side, by a random session id. Its tests are test_client_app.py."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, jsonify, redirect, session, url_for

from flask_oauthlib_client import OAuth, OAuthException

oauth = OAuth()
corp = oauth.remote_app(
    "corp",
    app_key="CORP",
    server_metadata_url="https://id.corp.example/.well-known/openid-configuration",
    request_token_params={"scope": "openid email profile"},
)
github = oauth.remote_app(
    "github",
    app_key="GITHUB",
    base_url="https://api.github.com/",
    authorize_url="https://github.com/login/oauth/authorize",
    access_token_url="https://github.com/login/oauth/access_token",
    request_token_params={"scope": "repo"},
)


def create_app(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="sample",
        CORP={"consumer_key": "sample-app", "consumer_secret": "corp-secret"},
        GITHUB={"consumer_key": "gh-app", "consumer_secret": "gh-secret"},
        **config,
    )
    oauth.init_app(app)
    tokens: dict[str, dict[str, Any]] = {}  # a database in a real app
    app.extensions["sample_tokens"] = tokens

    def sid() -> str:
        if "sid" not in session:
            session["sid"] = secrets.token_urlsafe(16)
        return str(session["sid"])

    @github.tokengetter
    def github_token() -> Any:
        return tokens.get(sid() + ":github")

    @github.tokensaver
    def save_github_token(token: dict[str, Any]) -> None:
        tokens[sid() + ":github"] = token

    @app.route("/login")
    def login() -> Any:
        return corp.authorize(callback=url_for("corp_authorized", _external=True))

    @app.route("/login/authorized")
    def corp_authorized() -> Any:
        try:
            token = corp.authorized_response()
        except OAuthException as exc:
            app.logger.warning("login failed: %s", exc.type)
            return "Signing in did not work. Please try again.", 400
        if token is None:
            return "You did not allow access.", 403
        session["user"] = {"sub": token["id_token_claims"]["sub"]}
        session["email"] = token["id_token_claims"].get("email")
        return redirect(url_for("home"))

    @app.route("/")
    def home() -> Any:
        return jsonify(user=session.get("user"), email=session.get("email"))

    @app.route("/link/github")
    def link_github() -> Any:
        return github.authorize(callback=url_for("github_authorized", _external=True))

    @app.route("/link/github/authorized")
    def github_authorized() -> Any:
        token = github.authorized_response()
        if token is None:
            return "GitHub was not linked.", 403
        tokens[sid() + ":github"] = token
        return redirect(url_for("repos"))

    @app.route("/repos")
    def repos() -> Any:
        try:
            answer = github.get("user/repos", data={"per_page": "5"})
        except OAuthException:
            return "GitHub cannot be reached right now.", 502
        if answer.status != 200:
            return "GitHub cannot be reached right now.", 502
        return jsonify(repos=[repo["full_name"] for repo in answer.data])

    return app
