"""Stacked ``require_oauth`` decorators each enforce their own scopes (issue 17)."""

from __future__ import annotations

from typing import Any

from flask import jsonify
from oauth2_app import create_app


def test_the_inner_decorator_checks_its_scopes_too() -> None:
    app, oauth, store = create_app()
    store.add_token("email-only", ["email"])

    @app.route("/admin")
    @oauth.require_oauth("email")
    @oauth.require_oauth("admin")
    def admin() -> Any:
        return jsonify(ok=True)

    @app.route("/both")
    @oauth.require_oauth("email")
    @oauth.require_oauth("email")
    def both() -> Any:
        return jsonify(ok=True)

    client = app.test_client()
    headers = {"Authorization": "Bearer email-only"}
    refused = client.get("/admin", headers=headers)
    assert refused.status_code == 403 and refused.json["error"] == "insufficient_scope"
    assert 'scope="admin"' in refused.headers["WWW-Authenticate"]
    assert client.get("/both", headers=headers).status_code == 200


def test_a_provider_on_an_app_it_was_not_initialised_on_says_so() -> None:
    import pytest
    from flask import Flask

    _, oauth, _ = create_app()
    other = Flask("other")

    @other.route("/api")
    @oauth.require_oauth("email")
    def api() -> Any:
        return "never"

    other.testing = True
    with pytest.raises(RuntimeError, match="init_app"):
        other.test_client().get("/api", headers={"Authorization": "Bearer x"})


def test_stacked_oauth1_decorators_each_check_their_realms(serve: Any) -> None:
    import requests
    from oauth1_app import CALLBACK, CLIENT_KEY, CLIENT_SECRET
    from oauth1_app import create_app as create_oauth1_app
    from requests_oauthlib import OAuth1Session

    app, oauth1, _ = create_oauth1_app()

    @app.route("/api/profile-too")
    @oauth1.require_oauth("email")
    @oauth1.require_oauth("profile")
    def both() -> Any:
        return jsonify(ok=True)

    url = serve(app)
    session = OAuth1Session(CLIENT_KEY, client_secret=CLIENT_SECRET, callback_uri=CALLBACK)
    session.fetch_request_token(url + "/oauth/request_token")
    consent = requests.post(
        session.authorization_url(url + "/oauth/authorize"),
        data={"confirm": "yes"},
        allow_redirects=False,
        timeout=10,
    )
    session.parse_authorization_response(consent.headers["Location"])
    session.fetch_access_token(url + "/oauth/access_token")  # realms: email
    assert session.get(url + "/api/email").status_code == 200
    assert session.get(url + "/api/profile-too").status_code == 403
