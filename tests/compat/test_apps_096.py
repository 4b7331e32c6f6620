"""flask_oauthlib.contrib.apps as 0.9.6 apps use it: RemoteAppFactory built from
``(name, kwargs, docstring)``, kwargs processors, make_scope_processor, the weibo and
LinkedIn request hooks, and the eight documented factories' register_to()."""

from __future__ import annotations

import copy
import inspect
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

import flask_oauthlib.contrib.apps as apps
import flask_oauthlib_contrib_apps
from flask_oauthlib.client import OAuth
from flask_oauthlib.contrib.apps import (
    RemoteAppFactory,
    change_linkedin_query,
    change_weibo_header,
    make_scope_processor,
)

GITEA = {
    "base_url": "https://gitea.example/api/v1/",
    "request_token_url": None,
    "access_token_url": "https://gitea.example/login/oauth/access_token",
    "authorize_url": "https://gitea.example/login/oauth/authorize",
    "access_token_method": "POST",
}
DOCUMENTED = ["douban", "dropbox", "facebook", "github", "google", "linkedin", "twitter", "weibo"]


def make_app(**config: Any) -> tuple[Flask, OAuth]:
    app = Flask("apps_096")
    app.secret_key = "k"
    app.config.update(config)
    return app, OAuth(app)


def authorize_query(app: Flask, remote: Any) -> dict[str, list[str]]:
    with app.test_request_context():
        resp = remote.authorize(callback="http://localhost/cb")
    location = urlsplit(resp.headers["Location"])
    query = parse_qs(location.query)
    query["_endpoint"] = [f"{location.scheme}://{location.netloc}{location.path}"]
    return query


# -- RemoteAppFactory(default_name, kwargs, docstring) ------------------------------------------


def test_built_from_name_kwargs_and_docstring() -> None:
    factory = RemoteAppFactory("gitea", GITEA, "\n    The OAuth app for Gitea.\n")
    assert factory.default_name == "gitea" and factory.kwargs == GITEA
    assert factory.__doc__ == "The OAuth app for Gitea.\n"
    assert RemoteAppFactory("gitea", GITEA).__doc__ == ""
    assert factory.provider is None and "gitea" in repr(factory)


def test_registers_under_its_name_or_another_with_its_config() -> None:
    app, oauth = make_app(
        GITEA_CONSUMER_KEY="first", GITEA_CONSUMER_SECRET="s1", MIRROR_CONSUMER_KEY="second"
    )
    factory = RemoteAppFactory("gitea", GITEA)
    first = factory.register_to(oauth)
    second = factory.register_to(oauth, name="mirror", base_url="https://mirror.example/")
    assert oauth.gitea is first and oauth.mirror is second
    assert (first.app_key, second.app_key) == ("GITEA", "MIRROR")
    with app.test_request_context():
        assert (first.consumer_key, second.consumer_key) == ("first", "second")
        assert first.base_url == GITEA["base_url"] and second.base_url == "https://mirror.example/"
        assert first.access_token_url == GITEA["access_token_url"]
    query = authorize_query(app, first)
    assert query["_endpoint"] == [GITEA["authorize_url"]] and query["client_id"] == ["first"]
    created = factory.create(oauth)
    assert created.name == "gitea" and oauth.remote_apps["gitea"] is first
    assert factory.register_to(oauth, app_key="SHARED").app_key == "SHARED"


def test_reserved_or_missing_kwargs_are_refused() -> None:
    for reserved in ("name", "register"):
        with pytest.raises(TypeError, match=reserved):
            RemoteAppFactory("gitea", dict(GITEA, **{reserved: "x"}))
    with pytest.raises(TypeError, match="kwargs"):
        RemoteAppFactory("gitea")  # type: ignore[call-overload]


