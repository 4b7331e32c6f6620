"""pytest fixtures for the tests of apps that run the OAuth 2 provider.

Installing ``flask-oauthlib-provider-oauth2`` registers this module with pytest (the
``pytest11`` entry point ``flask_oauthlib_provider_oauth2``). It defines fixtures and
nothing else: no hook, no option, and its own code runs only when a test uses a fixture;
loading it imports the ``flask_oauthlib_provider_oauth2`` package (with Flask and
oauthlib). Switch it off with ``-p no:flask_oauthlib_provider_oauth2``.

``oauth2_token``
    Call it to mint an access token in the app's storage, with no login
    (:func:`~flask_oauthlib_provider_oauth2.testing.mint_token`); it returns a
    :class:`~flask_oauthlib_provider_oauth2.testing.MintedToken`::

        def test_me(client, oauth2_token):
            token = oauth2_token(user=alice, scopes=["email"])
            assert client.get("/api/me", headers=token.headers).status_code == 200

``oauth2_client``
    Call it to make a client with the provider's ``clientsetter``
    (:func:`~flask_oauthlib_provider_oauth2.testing.create_client`); it returns a
    :class:`~flask_oauthlib_provider_oauth2.testing.RegisteredClient`.

Both take the app as ``app=``; by default the current app, else the test's ``app``
fixture.

.. versionadded:: 1.1
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flask import Flask

    from .testing import MintedToken, RegisteredClient

__all__ = ["ClientMaker", "TokenMinter", "oauth2_client", "oauth2_token"]


def _app(request: pytest.FixtureRequest, app: Flask | None, fixture: str) -> Flask:
    """``app``, else the current app if it runs a provider, else the ``app`` fixture."""
    if app is not None:
        return app
    from flask import current_app, has_app_context

    from .provider import EXTENSION_KEY

    if has_app_context() and EXTENSION_KEY in current_app.extensions:
        found: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        return found
    try:
        found = request.getfixturevalue("app")
    except pytest.FixtureLookupError:
        raise RuntimeError(
            f"{fixture}: no app; pass app=, push an app context, or define an `app` fixture"
        ) from None
    return found


class TokenMinter:
    """The value of the ``oauth2_token`` fixture.

    :param request: the test's fixture request (to find an ``app`` fixture).
    """

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request

    def __call__(self, app: Flask | None = None, **options: Any) -> MintedToken:
        """Mint a token: see :func:`~flask_oauthlib_provider_oauth2.testing.mint_token`
        for ``options`` (``client``, ``user``, ``scopes``, ``expires_in``, ``dpop`` ...)."""
        from .testing import mint_token

        return mint_token(_app(self._request, app, "oauth2_token"), **options)


class ClientMaker:
    """The value of the ``oauth2_client`` fixture.

    :param request: the test's fixture request (to find an ``app`` fixture).
    """

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self._request = request

    def __call__(self, app: Flask | None = None, **options: Any) -> RegisteredClient:
        """Make a client: see
        :func:`~flask_oauthlib_provider_oauth2.testing.create_client` for ``options``
        (``client_id``, ``confidential``, ``redirect_uris``, ``scopes`` ...)."""
        from .testing import create_client

        return create_client(_app(self._request, app, "oauth2_client"), **options)


@pytest.fixture
def oauth2_token(request: pytest.FixtureRequest) -> TokenMinter:
    """Mint access tokens in the app's storage: ``oauth2_token(user=..., scopes=[...])``."""
    return TokenMinter(request)


@pytest.fixture
def oauth2_client(request: pytest.FixtureRequest) -> ClientMaker:
    """Make clients with the provider's clientsetter: ``oauth2_client(scopes=[...])``."""
    return ClientMaker(request)
