"""One data entry per provider, and the factory that turns it into a remote app."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_oauthlib_client import OAuth, OAuthRemoteApp

__all__ = ["Provider", "RemoteAppFactory"]


@dataclass(frozen=True)
class Provider:
    """What a remote app needs to know about one provider.

    URLs may hold ``{placeholders}`` filled from keyword arguments of
    :meth:`RemoteAppFactory.register_to` (``tenant=...``, ``domain=...``), with defaults
    from :attr:`url_params`.
    """

    name: str
    authorize_url: str
    access_token_url: str
    base_url: str = ""
    request_token_url: str | None = None  # set for OAuth 1.0a providers
    default_scope: tuple[str, ...] = ()
    scope_separator: str = " "
    pkce: bool = True
    content_type: str | None = None
    access_token_headers: Mapping[str, str] = field(default_factory=dict)
    url_params: Mapping[str, str | None] = field(default_factory=dict)
    docs: str = ""

    @property
    def is_oauth1(self) -> bool:
        return self.request_token_url is not None


class RemoteAppFactory:
    """Registers a ready-made remote app for one provider.

    ``github.register_to(oauth)`` registers it as ``oauth.github`` with its credentials
    read from ``app.config["GITHUB_CONSUMER_KEY"]`` and ``["GITHUB_CONSUMER_SECRET"]``
    (or a ``GITHUB`` dict); ``register_to(oauth, name="github2")`` reads ``GITHUB2_*``.
    ``scope`` may be a list or a string; any other keyword argument goes to
    :meth:`OAuth.remote_app`.
    """

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.__name__ = provider.name
        self.__doc__ = _docstring(provider)

    def __repr__(self) -> str:
        return f"<RemoteAppFactory {self.provider.name!r}>"

    @property
    def default_name(self) -> str:
        return self.provider.name

    def register_to(self, oauth: OAuth, name: str | None = None, **kwargs: Any) -> OAuthRemoteApp:
        """Create the remote app and register it on ``oauth`` as ``name``."""
        return oauth.remote_app(**self._kwargs(name or self.provider.name, kwargs))

    def create(self, oauth: OAuth, **kwargs: Any) -> OAuthRemoteApp:
        """Create the remote app without registering it."""
        return oauth.remote_app(register=False, **self._kwargs(self.provider.name, kwargs))

    def __call__(self, oauth: OAuth, name: str | None = None, **kwargs: Any) -> OAuthRemoteApp:
        """Same as :meth:`register_to`."""
        return self.register_to(oauth, name, **kwargs)

    def _kwargs(self, name: str, given: dict[str, Any]) -> dict[str, Any]:
        provider = self.provider
        given = copy.deepcopy(given)
        url_params = {key: given.pop(key, default) for key, default in provider.url_params.items()}
        missing = [key for key, value in url_params.items() if not value]
        if missing:
            raise TypeError(f"{provider.name}.register_to() needs {', '.join(missing)}=...")
        scope = given.pop("scope", None)
        if provider.is_oauth1 and scope is not None:
            raise TypeError(f"{provider.name} uses OAuth 1.0a, which has no scope argument")
        request_token_params = dict(given.pop("request_token_params", None) or {})
        if not provider.is_oauth1:
            scope = provider.default_scope if scope is None else scope
            if not isinstance(scope, str):
                scope = provider.scope_separator.join(scope)
            if scope:
                request_token_params.setdefault("scope", scope)
        kwargs: dict[str, Any] = {
            "name": name,
            "app_key": name.upper(),
            "base_url": provider.base_url.format(**url_params) or None,
            "authorize_url": provider.authorize_url.format(**url_params),
            "access_token_url": provider.access_token_url.format(**url_params),
            "request_token_url": (
                provider.request_token_url.format(**url_params)
                if provider.request_token_url is not None
                else None
            ),
            "access_token_method": "POST",
            "request_token_method": "POST" if provider.is_oauth1 else None,
            "request_token_params": request_token_params,
            "content_type": provider.content_type,
            "access_token_headers": dict(provider.access_token_headers) or None,
        }
        if not provider.is_oauth1:
            kwargs["pkce"] = provider.pkce
        kwargs.update(given)
        return kwargs


def _docstring(provider: Provider) -> str:
    kind = "OAuth 1.0a" if provider.is_oauth1 else "OAuth 2"
    lines = [
        f"The {kind} remote app for {provider.docs or provider.name}.",
        "",
        f"- authorize: ``{provider.authorize_url}``",
        f"- token: ``{provider.access_token_url}``",
    ]
    if provider.base_url:
        lines.append(f"- API base: ``{provider.base_url}``")
    if provider.default_scope:
        lines.append(
            f"- default scope: ``{provider.scope_separator.join(provider.default_scope)}``"
        )
    if not provider.is_oauth1:
        lines.append(f"- PKCE: {'on' if provider.pkce else 'off (not supported)'}")
    if provider.url_params:
        lines.append("- parameters: " + ", ".join(f"``{k}``" for k in provider.url_params))
    return "\n".join(lines)