def test_kwargs_processor_gets_the_merged_kwargs_and_may_change_them() -> None:
    app, oauth = make_app(GITEA_CONSUMER_KEY="k")
    factory = RemoteAppFactory("gitea", dict(GITEA, request_token_params={"prompt": "none"}))
    seen: list[dict[str, Any]] = []

    @factory.kwargs_processor
    def processor(**kwargs: Any) -> dict[str, Any]:
        seen.append(copy.deepcopy(kwargs))
        kwargs["request_token_params"]["prompt"] = "consent"
        return kwargs

    assert processor.__name__ == "processor"  # returned unchanged: usable as a decorator
    remote = factory.register_to(oauth, access_token_method="GET")
    assert seen == [
        dict(
            GITEA,
            request_token_params={"prompt": "none"},
            access_token_method="GET",
            name="gitea",
            app_key="GITEA",
        )
    ]
    assert authorize_query(app, remote)["prompt"] == ["consent"]
    assert factory.kwargs["request_token_params"] == {"prompt": "none"}  # deep-copied


def test_a_later_processor_replaces_the_earlier_one() -> None:
    factory = RemoteAppFactory("gitea", GITEA)
    factory.kwargs_processor(make_scope_processor("first"))
    factory.kwargs_processor(make_scope_processor("second"))
    app, oauth = make_app(GITEA_CONSUMER_KEY="k")
    assert authorize_query(app, factory.register_to(oauth))["scope"] == ["second"]


# -- make_scope_processor ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, {"scope": "read:user"}),
        ({"scope": ["read:user", "repo"]}, {"scope": "read:user,repo"}),
        ({"scope": "read:user repo"}, {"scope": "read:user repo"}),
        ({"request_token_params": {"scope": "kept"}, "scope": ["x"]}, {"scope": "kept"}),
        ({"request_token_params": {"state": "s"}}, {"state": "s", "scope": "read:user"}),
    ],
)
def test_make_scope_processor(given: dict[str, Any], expected: dict[str, str]) -> None:
    processed = make_scope_processor("read:user")(name="gitea", **given)
    assert processed == {"name": "gitea", "request_token_params": expected}


def test_scope_processor_on_a_096_factory_reaches_the_authorize_url() -> None:
    factory = RemoteAppFactory("gitea", GITEA)
    factory.kwargs_processor(make_scope_processor("read:user"))
    app, oauth = make_app(GITEA_CONSUMER_KEY="k")
    assert authorize_query(app, factory.register_to(oauth))["scope"] == ["read:user"]
    remote = factory.register_to(oauth, name="g2", scope=["read:user", "repo"])
    app.config["G2_CONSUMER_KEY"] = "k2"
    assert authorize_query(app, remote)["scope"] == ["read:user,repo"]


# -- the documented factories, as 0.9.6 apps register them -------------------------------------


@pytest.mark.parametrize("name", DOCUMENTED)
def test_documented_factory_with_a_name_override(name: str) -> None:
    factory = getattr(apps, name)
    assert factory.default_name == name and factory.kwargs["authorize_url"].startswith("https://")
    app, oauth = make_app(**{f"{name.upper()}2_CONSUMER_KEY": "k2"})
    remote = factory.register_to(oauth, name=name + "2")
    assert getattr(oauth, name + "2") is remote and remote.app_key == name.upper() + "2"
    with app.test_request_context():
        assert remote.consumer_key == "k2"
    if factory.provider.is_oauth1:
        return
    separator = factory.provider.scope_separator
    for scope in (["a", "b"], f"a{separator}b"):
        remote = factory.create(oauth, scope=scope, app_key=name.upper() + "2")
        assert authorize_query(app, remote)["scope"] == [f"a{separator}b"]


