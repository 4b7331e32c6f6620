"""A remote app's settings: given directly, or read lazily from ``app.config``.

:class:`SettingsSource` resolves one setting, :class:`setting` makes it an attribute
that can be assigned and deleted like 0.9.6's ``cached_property``, :func:`config_app`
finds the app whose config is read, and :class:`RemoteSettings` declares the settings
every :class:`~flask_oauthlib_client.OAuthRemoteApp` has.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload

from flask import Flask, current_app, has_app_context

from .exceptions import OAuthException
from .metadata import MetadataCache, fetch_metadata, issuer_origin_matches, metadata_cache
from .rfc8707 import resource_list
from .transport import DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_TIMEOUT, HTTPCall

__all__ = [
    "EXTENSION_KEY",
    "MissingSetting",
    "Registry",
    "RemoteSettings",
    "SettingsSource",
    "config_app",
    "setting",
]

#: ``app.extensions[EXTENSION_KEY]`` is the app's :class:`~flask_oauthlib_client.OAuth`,
#: as in 0.9.6 (also importable from :mod:`flask_oauthlib_client.registry`)
EXTENSION_KEY = "oauthlib.client"

_UNSET: Any = object()
T = TypeVar("T")


class MissingSetting(KeyError):
    """A required setting of a remote application is not configured anywhere."""

    def __str__(self) -> str:
        return str(self.args[0])


class Registry(Protocol):
    """What a remote app knows of the :class:`~flask_oauthlib_client.OAuth` that made it.

    .. versionadded:: 1.1
    """

    @property
    def app(self) -> Flask | None:
        """The app the registry was last bound to, if any."""

    @property
    def remote_apps(self) -> Mapping[str, Any]:
        """The registered remote apps, by name."""


def config_app(oauth: object) -> Flask:
    """Return the app whose config a remote app of ``oauth`` reads its settings from.

    The current app when ``oauth`` is registered on it (several apps may share one
    ``OAuth``); else the app ``oauth`` was bound to with ``OAuth(app)`` or
    :meth:`~flask_oauthlib_client.OAuth.init_app`, so settings can be read with no
    app context, as in 0.9.6; else the current app.

    :raises RuntimeError: outside an app context when ``oauth`` is bound to no app.
    """
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


class RemoteSettings:
    """The settings of a remote app, each an attribute read on every access.

    A mixin of :class:`~flask_oauthlib_client.OAuthRemoteApp`, which documents each
    setting as a constructor parameter. The endpoints and the issuer not configured are
    read from the server's metadata document (``server_metadata_url``), fetched once
    per Flask app (see :mod:`~flask_oauthlib_client.metadata`).

    .. versionadded:: 1.1
        Split out of ``remote.py``; the settings are those of 1.0.
    """

    if TYPE_CHECKING:  # provided by OAuthRemoteApp
        name: str
        oauth: Registry
        _settings: SettingsSource

        _http: HTTPCall

        def _registered(self, key: str) -> tuple[bool, Any]: ...

    @setting
    def base_url(self) -> str | None:
        """The URL that relative request URLs are joined to."""
        return self._settings.get("base_url")  # type: ignore[no-any-return]

    @setting
    def request_token_url(self) -> str | None:
        """OAuth 1.0a request token URL; ``None`` for OAuth 2."""
        return self._settings.get("request_token_url")  # type: ignore[no-any-return]

    @setting
    def access_token_url(self) -> str:
        """The access token URL."""
        return self._endpoint("access_token_url", "token_endpoint")

    @setting
    def authorize_url(self) -> str:
        """The authorization URL."""
        return self._endpoint("authorize_url", "authorization_endpoint")

    @setting
    def consumer_key(self) -> str:
        """The client key (OAuth 1) or client id (OAuth 2); while a dynamic registration
        is in use (:meth:`~.registration.DynamicRegistration.register`), its
        ``client_id`` unless assigned here."""
        found, registered = self._registered("consumer_key")
        if found:
            return str(registered)
        return self._settings.get("consumer_key", required=True)  # type: ignore[no-any-return]

    @setting
    def consumer_secret(self) -> str | None:
        """The client secret; required for OAuth 1, optional for public OAuth 2 clients;
        a dynamic registration's ``client_secret`` (``None`` for a public client) while
        one is in use, unless assigned here."""
        found, registered = self._registered("consumer_secret")
        if found:
            return registered if isinstance(registered, str) else None
        required = self.request_token_url is not None
        return self._settings.get("consumer_secret", required=required)  # type: ignore[no-any-return]

    @setting
    def rsa_key(self) -> str | None:
        """OAuth 1.0a: the RSA private key for ``RSA-SHA1`` signatures."""
        return self._settings.get("rsa_key")  # type: ignore[no-any-return]

    @setting
    def signature_method(self) -> str | None:
        """OAuth 1.0a: the signature method; ``None`` means oauthlib's ``HMAC-SHA1``."""
        return self._settings.get("signature_method")  # type: ignore[no-any-return]

    @setting
    def request_token_params(self) -> dict[str, Any]:
        """Extra parameters for the request token (OAuth 1) or authorize (OAuth 2) URL.

        The configured dict itself, so changing it in place lasts, as in 0.9.6.
        """
        value = self._settings.get("request_token_params")
        return value if value is not None else {}

    @setting
    def request_token_method(self) -> str:
        """HTTP method for the request token URL."""
        return str(self._settings.get("request_token_method", "GET")).upper()

    @setting
    def access_token_params(self) -> dict[str, Any]:
        """Extra parameters for the access token URL (the configured dict itself)."""
        value = self._settings.get("access_token_params")
        return value if value is not None else {}

    @setting
    def access_token_method(self) -> str:
        """HTTP method for the access token URL, ``POST`` unless configured."""
        return str(self._settings.get("access_token_method", "POST")).upper()

    @setting
    def access_token_headers(self) -> dict[str, str]:
        """Extra headers for the access token URL (the configured dict itself)."""
        value = self._settings.get("access_token_headers")
        return value if value is not None else {}

    @setting
    def content_type(self) -> str | None:
        """The content type forced on the server's answers, if any."""
        return self._settings.get("content_type")  # type: ignore[no-any-return]

    @setting
    def pkce(self) -> bool:
        """Whether OAuth 2 authorization sends a PKCE S256 challenge."""
        return bool(self._settings.get("pkce", True))

    @setting
    def enforce_state(self) -> bool:
        """Whether a one-time ``state`` is bound to the session and checked."""
        return bool(self._settings.get("enforce_state", True))

    @setting
    def issuer(self) -> str | None:
        """The server's issuer identifier (RFC 9207), if known: ``issuer=``, else the
        metadata document's, which must be on the document's own origin
        (:func:`~.metadata.issuer_origin_matches`).

        :raises OAuthException: ``invalid_metadata`` for a document naming an issuer on
            another origin (a server claiming another's issuer, RFC 8414 3.3); give
            ``issuer=`` when the document is rightly served elsewhere.
        """
        issuer = self._settings.get("issuer")
        url = self._settings.get("server_metadata_url")
        if issuer is None and url:
            issuer = self.server_metadata.get("issuer")
            if issuer is not None and not issuer_origin_matches(issuer, url):
                raise OAuthException(
                    f"{self.name}: the metadata document names an issuer on another origin"
                    f" than its own ({issuer!r}); give issuer= if that is the server's",
                    type="invalid_metadata",
                )
        return issuer  # type: ignore[no-any-return]

    @setting
    def server_metadata_url(self) -> str | None:
        """The URL of the server's metadata document (RFC 8414 or OpenID Connect
        Discovery), if any."""
        return self._settings.get("server_metadata_url")  # type: ignore[no-any-return]

    @setting
    def resource(self) -> list[str]:
        """RFC 8707 resource indicators: the APIs OAuth 2 tokens are asked for (one URI
        or a list, configured; read as a list, ``[]`` for none). See :mod:`~.rfc8707`.

        .. versionadded:: 1.1
        """
        return resource_list(self._settings.get("resource"), self.name)

    @setting
    def use_par(self) -> bool:
        """Whether OAuth 2 authorization requests are pushed (RFC 9126, :mod:`~.par`);
        they are also when the server's metadata requires it.

        .. versionadded:: 1.2
        """
        return bool(self._settings.get("use_par", False))

    @setting
    def par_url(self) -> str | None:
        """The pushed authorization request endpoint; the metadata's
        ``pushed_authorization_request_endpoint`` unless configured.

        .. versionadded:: 1.2
        """
        value = self._settings.get("par_url")
        if value is None and self._settings.get("server_metadata_url"):
            value = self.server_metadata.get("pushed_authorization_request_endpoint")
        return value  # type: ignore[no-any-return]

    @setting
    def request_object_signing_alg(self) -> str | None:
        """The algorithm OAuth 2 authorization requests are signed with (RFC 9101,
        :mod:`~.jar`), with ``client_private_key``; ``None``: not signed.

        .. versionadded:: 1.2
        """
        return self._settings.get("request_object_signing_alg")  # type: ignore[no-any-return]

    @setting
    def token_endpoint_auth_method(self) -> str | None:
        """How the client authenticates at the token (and PAR) endpoint:
        ``client_secret_post``, ``client_secret_basic``, ``private_key_jwt``
        (:mod:`~.client_assertion`) or ``none``; ``None``: the registration's, else
        ``client_secret_post``.

        .. versionadded:: 1.2
        """
        return self._settings.get("token_endpoint_auth_method")  # type: ignore[no-any-return]

    @setting
    def client_private_key(self) -> Any:
        """The client's private key (PEM text, or a private JWK) for ``private_key_jwt``
        and signed authorization requests (see :func:`~.keys.load_key`).

        .. versionadded:: 1.2
        """
        return self._settings.get("client_private_key")

    @setting
    def client_key_id(self) -> str | None:
        """The ``kid`` of :attr:`client_private_key`, as the server knows it.

        .. versionadded:: 1.2
        """
        return self._settings.get("client_key_id")  # type: ignore[no-any-return]

    @setting
    def dpop(self) -> Any:
        """DPoP (RFC 9449, :mod:`~.dpop`): ``True`` (ES256, or what the server's
        metadata prefers), an algorithm (``"EdDSA"``, ``"PS256"`` ...), or ``None``.

        .. versionadded:: 1.2
        """
        return self._settings.get("dpop")

    @setting
    def timeout(self) -> float:
        """The most seconds a call to the remote server may take, all of it."""
        return float(self._settings.get("timeout", DEFAULT_TIMEOUT))

    @setting
    def max_response_size(self) -> int:
        """The most bytes an answer of the remote server may have, counted decoded
        (after gzip) while it is read; 10 MiB unless configured."""
        return int(self._settings.get("max_response_size", DEFAULT_MAX_RESPONSE_SIZE))

    @property
    def server_metadata(self) -> dict[str, Any]:
        """The server's metadata document from ``server_metadata_url``.

        Fetched once per Flask app (the app whose config the settings come from) and
        URL, and kept in that app's ``app.extensions["oauthlib.client.metadata"]``; with
        no app at all, fetched on each use.

        :raises MissingSetting: without a ``server_metadata_url``.
        :raises OAuthException: ``invalid_metadata`` if the server answers no JSON object.

        .. versionchanged:: 1.1
            Cached per Flask app, not on the remote app.
        """
        url = self._settings.get("server_metadata_url", required=True)
        return self._metadata_cache().get(url, self._fetch_metadata)

    def _metadata_cache(self) -> MetadataCache:
        """The metadata cache of the app this remote app reads its settings from."""
        try:
            return metadata_cache(config_app(self.oauth))
        except RuntimeError:  # no app at all: settings given directly, OAuth() unbound
            return MetadataCache()

    def _fetch_metadata(self, url: str) -> dict[str, Any]:
        """Fetch the document at ``url`` through :meth:`http_request`."""
        return fetch_metadata(self.name, url, self._http)

    def _endpoint(self, key: str, metadata_key: str) -> str:
        """The setting ``key``; if not configured, ``metadata_key`` of the metadata."""
        value = self._settings.get(key)
        if value is None and self._settings.get("server_metadata_url"):
            value = self.server_metadata.get(metadata_key)
        if value is None:
            value = self._settings.get(key, required=True)
        return value  # type: ignore[no-any-return]
