"""The demo client: "Log in with Demo" with flask_oauthlib.client (PKCE and state on)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, redirect, render_template_string, session, url_for
from markupsafe import escape

from flask_oauthlib.client import OAuth, OAuthException

PAGE = """<!doctype html>
<title>Demo client</title>
<style>body{font:16px system-ui;margin:3em auto;max-width:32em}</style>
{{ body|safe }}"""


def create_client(provider_url: str, client_id: str, client_secret: str) -> Flask:
    app = Flask("demo_client")
    app.secret_key = secrets.token_hex(32)
    app.config["SESSION_COOKIE_NAME"] = "client_session"
    oauth = OAuth(app)
    demo = oauth.remote_app(
        "demo",
        consumer_key=client_id,
        consumer_secret=client_secret,
        server_metadata_url=provider_url + "/.well-known/oauth-authorization-server",
        base_url=provider_url + "/api/",
        access_token_method="POST",
        request_token_params={"scope": "profile"},
    )

    @demo.tokengetter
    def get_token() -> Any:
        return session.get("demo_token")

    def page(body: str, status: int = 200) -> Any:
        return render_template_string(PAGE, body=body), status

    @app.route("/")
    def index() -> Any:
        if "demo_token" in session:
            profile = demo.get("me").data
            return page(
                f"<h1 id='welcome'>Hello, {escape(profile['name'])}!</h1>"
                f"<p>Logged in with Demo as <code>{escape(profile['username'])}</code>.</p>"
                "<p><a href='/logout'>Log out</a></p>"
            )
        return page("<h1>Demo client</h1><p><a id='login' href='/login'>Log in with Demo</a></p>")

    @app.route("/login")
    def login() -> Any:
        return demo.authorize(callback=url_for("authorized", _external=True))

    @app.route("/authorized")
    def authorized() -> Any:
        try:
            token = demo.authorized_response()
        except OAuthException as exc:
            reason = f"{escape(exc.message)} ({escape(exc.type)})"
            return page(f"<h1 id='error'>Login failed</h1><p>{reason}</p>", 400)
        if token is None:
            return page(
                "<h1 id='error'>Login cancelled</h1><p>You denied access.</p><a href='/'>Back</a>",
                403,
            )
        session["demo_token"] = token
        return redirect(url_for("index"))

    @app.route("/logout")
    def logout() -> Any:
        session.pop("demo_token", None)
        return redirect(url_for("index"))

    return app
