"""Server metadata (``server_metadata_url``) is fetched and cached per Flask app.

One ``OAuth`` may serve several apps (``oauth.init_app(one); oauth.init_app(two)``), and
a remote app with an ``app_key`` reads its settings from the current app's config, so
each app may point the same remote at another metadata document. The document one app
fetched must never answer for another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, jsonify, request

from flask_oauthlib_client import OAuth, OAuthException

WELL_KNOWN = "/.well-known/oauth-authorization-server"
CALLBACK = "http://localhost/authorized"


def metadata_server(hits: list[str]) -> Flask:
    """An authorization server that only publishes its metadata, counting the fetches."""
    idp = Flask("metadata_server")
    idp.config["BROKEN"] = False

    @idp.route(WELL_KNOWN)
    def metadata() -> Any:
        base = request.host_url.rstrip("/")
        hits.append(base)
        if idp.config["BROKEN"]:
            return "down for maintenance", 503
        return jsonify(
            issuer=base,
            authorization_endpoint=base + "/authorize",
            token_endpoint=base + "/token",
        )

    return idp


@pytest.fixture
def two_servers(serve: Callable[[Flask], str]) -> tuple[str, str, list[str], Flask]:
    """Two metadata servers; their base URLs, the fetches both saw, the first server."""
    hits: list[str] = []
    first = metadata_server(hits)
    return serve(first), serve(metadata_server(hits)), hits, first


def shared_remote(url_one: str, url_two: str) -> tuple[Any, Flask, Flask]:
    """One ``OAuth`` on two apps, one remote app configured differently in each."""
    oauth = OAuth()
    remote = oauth.remote_app("idp", app_key="IDP")
    one, two = Flask("one"), Flask("two")
    one.config["IDP"] = {"consumer_key": "k1", "server_metadata_url": url_one + WELL_KNOWN}
    two.config["IDP"] = {"consumer_key": "k2", "server_metadata_url": url_two + WELL_KNOWN}
    for app in (one, two):
        app.secret_key = "test-secret"
        oauth.init_app(app)
    return remote, one, two


def test_one_remote_on_two_apps_reads_each_apps_metadata(
    two_servers: tuple[str, str, list[str], Flask],
) -> None:
    url_one, url_two, hits, _ = two_servers
    remote, one, two = shared_remote(url_one, url_two)
    with one.app_context():
        assert remote.authorize_url == url_one + "/authorize"
    with two.app_context():
        assert remote.authorize_url == url_two + "/authorize"
        assert remote.access_token_url == url_two + "/token"
        assert remote.issuer == url_two
    with one.test_request_context():
        assert remote.issuer == url_one
        location = remote.authorize(callback=CALLBACK).headers["Location"]
        assert location.startswith(url_one + "/authorize?")
    with two.test_request_context():
        location = remote.authorize(callback=CALLBACK).headers["Location"]
        assert location.startswith(url_two + "/authorize?")
    assert hits == [url_one, url_two]  # still fetched once per app


def test_each_app_keeps_its_own_copy(
    two_servers: tuple[str, str, list[str], Flask],
) -> None:
    url_one, _, hits, _ = two_servers
    remote, one, two = shared_remote(url_one, url_one)  # the same document for both
    with one.app_context():
        assert remote.server_metadata["issuer"] == url_one
    with two.app_context():
        assert remote.server_metadata["issuer"] == url_one
    assert hits == [url_one, url_one]
    assert (
        one.extensions["oauthlib.client.metadata"] is not two.extensions["oauthlib.client.metadata"]
    )


def test_a_changed_metadata_url_is_fetched(
    two_servers: tuple[str, str, list[str], Flask],
) -> None:
    url_one, url_two, hits, _ = two_servers
    remote, one, _ = shared_remote(url_one, url_two)
    with one.app_context():
        assert remote.issuer == url_one
        one.config["IDP"]["server_metadata_url"] = url_two + WELL_KNOWN
        assert remote.issuer == url_two
    assert hits == [url_one, url_two]


def test_a_failed_fetch_is_not_cached(
    two_servers: tuple[str, str, list[str], Flask],
) -> None:
    url_one, url_two, hits, first = two_servers
    remote, one, _ = shared_remote(url_one, url_two)
    first.config["BROKEN"] = True
    with one.app_context(), pytest.raises(OAuthException) as info:
        remote.authorize_url  # noqa: B018
    assert info.value.type == "invalid_metadata" and "503" in info.value.message
    first.config["BROKEN"] = False
    with one.app_context():
        assert urlsplit(remote.authorize_url).path == "/authorize"
    assert hits == [url_one, url_one]


def test_with_no_app_at_all_it_is_fetched_on_each_use(
    two_servers: tuple[str, str, list[str], Flask],
) -> None:
    url_one, _, hits, _ = two_servers
    remote = OAuth().remote_app("idp", consumer_key="k", server_metadata_url=url_one + WELL_KNOWN)
    assert remote.authorize_url == url_one + "/authorize"
    assert remote.access_token_url == url_one + "/token"
    assert hits == [url_one, url_one]
