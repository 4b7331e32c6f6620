"""How a remote app finds its settings: given directly, or lazily in ``app.config``."""

from __future__ import annotations

from typing import Any

from flask import current_app

__all__ = ["MissingSetting", "SettingsSource"]

_UNSET: Any = object()


class MissingSetting(KeyError):
    """A required setting of a remote application is not configured anywhere."""

    def __str__(self) -> str:
        return str(self.args[0])


class SettingsSource:
    """Resolve one remote app's settings.

    A value passed to the constructor wins. Otherwise, with an ``app_key``, the value
    is read at use time from the current app's config, either from a dict
    (``app.config["GITHUB"] = {"consumer_key": ...}``) or from a flat key
    (``app.config["GITHUB_CONSUMER_KEY"]``), so an application factory can configure
    the app after the remote app is declared.
    """

    def __init__(self, remote_name: str, app_key: str | None, given: dict[str, Any]) -> None:
        self.remote_name = remote_name
        self.app_key = app_key
        self.given = given

    def get(self, key: str, default: Any = None, required: bool = False) -> Any:
        """Return the setting ``key``; raise :class:`MissingSetting` if required and absent."""
        value = self.given.get(key)
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
        config = current_app.config
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
