"""One data entry per provider, and the factory that turns it into a remote app."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from flask_oauthlib_client import OAuth, OAuthRemoteApp

__all__ = ["KwargsProcessor", "Provider", "RemoteAppFactory", "make_scope_processor"]

#: a function ``fn(**kwargs) -> kwargs`` that adjusts the arguments of
#: :meth:`OAuth.remote_app` before a factory creates the app
KwargsProcessor = Callable[..., dict[str, Any]]
P = TypeVar("P", bound=KwargsProcessor)

#: the arguments of :meth:`OAuth.remote_app` that may hold ``{placeholders}``
_URL_KEYS = (
    "base_url",
    "authorize_url",
    "access_token_url",
    "request_token_url",
    "server_metadata_url",
)
#: arguments the factory sets itself
_RESERVED = ("name", "register")


@dataclass(frozen=True)
class Provider:
    """What a remote app needs to know about one provider.

    URLs may hold ``{placeholders}`` filled from keyword arguments of
    :meth:`RemoteAppFactory.register_to` (``tenant=...``, ``domain=...``), with defaults
    from :attr:`url_params`.

    An OpenID Connect provider has a ``server_metadata_url`` (its discovery document)
    and ``openid`` in its ``default_scope``: its logins verify their ID token against
    the keys the document names (the client's ``oidc`` extra), and
    :meth:`OAuthRemoteApp.userinfo` asks its userinfo endpoint. The endpoints given
    here are used as they are, so no document is fetched before the callback.

    .. versionchanged:: 1.1
        Added ``server_metadata_url``.
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
    server_metadata_url: str | None = None

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

    A factory is built from a :class:`Provider` entry, or, as in Flask-OAuthlib 0.9.6,
    from a default name, the keyword arguments of :meth:`OAuth.remote_app` and a
    docstring::

        gitea = RemoteAppFactory("gitea", {
            "base_url": "https://gitea.example/api/v1/",
            "request_token_url": None,
            "access_token_url": "https://gitea.example/login/oauth/access_token",
            "authorize_url": "https://gitea.example/login/oauth/authorize",
        }, "The OAuth app for our Gitea.")
        gitea.kwargs_processor(make_scope_processor("read:user"))
        gitea.register_to(oauth)

    :param default_name: the :class:`Provider`, or the name the app is registered as
        unless :meth:`register_to` is given another.
    :param kwargs: with a name: the preset keyword arguments of :meth:`OAuth.remote_app`
        (readable and changeable as :attr:`kwargs`; ``name`` and ``register`` are set by
        the factory).
    :param docstring: with a name: the factory's ``__doc__``.

    .. versionchanged:: 1.1
        Also built as in 0.9.6 from ``(default_name, kwargs, docstring)``; added
        :meth:`kwargs_processor`; :attr:`kwargs` holds the preset arguments of a
        provider's factory too.
    """

    @overload
    def __init__(self, default_name: Provider) -> None: ...

    @overload
    def __init__(
        self, default_name: str, kwargs: Mapping[str, Any], docstring: str = ""
    ) -> None: ...

    def __init__(
        self,
        default_name: Provider | str,
        kwargs: Mapping[str, Any] | None = None,
        docstring: str = "",
    ) -> None:
        self.provider: Provider | None = None
        if isinstance(default_name, Provider):
            if kwargs is not None:
                raise TypeError("RemoteAppFactory(provider) takes no kwargs: use register_to()")
            self.provider = default_name
            kwargs, docstring = _preset_kwargs(default_name), _docstring(default_name)
            default_name = default_name.name
        elif kwargs is None:
            raise TypeError(f"RemoteAppFactory({default_name!r}) needs the remote app's kwargs")
        reserved = [key for key in _RESERVED if key in kwargs]
        if reserved:
            raise TypeError(f"RemoteAppFactory kwargs may not hold {', '.join(reserved)}")
        self.default_name: str = default_name
        self.kwargs: dict[str, Any] = dict(kwargs)
        self.__name__ = default_name
        self.__doc__ = docstring.lstrip()
        self._kwargs_processor: KwargsProcessor | None = None

    def __repr__(self) -> str:
        return f"<RemoteAppFactory {self.default_name!r}>"

    def register_to(self, oauth: OAuth, name: str | None = None, **kwargs: Any) -> OAuthRemoteApp:
        """Create the remote app and register it on ``oauth`` as ``name``."""
        return oauth.remote_app(**self._final_kwargs(name=name or self.default_name, **kwargs))

    def create(self, oauth: OAuth, **kwargs: Any) -> OAuthRemoteApp:
        """Create the remote app without registering it."""
        return oauth.remote_app(
            **self._final_kwargs(name=self.default_name, register=False, **kwargs)
        )

    def __call__(self, oauth: OAuth, name: str | None = None, **kwargs: Any) -> OAuthRemoteApp:
        """Same as :meth:`register_to`."""
        return self.register_to(oauth, name, **kwargs)

    def kwargs_processor(self, fn: P) -> P:
        """Set ``fn(**kwargs) -> kwargs`` to adjust the arguments of every app this factory
        creates (it replaces the one set before); usable as a decorator::

            @github.kwargs_processor
            def ask_for_repos(**kwargs):
                kwargs.setdefault("scope", ["user:email", "repo"])
                return kwargs

        ``fn`` gets the preset :attr:`kwargs` updated with the caller's (``name``,
        ``app_key``, ``scope`` as given). On a provider's factory it runs before the
        factory's own scope and URL handling, where 0.9.6 ran its scope processor, so
        ``make_scope_processor("repo")`` changes the default scope as it did then.

        .. versionadded:: 1.1
        """
        self._kwargs_processor = fn
        return fn

    def _final_kwargs(self, **given: Any) -> dict[str, Any]:
        kwargs = copy.deepcopy(self.kwargs)
        kwargs.update(copy.deepcopy(given))
        kwargs.setdefault("app_key", kwargs["name"].upper())
        if self._kwargs_processor is not None:
            kwargs = self._kwargs_processor(**kwargs)
        if self.provider is not None:
            _apply_provider(self.provider, kwargs)
        return kwargs


def make_scope_processor(default_scope: str) -> KwargsProcessor:
    """A :meth:`RemoteAppFactory.kwargs_processor` that turns a ``scope`` argument (a
    string, or a list joined with ``","``; ``default_scope`` when not given) into
    ``request_token_params["scope"]``, unless that is set already::

        factory.kwargs_processor(make_scope_processor("user:email"))
        factory.register_to(oauth, scope=["user:email", "repo"])  # "user:email,repo"

    .. versionadded:: 1.1
    """

    def processor(**kwargs: Any) -> dict[str, Any]:
        _move_scope(kwargs, [default_scope], ",")
        return kwargs

    return processor


def _move_scope(kwargs: dict[str, Any], default: Sequence[str], separator: str) -> None:
    """Pop ``scope`` (a string, or a list to join) into ``request_token_params``, where a
    scope given there wins."""
    scope = kwargs.pop("scope", default)
    if not isinstance(scope, str | bytes):
        scope = separator.join(scope)
    params = kwargs["request_token_params"] = dict(kwargs.get("request_token_params") or {})
    if scope:
        params.setdefault("scope", scope)


def _preset_kwargs(provider: Provider) -> dict[str, Any]:
    """The keyword arguments of :meth:`OAuth.remote_app` that ``provider`` fixes (URLs
    still with their ``{placeholders}``)."""
    kwargs: dict[str, Any] = {
        "base_url": provider.base_url or None,
        "authorize_url": provider.authorize_url,
        "access_token_url": provider.access_token_url,
        "request_token_url": provider.request_token_url,
        "access_token_method": "POST",
        "request_token_method": "POST" if provider.is_oauth1 else None,
        "content_type": provider.content_type,
        "access_token_headers": dict(provider.access_token_headers) or None,
    }
    if provider.server_metadata_url:
        kwargs["server_metadata_url"] = provider.server_metadata_url
    if not provider.is_oauth1:
        kwargs["pkce"] = provider.pkce
    return kwargs


def _apply_provider(provider: Provider, kwargs: dict[str, Any]) -> None:
    """Fill the URL placeholders and the default scope of ``provider`` into ``kwargs``."""
    url_params = {key: kwargs.pop(key, default) for key, default in provider.url_params.items()}
    missing = [key for key, value in url_params.items() if not value]
    if missing:
        raise TypeError(f"{provider.name}.register_to() needs {', '.join(missing)}=...")
    if url_params:
        for key in _URL_KEYS:
            if isinstance(kwargs.get(key), str):
                kwargs[key] = kwargs[key].format(**url_params)
    if provider.is_oauth1:
        if kwargs.pop("scope", None) is not None:
            raise TypeError(f"{provider.name} uses OAuth 1.0a, which has no scope argument")
        kwargs["request_token_params"] = dict(kwargs.get("request_token_params") or {})
    else:
        _move_scope(kwargs, provider.default_scope, provider.scope_separator)


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
    if provider.server_metadata_url:
        lines.append(f"- OpenID Connect: ``{provider.server_metadata_url}``")
    if provider.url_params:
        lines.append("- parameters: " + ", ".join(f"``{k}``" for k in provider.url_params))
    return "\n".join(lines)
