"""The contrib client of 0.9.6 (``flask_oauthlib.contrib.client``), on requests-oauthlib.

A second client API next to :class:`flask_oauthlib_client.OAuth`: remote applications
are :class:`~.application.OAuth1Application` and :class:`~.application.OAuth2Application`
objects whose requests go through requests-oauthlib sessions, returning
``requests.Response`` objects::

    from flask_oauthlib.contrib.client import OAuth

    oauth = OAuth(app)
    github = oauth.remote_app(
        "github",
        endpoint_url="https://api.github.com/",
        access_token_url="https://github.com/login/oauth/access_token",
        authorization_url="https://github.com/login/oauth/authorize",
    )  # GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET in app.config

On top of 0.9.6 it checks that an OAuth 2 callback belongs to a login this session
started, sends PKCE, keeps no cookies and gives every request a timeout.

.. versionadded:: 1.1
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Iterator, MutableMapping
from typing import Any

from flask import Flask, current_app
from werkzeug.local import LocalProxy

from flask_oauthlib_core import install_redaction

from .application import BaseApplication, OAuth1Application, OAuth2Application

__all__ = [
    "OAuth",
    "OAuth1Application",
    "OAuth2Application",
    "OAuthState",
    "cached_clients",
    "get_cached_clients",
]

#: how many sessions (one per token) each app keeps
CACHE_SIZE = 256


class _ClientCache(MutableMapping[Any, Any]):
    """A thread-safe mapping that forgets its least recently used entries."""

    def __init__(self, maxsize: int = CACHE_SIZE) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __getitem__(self, key: Any) -> Any:
        with self._lock:
            value = self._data[key]
            self._data.move_to_end(key)
            return value

    def __setitem__(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __delitem__(self, key: Any) -> None:
        with self._lock:
            del self._data[key]

    def __iter__(self) -> Iterator[Any]:
        with self._lock:
            return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)


class OAuth:
    """The extension: a registry of contrib remote applications.

    ::

        oauth = OAuth(app)
        # or
        oauth = OAuth()
        oauth.init_app(app)

    Applications are reachable as ``oauth.<name>`` and ``oauth["<name>"]``.

    :param app: the Flask application, or ``None`` to call :meth:`init_app` later.
    """

    #: the key of the per-app :class:`OAuthState` in ``app.extensions``
    state_key = "oauthlib.contrib.client"

    def __init__(self, app: Flask | None = None) -> None:
        self.remote_apps: dict[str, BaseApplication] = {}
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Give ``app`` its own :class:`OAuthState` (the session cache).

        The loggers of oauthlib, requests-oauthlib and urllib3 get a filter that masks
        credentials in their records, here and nowhere else, unless the app's config
        sets ``OAUTHLIB_REDACT_LOGS = False``.

        :param app: the Flask application.

        .. versionchanged:: 1.1
            Honours ``OAUTHLIB_REDACT_LOGS``.
        """
        app.extensions[self.state_key] = OAuthState()
        install_redaction(app)  # requests-oauthlib's loggers exist now

    def add_remote_app(
        self, remote_app: BaseApplication, name: str | None = None, **kwargs: Any
    ) -> BaseApplication:
        """Register ``remote_app``, as ``name`` and with ``kwargs`` applied.

        With another name or any ``kwargs`` a copy is registered and ``remote_app`` is
        left as it is, so one application can serve as a prototype::

            oauth.add_remote_app(github, name="github_enterprise", endpoint_url=...)

        :returns: the registered application.
        """
        if name is None:
            name = remote_app.name
        if name != remote_app.name or kwargs:
            remote_app = copy.copy(remote_app)
            remote_app.name = name
            vars(remote_app).update(kwargs)
        if not hasattr(remote_app, "clients"):
            remote_app.clients = cached_clients
        self.remote_apps[name] = remote_app
        return remote_app

    def remote_app(self, name: str, version: str | None = None, **kwargs: Any) -> BaseApplication:
        """Create and register an application.

        :param name: its name.
        :param version: ``"1"`` (OAuth 1.0a) or ``"2"``; by default ``"1"`` when a
            ``request_token_url`` is given and ``"2"`` otherwise.
        :param kwargs: its settings.
        :raises ValueError: for another version.
        """
        if version is None:
            version = "1" if "request_token_url" in kwargs else "2"
        application: BaseApplication
        if str(version) == "1":
            application = OAuth1Application(name, clients=cached_clients)
        elif str(version) == "2":
            application = OAuth2Application(name, clients=cached_clients)
        else:
            raise ValueError(f"unknown version {version!r}")
        return self.add_remote_app(application, **kwargs)

    def __getitem__(self, name: str) -> BaseApplication:
        return self.remote_apps[name]

    def __getattr__(self, key: str) -> BaseApplication:
        remote_apps = self.__dict__.get("remote_apps", {})
        try:
            return remote_apps[key]  # type: ignore[no-any-return]
        except KeyError:
            raise AttributeError(f"No such app: {key}") from None


class OAuthState:
    """What the extension keeps per Flask app: the session cache.

    :ivar cached_clients: sessions by application and token, the least recently used
        dropped beyond 256.
    """

    def __init__(self) -> None:
        self.cached_clients: MutableMapping[Any, Any] = _ClientCache()


def get_cached_clients() -> MutableMapping[Any, Any]:
    """Return the session cache of the current app.

    :raises RuntimeError: if :meth:`OAuth.init_app` was not called on it.
    """
    state = current_app.extensions.get(OAuth.state_key)
    if state is None:
        raise RuntimeError(f"{current_app!r} is not initialized.")
    return state.cached_clients  # type: ignore[no-any-return]


#: the current app's session cache (:func:`get_cached_clients`)
cached_clients: MutableMapping[Any, Any] = LocalProxy(get_cached_clients)  # type: ignore[assignment]
