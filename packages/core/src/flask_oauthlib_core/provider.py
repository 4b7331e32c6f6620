"""What the OAuth 1 and OAuth 2 providers share: the registry of storage functions, the
custom validator, per-app state, hooks and the error page.

A provider is one object that may serve several apps (application factories). What it
builds from an app's config (its oauthlib server and settings) lives in that app's
``extensions``, built on first use. Registering a storage function, or assigning
``_validator``, drops what was built, so the next request builds it again: nothing is
compared on each request.

.. versionadded:: 1.1
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

from flask import Flask, current_app, url_for

from .context import app_context_for
from .errorpage import DEFAULT_ERROR_PATH, register_error_page
from .redaction import install_redaction
from .transport import warn_if_insecure_transport

__all__ = ["AppState", "ProviderBase"]

F = TypeVar("F", bound=Callable[..., Any])
ServerT = TypeVar("ServerT")
SettingsT = TypeVar("SettingsT")
ValidatorT = TypeVar("ValidatorT")


#: held while a server is built (once per app and registration; reentrant)
_BUILDING = threading.RLock()


class AppState(Generic[ServerT, SettingsT]):
    """What a provider built for one app: its server and its resolved settings."""

    __slots__ = ("__weakref__", "server", "settings")

    def __init__(self) -> None:
        self.server: ServerT | None = None
        self.settings: SettingsT | None = None


class ProviderBase(Generic[ServerT, SettingsT, ValidatorT]):
    """The parts of a provider extension that do not depend on the protocol.

    Subclasses name their keys and defaults and build settings and a server for an app:

    - :attr:`extension_key` -- the key of the provider in ``app.extensions``;
    - :attr:`state_key` -- the key of its per-app :class:`AppState`;
    - :attr:`config_prefix` -- ``"OAUTH2_PROVIDER_"`` or ``"OAUTH1_PROVIDER_"``;
    - :attr:`defaults` -- the config keys set with ``setdefault`` by :meth:`init_app`;
    - :meth:`_resolve_settings` -- the typed settings of an app, from its config;
    - :meth:`_build_server` -- the oauthlib server of an app.
    """

    extension_key: ClassVar[str]
    state_key: ClassVar[str]
    config_prefix: ClassVar[str]
    defaults: ClassVar[Mapping[str, Any]]

    def __init__(self, app: Flask | None = None) -> None:
        self._before_request_funcs: list[Callable[[], Any]] = []
        self._after_request_funcs: list[Callable[[bool, Any], tuple[bool, Any]]] = []
        self._getters: dict[str, Callable[..., Any]] = {}
        self._custom_validator: ValidatorT | None = None
        self._states: weakref.WeakSet[AppState[ServerT, SettingsT]] = weakref.WeakSet()
        self._assigned_error_uri: str | None = None
        #: the environ key marking a request this provider accepted (see :meth:`_accept`)
        self._checked_key = self.extension_key + ".checked"
        #: the app last initialised, as in 0.9.6 (used outside an app context only)
        self.app: Flask | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register the provider on ``app`` and default its config keys."""
        name = type(self).__name__
        existing = app.extensions.get(self.extension_key)
        if existing is not None and existing is not self:
            raise RuntimeError(
                f"Another {name} is already registered on {app.name!r}; use one provider per app."
            )
        for key, value in self.defaults.items():
            app.config.setdefault(key, value)
        state: AppState[ServerT, SettingsT] = AppState()
        app.extensions[self.extension_key] = self
        app.extensions[self.state_key] = state
        self._states.add(state)
        self.app = app
        register_error_page(app)
        warn_if_insecure_transport(logging.getLogger(type(self).__module__))
        install_redaction(app)

    # -- storage functions and the validator ---------------------------------------------

    def _register(self, name: str, f: F) -> F:
        """Keep ``f`` as the storage function ``name``; servers built so far are dropped."""
        self._getters[name] = f
        self._reset()
        return f

    def _reset(self) -> None:
        """Forget every app's server and settings: the next request builds them again."""
        for state in list(self._states):
            state.server = None
            state.settings = None

    @property
    def _validator(self) -> ValidatorT | None:
        """A validator assigned by the app (as 0.9.6 apps do), used instead of one built
        from the registered functions."""
        return self._custom_validator

    @_validator.setter
    def _validator(self, validator: ValidatorT | None) -> None:
        self._custom_validator = validator
        self._reset()

    # -- per-app state -------------------------------------------------------------------

    def _state(self) -> AppState[ServerT, SettingsT]:
        """The current app's state; a clear error on an app this provider was not
        initialised on."""
        state: AppState[ServerT, SettingsT] | None = current_app.extensions.get(self.state_key)
        if state is None or current_app.extensions.get(self.extension_key) is not self:
            name = type(self).__name__
            raise RuntimeError(
                f"{name} is not initialised on the app {current_app.name!r}; pass the app to"
                f" {name}(app) or call init_app(app) in your application factory."
            )
        return state

    def _built(self) -> tuple[ServerT, SettingsT]:
        """The current app's server and settings, built on first use."""
        state = self._state()
        settings, server = state.settings, state.server
        if settings is not None and server is not None:
            return server, settings
        # built once: concurrent first requests would each build a server, and the
        # state a server keeps (fetch limits, memory stores) would be split between them
        with _BUILDING:
            settings = state.settings
            if settings is None:
                settings = state.settings = self._resolve_settings(current_app)
            server = state.server
            if server is None:
                app = current_app._get_current_object()  # type: ignore[attr-defined]
                server = state.server = self._build_server(app, settings)
        return server, settings

    def _resolve_settings(self, app: Flask) -> SettingsT:
        """The settings of ``app``, from its config."""
        raise NotImplementedError

    def _build_server(self, app: Flask, settings: SettingsT) -> ServerT:
        """The server of ``app``, from its settings and the registrations."""
        raise NotImplementedError

    def _server(self) -> ServerT:
        """The oauthlib server of the current app, built on first use."""
        return self._built()[0]

    @property
    def server(self) -> ServerT:
        """The oauthlib server of the current app (or, outside an app context, of the app
        last initialised), built on first use.

        As in 0.9.6 an app may assign its own server; it serves the current app (or the
        app last initialised) until a storage function is registered again.
        """
        with app_context_for(self.app):
            return self._server()

    @server.setter
    def server(self, server: ServerT) -> None:
        with app_context_for(self.app):
            state = self._state()
            if state.settings is None:
                state.settings = self._resolve_settings(current_app)
            state.server = server

    @property
    def settings(self) -> SettingsT:
        """The current app's settings (or, outside an app context, the app last
        initialised's), resolved once from its config on first use."""
        with app_context_for(self.app):
            state = self._state()
            if state.settings is None:
                state.settings = self._resolve_settings(current_app)
            return state.settings

    # -- hooks ---------------------------------------------------------------------------

    def before_request(self, f: F) -> F:
        """Register ``f()`` to run before a protected resource is checked; a value it
        returns is the answer and the check does not run."""
        self._before_request_funcs.append(f)
        return f

    def after_request(self, f: F) -> F:
        """Register ``f(valid, oauth_request)`` returning ``(valid, oauth_request)``,
        run after the token check of a protected resource."""
        self._after_request_funcs.append(f)
        return f

    def _run_before_request(self) -> Any:
        """The first value a :meth:`before_request` function returned, or ``None``."""
        for func in self._before_request_funcs:
            rv = func()
            if rv is not None:
                return rv
        return None

    def _run_after_request(self, valid: bool, oauth_request: Any) -> tuple[bool, Any]:
        for func in self._after_request_funcs:
            valid, oauth_request = func(valid, oauth_request)
        return valid, oauth_request

    # -- protected resources -------------------------------------------------------------

    def _accept(self, flask_request: Any, oauth_request: Any) -> None:
        """Put the request a protected view accepted on ``flask_request.oauth``, marked
        as checked by this provider (for stacked decorators)."""
        flask_request.oauth = oauth_request
        # weakly: the request holds it already, and a cycle would wait for the collector
        flask_request.environ[self._checked_key] = (self, weakref.ref(oauth_request))

    def _accepted(self, flask_request: Any) -> Any:
        """The request this provider accepted earlier in ``flask_request`` (an outer
        protecting decorator), if ``flask_request.oauth`` is still that one; else
        ``None``. Whatever else set ``request.oauth`` is not trusted."""
        checked = flask_request.environ.get(self._checked_key)
        if checked is None or checked[0] is not self:
            return None
        accepted = checked[1]()
        if accepted is None or getattr(flask_request, "oauth", None) is not accepted:
            return None
        return accepted

    # -- where errors are shown ----------------------------------------------------------

    @property
    def error_uri(self) -> str:
        """Where fatal authorization errors are shown (see :meth:`_error_uri`); an app
        may assign it, as 0.9.6 allowed."""
        if self._assigned_error_uri is not None:
            return self._assigned_error_uri
        with app_context_for(self.app):
            return self._error_uri()

    @error_uri.setter
    def error_uri(self, uri: str | None) -> None:
        self._assigned_error_uri = uri

    def _error_uri(self) -> str:
        """Where fatal authorization errors are shown: ``<PREFIX>ERROR_URI``, the URL of
        ``<PREFIX>ERROR_ENDPOINT``, or ``/oauth/errors``."""
        config = current_app.config
        uri = config.get(self.config_prefix + "ERROR_URI")
        if uri:
            return str(uri)
        endpoint = config.get(self.config_prefix + "ERROR_ENDPOINT")
        if endpoint:
            return url_for(endpoint)
        return DEFAULT_ERROR_PATH
