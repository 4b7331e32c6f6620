"""Every factory: URLs, scopes, PKCE, config lookup, errors; oidc() from a served document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, jsonify

import flask_oauthlib_contrib_apps as apps
from flask_oauthlib_client import MissingSetting, OAuth

DOCUMENTED = ["douban", "dropbox", "facebook", "github", "google", "linkedin", "twitter", "weibo"]
NEW = [
    "gitlab",
    "microsoft",
    "discord",
    "slack",
    "bitbucket",
    "reddit",
    "spotify",
    "twitch",
    "apple",
    "okta",
    "auth0",
    "strava",
]
REQUIRED_PARAMS: dict[str, dict[str, str]] = {
    "okta": {"domain": "dev-1.okta.com"},
    "auth0": {"domain": "t.eu.auth0.com"},
}


def make_app() -> tuple[Flask, OAuth]:
    app = Flask("apps")
    app.secret_key = "k"
    return app, OAuth(app)


def authorize_query(app: Flask, remote: Any) -> dict[str, list[str]]:
    with app.test_request_context():
        resp = remote.authorize(callback="http://localhost/cb")
    return parse_qs(urlsplit(resp.headers["Location"]).query)


@pytest.mark.parametrize("name", DOCUMENTED + NEW)
def test_factory_registers_a_working_remote_app(name: str) -> None:
    factory = getattr(apps, name)
    provider = factory.provider
    app, oauth = make_app()
    app.config[f"{name.upper()}_CONSUMER_KEY"] = "key-" + name
    app.config[f"{name.upper()}_CONSUMER_SECRET"] = "secret"
    remote = factory.register_to(oauth, **REQUIRED_PARAMS.get(name, {}))
    assert getattr(oauth, name) is remote
    assert remote.app_key == name.upper()
    with app.test_request_context():
        assert remote.consumer_key == "key-" + name
        assert remote.access_token_method == "POST"
        assert remote.authorize_url.startswith("https://")
        assert remote.access_token_url.startswith("https://")
        assert "{" not in remote.authorize_url + remote.access_token_url + (remote.base_url or "")
    if provider.is_oauth1:
        assert remote.request_token_url
        return
    query = authorize_query(app, remote)
    assert query["client_id"] == ["key-" + name]
    expected = provider.scope_separator.join(provider.default_scope)
    assert query.get("scope", [""]) == [expected] if expected else "scope" not in query
    assert ("code_challenge" in query) is provider.pkce
    assert factory.__doc__ and provider.authorize_url in factory.__doc__


def test_documented_default_scopes() -> None:
    defaults = {name: getattr(apps, name).provider.default_scope for name in DOCUMENTED}
    assert defaults["douban"] == ("douban_basic_common",)
    assert defaults["facebook"] == ("email",)
    assert defaults["github"] == ("user:email",)
    assert defaults["google"] == ("email",)
    assert defaults["linkedin"] == ("r_basicprofile",)
    assert defaults["weibo"] == ("email",)


@pytest.mark.parametrize("scope", [["user:email", "repo"], "user:email repo"])
def test_scope_as_list_or_string(scope: Any) -> None:
    app, oauth = make_app()
    app.config.update(GITHUB_CONSUMER_KEY="k", GITHUB_CONSUMER_SECRET="s")
    remote = apps.github.register_to(oauth, scope=scope)
    assert authorize_query(app, remote)["scope"] == ["user:email repo"]


def test_comma_separated_scopes() -> None:
    app, oauth = make_app()
    app.config.update(STRAVA_CONSUMER_KEY="k", STRAVA_CONSUMER_SECRET="s")
    remote = apps.strava.register_to(oauth, scope=["read", "activity:read"])
    assert authorize_query(app, remote)["scope"] == ["read,activity:read"]


def test_custom_name_reads_its_own_config() -> None:
    app, oauth = make_app()
    app.config.update(GITHUB2_CONSUMER_KEY="second", GITHUB2_CONSUMER_SECRET="s2")
    app.config["GITHUB"] = {"consumer_key": "first", "consumer_secret": "s1"}
    first = apps.github.register_to(oauth)
    second = apps.github.register_to(oauth, name="github2")
    with app.test_request_context():
        assert first.consumer_key == "first" and second.consumer_key == "second"
    assert oauth.github2 is second
    created = apps.github.create(oauth)
    assert created.name == "github" and oauth.remote_apps["github"] is first


def test_missing_config_names_the_key() -> None:
    app, oauth = make_app()
    remote = apps.google.register_to(oauth)
    with app.test_request_context(), pytest.raises(MissingSetting, match="GOOGLE_CONSUMER_KEY"):
        remote.authorize(callback="http://localhost/cb")


def test_twitter_rejects_scope() -> None:
    _, oauth = make_app()
    with pytest.raises(TypeError, match="OAuth 1.0a"):
        apps.twitter.register_to(oauth, scope=["email"])


def test_tenant_and_domain_parameters() -> None:
    app, oauth = make_app()
    remote = apps.microsoft.register_to(oauth, tenant="contoso.onmicrosoft.com")
    with app.test_request_context():
        assert "/contoso.onmicrosoft.com/oauth2/v2.0/authorize" in remote.authorize_url
    default = apps.microsoft.create(oauth)
    with app.test_request_context():
        assert "/common/" in default.authorize_url
    with pytest.raises(TypeError, match="domain"):
        apps.okta.register_to(oauth)


def test_weibo_forces_json_and_github_asks_for_json() -> None:
    app, oauth = make_app()
    weibo = apps.weibo.register_to(oauth)
    github = apps.github.register_to(oauth)
    with app.test_request_context():
        assert weibo.content_type == "application/json"
        assert github.access_token_headers == {"Accept": "application/json"}


def test_oidc_from_a_served_discovery_document(serve: Callable[[Flask], str]) -> None:
    idp = Flask("idp")
    issuer: dict[str, str] = {}

    @idp.route("/.well-known/openid-configuration")
    def discovery() -> Any:
        return jsonify(
            issuer=issuer["url"],
            authorization_endpoint=issuer["url"] + "/authorize",
            token_endpoint=issuer["url"] + "/token",
            userinfo_endpoint=issuer["url"] + "/userinfo",
            jwks_uri=issuer["url"] + "/jwks",
            response_types_supported=["code"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
        )

    issuer["url"] = serve(idp)
    factory = apps.oidc("corp", issuer["url"] + "/.well-known/openid-configuration")
    app, oauth = make_app()
    app.config.update(CORP_CONSUMER_KEY="corp-client", CORP_CONSUMER_SECRET="s")
    remote = factory.register_to(oauth)
    query = authorize_query(app, remote)
    assert query["scope"] == ["openid email profile"] and query["code_challenge_method"] == ["S256"]
    with app.test_request_context():
        assert remote.authorize_url == issuer["url"] + "/authorize"
        assert remote.access_token_url == issuer["url"] + "/token"
        assert remote.issuer == issuer["url"]


def test_every_factory_is_in_the_readme() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    for provider in apps.PROVIDERS:
        assert f"`{provider.name}`" in readme, provider.name
        if provider.default_scope:
            assert provider.scope_separator.join(provider.default_scope) in readme, provider.name
