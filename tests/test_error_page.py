"""The default error page: served at ``/oauth/errors`` when the app has no view there."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from flask_oauthlib_provider_oauth1 import OAuth1Provider
from flask_oauthlib_provider_oauth2 import OAuth2Provider


def bare_app(provider: type) -> tuple[Flask, Any]:
    app = Flask("errors")
    oauth = provider(app)
    return app, oauth


@pytest.mark.parametrize("provider", [OAuth2Provider, OAuth1Provider])
def test_default_page_is_html_for_people(provider: type) -> None:
    app, _ = bare_app(provider)
    page = app.test_client().get(
        "/oauth/errors?error=invalid_request&error_description=Invalid+client_id+parameter+value.",
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "Authorization failed" in page.text and "Invalid client_id parameter value." in page.text
    assert 'name="viewport"' in page.text
    assert page.headers["X-Frame-Options"] == "DENY"


def test_default_page_escapes_what_it_shows() -> None:
    app, _ = bare_app(OAuth2Provider)
    page = app.test_client().get("/oauth/errors?error=<script>x</script>&error_description=<b>")
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text


def test_default_page_is_json_for_clients() -> None:
    app, _ = bare_app(OAuth2Provider)
    answer = app.test_client().get(
        "/oauth/errors?error=access_denied", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json == {
        "error": "access_denied",
        "error_description": "The authorization was denied.",
    }


def test_authorization_error_lands_on_the_default_page() -> None:
    app, oauth = bare_app(OAuth2Provider)

    @oauth.clientgetter
    def client(client_id: str) -> None:
        return None

    @oauth.tokengetter
    def token(access_token: str | None = None, refresh_token: str | None = None) -> None:
        return None

    @app.route("/oauth/authorize", methods=["GET", "POST"])
    @oauth.authorize_handler
    def authorize(*args: Any, **kwargs: Any) -> Any:
        return "consent"

    answer = app.test_client().get(
        "/oauth/authorize?response_type=code&client_id=nobody", follow_redirects=True
    )
    assert answer.status_code == 400 and "Authorization failed" in answer.text


@pytest.mark.parametrize("before", [True, False])
def test_the_apps_own_page_wins(before: bool) -> None:
    app = Flask("own")

    def own() -> str:
        return "our own page"

    if before:
        app.add_url_rule("/oauth/errors", "errors", own)
    OAuth2Provider(app)
    OAuth1Provider(app)
    if not before:
        app.add_url_rule("/oauth/errors", "errors", own)
    assert app.test_client().get("/oauth/errors?error=x").text == "our own page"


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_storage_down_is_a_503(accept: str) -> None:
    app, _ = bare_app(OAuth2Provider)
    answer = app.test_client().get(
        "/oauth/errors?error=temporarily_unavailable", headers={"Accept": accept}
    )
    assert answer.status_code == 503 and answer.headers["Retry-After"]
    assert "try again" in answer.text
