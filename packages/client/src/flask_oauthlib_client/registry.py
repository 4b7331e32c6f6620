"""The ``OAuth`` extension: a registry of remote applications."""

from __future__ import annotations

import logging
from typing import Any

import requests
from flask import Flask

from flask_oauthlib_core import install_redaction, warn_if_insecure_transport

from .jwks import JWKS_KEY, JwksCache
from .metadata import METADATA_KEY, MetadataCache
from .registration import REGISTRATIONS_KEY, Registrations
from .remote import OAuthRemoteApp
from .settings import EXTENSION_KEY, config_app
from .transport import HTTP_KEY, pooled_session

__all__ = ["EXTENSION_KEY", "OAuth"]

log = logging.getLogger(__name__)


class OAuth:
    """Registry of the remote applications a Flask app logs in with.

    Bind it to an app at once or later, in an application factory::

        oauth = OAuth(app)
        # or
        oauth = OAuth()
        oauth.init_app(app)

    Remote apps registered with :meth:`remote_app` are reachable as attributes,
    ``oauth.github``, and in :attr:`remote_apps`; the object itself is
    ``app.extensions["oauthlib.client"]``.

    :param app: the Flask application, or ``None`` to call :meth:`init_app` later.

    :ivar remote_apps: the registered remote apps by name.
    :ivar app: the app last bound with ``OAuth(app)`` or :meth:`init_app` (``None``
        before). Remote apps with an ``app_key`` read its config when no app context is
        pushed; inside one, the current app's, so several apps can share an ``OAuth``.

    .. versionchanged:: 1.1
        ``app.extensions["oauthlib.client"]`` is this object again, as in 0.9.6, and
        :attr:`app` is back; the pooled HTTP session is
        ``app.extensions["oauthlib.client.http"]``, the server metadata documents are
        cached in ``app.extensions["oauthlib.client.metadata"]``.
    """

    def __init__(self, app: Flask | None = None) -> None:
        self.remote_apps: dict[str, OAuthRemoteApp] = {}
        self.app: Flask | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register the extension on ``app``.

        It becomes ``app.extensions["oauthlib.client"]``; the app gets one pooled HTTP
        session for all remote calls, which keeps no cookies
        (``app.extensions["oauthlib.client.http"]``), its own cache of server
        metadata documents (``app.extensions["oauthlib.client.metadata"]``, a
        :class:`~flask_oauthlib_client.metadata.MetadataCache`), of OpenID providers'
        key sets (``app.extensions["oauthlib.client.jwks"]``, a
        :class:`~flask_oauthlib_client.jwks.JwksCache`) and of the dynamic registrations
        its remote apps use (``app.extensions["oauthlib.client.registrations"]``, a
        :class:`~flask_oauthlib_client.registration.Registrations`).

        The loggers of oauthlib, requests-oauthlib and urllib3 get a filter that masks
        credentials in their records, here and nowhere else; set
        ``OAUTHLIB_REDACT_LOGS = False`` in the app's config first to leave them alone
        (and add :class:`flask_oauthlib_core.RedactingFilter` to your handlers instead).

        :param app: the Flask application.
        :raises RuntimeError: if another ``OAuth`` instance is already registered on it.

        .. versionchanged:: 1.1
            Creates the app's metadata and key set caches and its registrations;
            honours ``OAUTHLIB_REDACT_LOGS``.
        """
        existing = app.extensions.get(EXTENSION_KEY)
        if existing is not None and existing is not self:
            raise RuntimeError(
                "A different flask_oauthlib.client.OAuth instance is already registered on"
                f" {app.name!r}; use one OAuth object per app."
            )
        app.extensions[EXTENSION_KEY] = self
        if HTTP_KEY not in app.extensions:
            app.extensions[HTTP_KEY] = pooled_session()
        if METADATA_KEY not in app.extensions:
            app.extensions[METADATA_KEY] = MetadataCache()
        if JWKS_KEY not in app.extensions:
            app.extensions[JWKS_KEY] = JwksCache()
        if REGISTRATIONS_KEY not in app.extensions:
            app.extensions[REGISTRATIONS_KEY] = Registrations()
        self.app = app
        warn_if_insecure_transport(log)
        install_redaction(app)

    def http_session(self, app: Flask | None = None) -> requests.Session:
        """Return the HTTP session the remote apps of ``app`` send every request with.

        It is a :class:`requests.Session` (a
        :class:`~flask_oauthlib_client.transport.ClientSession`): mount a transport
        adapter on it, with requests' own :meth:`~requests.Session.mount`, to send the
        calls made in ``app``'s contexts somewhere else, such as a test double (this is
        what :class:`flask_oauthlib_client.testing.RemoteStub` does) or an adapter of
        your network::

            session = oauth.http_session(app)
            session.mount("https://", my_adapter)

        Calls made with no app context (``OAuthRemoteApp.http_request`` called
        directly) use a session of their own and do not pass through it.

        :param app: the Flask app; the current app by default, else :attr:`app`.
        :raises RuntimeError: if this ``OAuth`` is not initialised on that app (or, without
            ``app``, on any).

        .. versionadded:: 1.1
        """
        if app is None:
            app = config_app(self)
        if app.extensions.get(EXTENSION_KEY) is not self:
            raise RuntimeError(
                "this flask_oauthlib.client.OAuth is not initialised on the app; pass the"
                " app to OAuth(app) or call oauth.init_app(app) first."
            )
        session: requests.Session = app.extensions[HTTP_KEY]
        return session

    def remote_app(self, name: str, register: bool = True, **kwargs: Any) -> OAuthRemoteApp:
        """Create a remote application.

        :param name: the name of the remote application; it also prefixes the keys the
            client keeps in the Flask session.
        :param register: keep it in this registry (``oauth.<name>``).
        :param kwargs: see :class:`OAuthRemoteApp`.
        """
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
