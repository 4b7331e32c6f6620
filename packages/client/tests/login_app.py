"""The client app under test: a Flask app that logs its users in with one remote app, the
way the documentation shows (the root tests use it against our providers too)."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, session, url_for

from flask_oauthlib_client import OAuth, OAuthException, OAuthRemoteApp

#: the OAuth 2 client the remotes of these tests know (``client_peers`` and the tests' own)
CLIENT_ID, CLIENT_SECRET = "client-1", "secret-1"


def remote_settings(url: str, **overrides: Any) -> dict[str, Any]:
    """The settings of :data:`CLIENT_ID` at an OAuth 2 server at ``url`` (its endpoints at
    ``/authorize`` and ``/token``, its API under ``/api/``); ``overrides`` win."""
    return {
        "consumer_key": CLIENT_ID,
        "consumer_secret": CLIENT_SECRET,
        "base_url": url + "/api/",
        "access_token_url": url + "/token",
        "authorize_url": url + "/authorize",
        **overrides,
    }


def login_app(
    name: str = "dev",
    *,
    me: str = "me",
    config: dict[str, Any] | None = None,
    remote_class: type[OAuthRemoteApp] | None = None,
    **settings: Any,
) -> tuple[Flask, OAuthRemoteApp]:
    """A client app and its remote app ``name`` (``settings`` as ``oauth.remote_app`` takes
    them; ``remote_class``: a subclass built as 0.9.6 apps did, ``cls(oauth, name, ...)``).

    Its views: ``/login`` starts a login back to ``/authorized``; ``/authorized`` answers the
    token as JSON and keeps it in the session (the ``tokengetter``), ``{"denied": true}``
    when ``authorized_response()`` is ``None``, or the ``OAuthException``'s ``error``
    (type), ``message`` and ``data`` with a 400; ``/me`` answers what the remote answers
    at ``me``. ``config`` is set before the ``OAuth`` registry is.
    """
    app = Flask(f"{name}_client")
    app.secret_key = "test-secret"
    app.config.update(config or {})
    oauth = OAuth(app)
    if remote_class is None:
        remote = oauth.remote_app(name, **settings)
    else:
        remote = remote_class(oauth, name, **settings)

    @app.route("/login")
    def login() -> Any:
        return remote.authorize(callback=url_for("authorized", _external=True))

    @app.route("/authorized")
    def authorized() -> Any:
        try:
            token = remote.authorized_response()
        except OAuthException as exc:
            data = exc.data if isinstance(exc.data, dict) else None
            return jsonify(error=exc.type, message=exc.message, data=data), 400
        if token is None:
            return jsonify(denied=True)
        session["token"] = token
        return jsonify(token)

    @remote.tokengetter
    def get_token() -> Any:
        return session.get("token")

    @app.route("/me")
    def get_me() -> Any:
        return jsonify(remote.get(me).data)

    return app, remote
