"""How a remote app finds its settings: given directly, or lazily in ``app.config``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

from flask import Flask, current_app, has_app_context

__all__ = ["MissingSetting", "SettingsSource", "config_app", "setting"]

_UNSET: Any = object()
T = TypeVar("T")


class MissingSetting(KeyError):
    """A required setting of a remote application is not configured anywhere."""

    def __str__(self) -> str:
        return str(self.args[0])


def config_app(oauth: object) -> Flask:
    """Return the app whose config a remote app of ``oauth`` reads its settings from.

    The current app when ``oauth`` is registered on it (several apps may share one
    ``OAuth``); else the app ``oauth`` was bound to with ``OAuth(app)`` or
    :meth:`~flask_oauthlib_client.OAuth.init_app`, so settings can be read with no
    app context, as in 0.9.6; else the current app.

    :raises RuntimeError: outside an app context when ``oauth`` is bound to no app.
    """
    from .registry import EXTENSION_KEY

    if has_app_context():
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
        if app.extensions.get(EXTENSION_KEY) is oauth:
            return app
    bound = getattr(oauth, "app", None)
    if isinstance(bound, Flask):
        return bound
    if has_app_context():
        return app
    raise RuntimeError(
        "the settings of this remote app are read from app.config, but there is no app:"
        " call oauth.init_app(app) or push an app context."
    )


class SettingsSource:
    """Resolve one remote app's settings.

    A value assigned to the attribute wins, then a value passed to the constructor.
    Otherwise, with an ``app_key``, the value is read at use time from the config of
    :func:`config_app`, either from a dict (``app.config["GITHUB"] = {"consumer_key":
    ...}``) or from a flat key (``app.config["GITHUB_CONSUMER_KEY"]``), so an
    application factory can configure the app after the remote app is declared.
    """

    def __init__(
        self,
        remote_name: str,
        app_key: str | None,
        given: dict[str, Any],
        app: Callable[[], Flask] | None = None,
    ) -> None:
        self.remote_name = remote_name
        self.app_key = app_key
        self.given = given
        self.assigned: dict[str, Any] = {}
        self._app = app or (lambda: current_app)

    def get(self, key: str, default: Any = None, required: bool = False) -> Any:
        """Return the setting ``key``; raise :class:`MissingSetting` if required and absent."""
        value = self.assigned.get(key, self.given.get(key))
        if value is not None:
            return value
        if self.app_key:
            value = self._from_config(key)
            if value is not _UNSET and value is not None:
                return value
        if required and default is None:
            raise MissingSetting(self._missing_message(key))
        return default

    def _from_config(self, key: str) -> Any:
        config = self._app().config
        if self.app_key in config:
            section = config[self.app_key]
            return section.get(key, _UNSET) if isinstance(section, dict) else _UNSET
        return config.get(f"{self.app_key}_{key.upper()}", _UNSET)

    def _missing_message(self, key: str) -> str:
        where = f"pass {key}= to remote_app({self.remote_name!r}, ...)"
        if self.app_key:
            where += (
                f" or set app.config[{self.app_key!r}][{key!r}]"
                f" or app.config[{(self.app_key + '_' + key.upper())!r}]"
            )
        return f"remote app {self.remote_name!r} has no {key!r} setting: {where}"


class setting(Generic[T]):  # noqa: N801 - used like ``property``
    """A remote app setting: read on each access, assignable, deletable.

    0.9.6 declared its settings as ``cached_property``: read once, then overridable by
    assignment (``remote.base_url = ...``) and reset by ``del``. A setting here is read
    on every access, so a config change is seen at once; assignment and ``del`` work as
    they did. The decorated method computes the value from ``self._settings``.
    """

    def __init__(self, fget: Callable[[Any], T]) -> None:
        self.fget = fget
        self.key = fget.__name__
        self.__doc__ = fget.__doc__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> setting[T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> setting[T] | T:
        if obj is None:
            return self
        return self.fget(obj)

    def __set__(self, obj: Any, value: T) -> None:
        obj._settings.assigned[self.key] = value

    def __delete__(self, obj: Any) -> None:
        obj._settings.assigned.pop(self.key, None)
