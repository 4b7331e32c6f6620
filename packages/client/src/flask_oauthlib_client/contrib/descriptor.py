"""Descriptors of the contrib client: settings from ``app.config``, data in the session."""

from __future__ import annotations

from typing import Any

from flask import current_app, session

__all__ = ["OAuthProperty", "WebSessionData"]

_missing: Any = object()


class OAuthProperty:
    """A setting of a remote application, given to it or read from ``app.config``.

    A value passed to the application (or assigned to the attribute) wins; otherwise
    the value is read on each access from ``current_app.config["<NAME>_<SETTING>"]``,
    for example ``DOUBAN_CLIENT_ID`` for the ``client_id`` of the application named
    ``douban``::

        class MyApplication(OAuth2Application):
            api_version = OAuthProperty("api_version", default="v2")

    :param name: the setting's name, also the attribute the value is stored under.
    :param default: the value when it is configured nowhere; without one a missing
        setting raises ``RuntimeError``.
    """

    def __init__(self, name: str, default: Any = _missing) -> None:
        self.name = name
        self.default = default

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        given = vars(instance)
        if self.name in given:
            return given[self.name]
        config_key = f"{instance.name}_{self.name}".upper()
        if config_key in current_app.config:
            return current_app.config[config_key]
        if self.default is not _missing:
            return self.default
        raise RuntimeError(
            f"{instance!r} has no {self.name}: pass {type(instance).__name__}(...,"
            f" {self.name}=...) or set app.config[{config_key!r}]"
        )

    def __set__(self, instance: Any, value: Any) -> None:
        vars(instance)[self.name] = value


class WebSessionData:
    """A value an application keeps in the Flask session between two requests.

    It is stored under ``_oauth_<application name>_<ident>``; deleting the attribute
    removes it from the session.

    :param ident: what the value is (``"state"``, ``"req_token"``, ...).
    """

    key_format = "_oauth_{0}_{1}"

    def __init__(self, ident: str) -> None:
        self.ident = ident

    def make_key(self, instance: Any) -> str:
        """Return the session key of this value for the application ``instance``."""
        return self.key_format.format(instance.name, self.ident)

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return session.get(self.make_key(instance))

    def __set__(self, instance: Any, value: Any) -> None:
        session[self.make_key(instance)] = value

    def __delete__(self, instance: Any) -> None:
        session.pop(self.make_key(instance), None)