def test_a_096_processor_still_sets_the_default_scope_of_a_documented_factory() -> None:
    factory = RemoteAppFactory(apps.github.provider)  # a fresh copy of `github`
    factory.kwargs_processor(make_scope_processor("repo"))
    app, oauth = make_app(GITHUB_CONSUMER_KEY="k")
    assert authorize_query(app, factory.register_to(oauth))["scope"] == ["repo"]
    remote = factory.create(oauth, scope=["repo", "gist"])
    assert authorize_query(app, remote)["scope"] == ["repo,gist"]
    assert authorize_query(app, apps.github.create(oauth))["scope"] == ["user:email"]


def test_preset_kwargs_of_a_documented_factory_can_be_changed() -> None:
    factory = RemoteAppFactory(apps.github.provider)
    factory.kwargs["base_url"] = "https://github.example/api/v3/"
    app, oauth = make_app(GITHUB_CONSUMER_KEY="k")
    with app.test_request_context():
        assert factory.create(oauth).base_url == "https://github.example/api/v3/"
        assert apps.github.create(oauth).base_url == "https://api.github.com/"


# -- the request hooks -----------------------------------------------------------------------


def test_change_weibo_header() -> None:
    headers = {"Authorization": "Bearer xBearery", "Accept": "application/json"}
    uri, changed, body = change_weibo_header("https://api.weibo.com/2/x.json", headers, b"b")
    assert (uri, body) == ("https://api.weibo.com/2/x.json", b"b") and changed is headers
    assert changed == {"Authorization": "OAuth2 xBearery", "Accept": "application/json"}
    assert change_weibo_header("u", {"authorization": "Bearer t"}, None)[1] == {
        "authorization": "OAuth2 t"
    }
    for untouched in ({}, {"Authorization": "Basic abc"}):
        assert change_weibo_header("u", dict(untouched), None) == ("u", untouched, None)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://api.linkedin.com/v1/people/~", "https://api.linkedin.com/v1/people/~?"),
        ("https://api.linkedin.com/v1/people/~?f=1", "https://api.linkedin.com/v1/people/~?f=1&"),
    ],
)
def test_change_linkedin_query(uri: str, expected: str) -> None:
    headers = {"Authorization": "Bearer a/b+c", "Accept": "*/*"}
    new_uri, changed, body = change_linkedin_query(uri, headers, None)
    assert new_uri == expected + "oauth2_access_token=a%2Fb%2Bc" and body is None
    assert changed is headers and changed == {"Accept": "*/*", "x-li-format": "json"}


def test_change_linkedin_query_without_a_token_and_its_warning() -> None:
    assert change_linkedin_query("u", {}, None) == ("u", {"x-li-format": "json"}, None)
    doc = inspect.getdoc(change_linkedin_query) or ""
    assert "puts the access token in the URL" in doc and "relied on it" in doc


# -- the 0.9.6 surface -----------------------------------------------------------------------

SIGNATURES_096 = {
    "RemoteAppFactory.__init__": ["self", "default_name", "kwargs", "docstring"],
    "RemoteAppFactory.register_to": ["self", "oauth", "name", "kwargs"],
    "RemoteAppFactory.create": ["self", "oauth", "kwargs"],
    "RemoteAppFactory.kwargs_processor": ["self", "fn"],
    "make_scope_processor": ["default_scope"],
    "change_weibo_header": ["uri", "headers", "body"],
    "change_linkedin_query": ["uri", "headers", "body"],
}


@pytest.mark.parametrize("qualname", sorted(SIGNATURES_096))
def test_0_9_6_names_and_signatures(qualname: str) -> None:
    target: Any = apps
    for part in qualname.split("."):
        target = getattr(target, part)
    assert list(inspect.signature(target).parameters) == SIGNATURES_096[qualname]
    top = qualname.split(".")[0]
    assert top in apps.__all__ and top in flask_oauthlib_contrib_apps.__all__
    assert getattr(apps, top) is getattr(flask_oauthlib_contrib_apps, top)
    init = inspect.signature(RemoteAppFactory.__init__).parameters
    assert init["docstring"].default == ""
    assert inspect.signature(RemoteAppFactory.register_to).parameters["name"].default is None
