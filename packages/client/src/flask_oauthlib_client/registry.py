"""The ``OAuth`` extension: a registry of remote applications."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import requests
from flask import Flask, current_app

from flask_oauthlib_core import install_redaction, warn_if_insecure_transport

if TYPE_CHECKING:
    from .remote import OAuthRemoteApp

__all__ = ["OAuth"]

EXTENSION_KEY = "oauthlib.client"

log = logging.getLogger(__name__)


class _AppState:
    """What the client keeps per Flask app: its registry and one pooled HTTP session."""

    def __init__(self, oauth: OAuth) -> None:
        self.oauth = oauth
        self.http = requests.Session()


class OAuth:
    """Registry of the remote applications a Flask app logs in with.

    Bind it to an app at once or later, in an application factory::

        oauth = OAuth(app)
        # or
        oauth = OAuth()
        oauth.init_app(app)

    Remote apps registered with :meth:`remote_app` are reachable as attributes,
    ``oauth.github``, and in :attr:`remote_apps`.

    :param app: the Flask application, or ``None`` to call :meth:`init_app` later.
    """

    def __init__(self, app: Flask | None = None) -> None:
        self.remote_apps: dict[str, OAuthRemoteApp] = {}
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register the extension on ``app``.

        :raises RuntimeError: if another ``OAuth`` instance is already registered on it.
        """
        existing = app.extensions.get(EXTENSION_KEY)
        if existing is not None and existing.oauth is not self:
            raise RuntimeError(
                "A different flask_oauthlib.client.OAuth instance is already registered on"
                f" {app.name!r}; use one OAuth object per app."
            )
        app.extensions[EXTENSION_KEY] = _AppState(self)
        warn_if_insecure_transport(log)
        install_redaction()

    def remote_app(self, name: str, register: bool = True, **kwargs: Any) -> OAuthRemoteApp:
        """Create a remote application.

        :param name: the name of the remote application; it also prefixes the keys the
            client keeps in the Flask session.
        :param register: keep it in this registry (``oauth.<name>``).
        :param kwargs: see :class:`OAuthRemoteApp`.
        """
        from .remote import OAuthRemoteApp

        remote = OAuthRemoteApp(self, name, **kwargs)
        if register:
            self.remote_apps[name] = remote
        return remote

    def __getattr__(self, key: str) -> OAuthRemoteApp:
        remote_apps = self.__dict__.get("remote_apps", {})
        try:
            return remote_apps[key]  # type: ignore[no-any-return]
        except KeyError:
            raise AttributeError(f"no remote app named {key!r}") from None

    @staticmethod
    def _state() -> _AppState:
        try:
            state: _AppState = current_app.extensions[EXTENSION_KEY]
        except KeyError:
            raise RuntimeError(
                "flask_oauthlib.client.OAuth is not initialised on this app;"
                " pass the app to OAuth(app) or call oauth.init_app(app)."
            ) from None
        return state
