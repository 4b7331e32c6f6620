"""The ``OAuth2Provider`` Flask extension: a façade over the server, its features and
the resource protector."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, ClassVar, TypeVar, cast

from flask import Flask, Response, current_app, request

from flask_oauthlib_core import StorageUnavailable, log_unavailable

from . import rfc8414, rfc8628, rfc9728
from .authorization import AuthorizationEndpointMixin
from .config import DEFAULTS, OAuth2Settings
from .endpoints import call_endpoint, mark_endpoint, unavailable
from .features import Feature
from .oidc.cli import oidc as oidc_cli
from .oidc.logout import logout_view
from .registration import StorageFunctionsMixin
from .rfc6750 import BearerRequest, ResourceProtector
from .rfc9449 import DPoPTokenType
from .server import DEFAULT_FEATURES, Server, build_server
from .validation import scopes_match
from .validator import OAuth2RequestValidator

__all__ = ["OAuth2Provider"]

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

EXTENSION_KEY = "oauthlib.provider.oauth2"
STATE_KEY = "flask_oauthlib.provider.oauth2"


class OAuth2Provider(StorageFunctionsMixin, AuthorizationEndpointMixin):
    """Turn a Flask app into an OAuth 2 authorization and resource server.

    Bind it to an app now, or later in an application factory::

        oauth = OAuth2Provider(app)
        # or
        oauth = OAuth2Provider()
        oauth.init_app(app)

    Register the storage functions (:meth:`clientgetter`, :meth:`grantgetter`,
    :meth:`grantsetter`, :meth:`tokengetter`, :meth:`tokensetter`, and
    :meth:`usergetter` for the password grant), decorate the authorization and token
    views, then protect resources::

        @app.route("/api/me")
        @oauth.require_oauth("email")
        def me():
            return jsonify(name=request.oauth.user.name)

    Each app's ``OAUTH2_PROVIDER_*`` config is read once, on its first OAuth request,
    into :attr:`settings`; its server is built then from the registered functions and
    :attr:`features`. Registering a function again rebuilds both on the next request.

    :param app: the Flask app, or ``None`` to call :meth:`init_app` later.
    :param validator_class: an :class:`OAuth2RequestValidator` subclass to build the
        validator from the registered getters.
    :param features: the features the server is assembled from
        (:data:`~.server.DEFAULT_FEATURES` if ``None``).

    .. versionchanged:: 1.1
        Assembled from features (:meth:`add_feature`, :meth:`endpoint_handler`);
        settings resolved once per app.
    """

    extension_key: ClassVar[str] = EXTENSION_KEY
    state_key: ClassVar[str] = STATE_KEY
    config_prefix: ClassVar[str] = "OAUTH2_PROVIDER_"
    defaults: ClassVar[dict[str, Any]] = DEFAULTS

    def __init__(
        self,
        app: Flask | None = None,
        validator_class: type[OAuth2RequestValidator] | None = None,
        features: list[Feature] | None = None,
    ) -> None:
        self._invalid_response: Callable[[Any], Any] | None = None
        self._validator_class = validator_class or OAuth2RequestValidator
        self._features: list[Feature] = list(DEFAULT_FEATURES if features is None else features)
        #: checks the tokens of protected resources (``protector.register`` adds a type)
        self.protector = ResourceProtector()
        self.protector.register(DPoPTokenType(lambda: self.settings))
        super().__init__(app)

    def init_app(self, app: Flask) -> None:
        """Register the provider on ``app`` and default its ``OAUTH2_PROVIDER_*`` config."""
        super().init_app(app)
        if "oidc" not in app.cli.commands:  # flask oidc generate-key
            app.cli.add_command(oidc_cli)

    def invalid_response(self, f: F) -> F:
        """Register ``f(oauth_request)`` answering requests that fail
        :meth:`require_oauth`; by default they get an RFC 6750 JSON error."""
        self._invalid_response = f
        return f

    # -- features, the server and settings ------------------------------------------------

    @property
    def features(self) -> tuple[Feature, ...]:
        """The features every app's server is assembled from.

        .. versionadded:: 1.1
        """
        return tuple(self._features)

    def add_feature(self, feature: Feature) -> Feature:
        """Add ``feature`` to the servers of every app (built again on the next request).

        .. versionadded:: 1.1
        """
        self._features.append(feature)
        self._reset()
        return feature

    def _build_validator(self) -> OAuth2RequestValidator:
        if self._custom_validator is not None:
            return cast(OAuth2RequestValidator, self._custom_validator)
        getters = self._getters
        missing = [name for name in ("clientgetter", "tokengetter") if name not in getters]
        if missing:
            raise RuntimeError(
                "OAuth2Provider needs " + " and ".join(missing) + " registered (or assign a"
                " validator to oauth._validator) before it can handle requests."
            )
        options: dict[str, Any] = {
            "usergetter": getters.get("usergetter"),
            "tokensetter": getters.get("tokensetter"),
            "grantsetter": getters.get("grantsetter"),
        }
        # 0.9.6 validator classes lack them
        for name in (
            "devicegetter",
            "devicesetter",
            "claimsgetter",
            "logingetter",
            "clientsetter",
            "registration_policy",
        ):
            if name in getters:
                options[name] = getters[name]
        return self._validator_class(
            clientgetter=getters["clientgetter"],
            tokengetter=getters["tokengetter"],
            grantgetter=getters.get("grantgetter", _no_grant),
            **options,
        )

    def _resolve_settings(self, app: Flask) -> OAuth2Settings:
        return OAuth2Settings.from_config(app.config)

    def _build_server(self, app: Flask, settings: OAuth2Settings) -> Server:
        validator = self._build_validator()
        self._attach_replay_store(validator)
        self._attach_pushed_request_store(validator)
        self._attach_token_cache(validator, app)
        for hook in ("jwt_bearer_usergetter", "jwt_usergetter"):  # RFC 7523, RFC 9068
            if hook in self._getters:
                setattr(validator, "_" + hook, self._getters[hook])
        server = build_server(validator, settings, self._features)
        server.protector = self.protector  # the token types of userinfo too
        return server

    @property
    def issuer(self) -> str:
        """``OAUTH2_PROVIDER_ISSUER``, or the request's host URL."""
        return self.settings.issuer or request.host_url.rstrip("/")

    def _realm(self, settings: OAuth2Settings) -> str:
        """The ``realm`` of RFC 6750 challenges: the issuer if configured, else the host
        (cheaper than the issuer's full host URL, on every refused request)."""
        return settings.issuer or request.host

    # -- endpoints ----------------------------------------------------------------------

    def endpoint_handler(self, kind: str) -> Callable[[F], F]:
        """Decorate the view of the endpoint ``kind``, answered by the feature that
        names it (:attr:`.Feature.endpoints`); the view runs first and its return
        value goes to the feature.

        :raises LookupError: at decoration time if no feature of this provider answers
            ``kind`` (add the feature first).

        .. versionadded:: 1.1
        """
        if not any(kind in feature.endpoints for feature in self._features):
            raise LookupError(
                f"no feature of this provider answers {kind!r} requests; add it first"
                " with oauth.add_feature()"
            )

        def wrapper(f: F) -> F:
            @wraps(f)
            def decorated(*args: Any, **kwargs: Any) -> Any:
                server, settings = self._built()
                feature = server.feature(kind)
                view_result = f(*args, **kwargs)
                call = feature.endpoint(kind, server, view_result)
                return call_endpoint(call, kind, self._realm(settings))

            return mark_endpoint(cast(F, decorated), kind)

        return wrapper

    def token_handler(self, f: F) -> F:
        """Decorate the token view. It returns a dict of extra credentials (or ``None``)
        passed to the tokensetter through the request::

            @app.route("/oauth/token", methods=["POST"])
            @oauth.token_handler
            def access_token():
                return None
        """
        return self.endpoint_handler("token")(f)

    def revoke_handler(self, f: F) -> F:
        """Decorate the revocation view (RFC 7009); its return value is ignored::

        @app.route("/oauth/revoke", methods=["POST"])
        @oauth.revoke_handler
        def revoke_token():
            pass
        """
        return self.endpoint_handler("revocation")(f)

    def par_handler(self, f: F) -> F:
        """Decorate the pushed authorization request view (RFC 9126); its return value
        is ignored::

            @app.route("/oauth/par", methods=["POST"])
            @oauth.par_handler
            def par():
                return None

        Clients authenticate as at the token endpoint and get ``201`` with a one-time
        ``request_uri`` for the authorization endpoint (see :mod:`.rfc9126`); the store
        is :meth:`pushed_request_store`'s.

        .. versionadded:: 1.1
        """
        return self.endpoint_handler("par")(f)

    def introspect_handler(self, f: F) -> F:
        """Decorate the token introspection view (RFC 7662); its return value is
        ignored. Clients authenticate as at the token endpoint.

        .. versionadded:: 1.0
        """
        return self.endpoint_handler("introspection")(f)

    def device_authorization_handler(self, f: F) -> F:
        """Decorate the device authorization view (RFC 8628, oauthlib 4.x)::

            @app.route("/oauth/device", methods=["POST"])
            @oauth.device_authorization_handler
            def device():
                return None

        It answers ``device_code``, ``user_code``, ``verification_uri`` (from
        ``OAUTH2_PROVIDER_DEVICE_VERIFICATION_URI``), ``expires_in`` and ``interval``,
        after saving them with the :meth:`devicesetter`. Devices then poll the token
        endpoint with ``grant_type=urn:ietf:params:oauth:grant-type:device_code``.

        :raises RuntimeError: at decoration time on oauthlib < 4.0.

        .. versionadded:: 1.0
        """
        if not rfc8628.SUPPORTED:
            raise RuntimeError("the device authorization grant needs oauthlib >= 4.0")
        return self.endpoint_handler("device_authorization")(f)

    def registration_handler(self, f: F) -> F:
        """Decorate the client registration view (RFC 7591); its return value is
        ignored::

            @app.route("/oauth/register", methods=["POST"])
            @oauth.registration_handler
            def register():
                return None

        A client POSTs its metadata as JSON and gets 201 with its ``client_id`` (and a
        ``client_secret`` if confidential). Served while
        ``OAUTH2_PROVIDER_REGISTRATION_ENABLED`` is on and a :meth:`clientsetter` is
        registered (404 otherwise); :meth:`registration_policy` decides who may register.

        .. versionadded:: 1.1
        """
        return self.endpoint_handler("registration")(f)

    def client_configuration_handler(self, f: F) -> F:
        """Decorate the client configuration view (RFC 7592), whose URL carries the
        ``client_id``; its return value is ignored::

            @app.route("/oauth/register/<client_id>", methods=["GET", "PUT", "DELETE"])
            @oauth.client_configuration_handler
            def client_configuration(client_id):
                return None

        With it, registration answers a ``registration_access_token`` and this view's URL
        as ``registration_client_uri``; a client reads, updates or deletes its
        registration there with that token.

        .. versionadded:: 1.1
        """
        return self.endpoint_handler("client_configuration")(f)

    def logout_handler(self, f: F) -> F:
        """Decorate the RP-initiated logout view (OpenID Connect RP-Initiated Logout 1.0,
        the ``end_session_endpoint``). The view gets the checked request as keyword
        arguments (:class:`~.oidc.logout.LogoutRequest`, and ``csrf_token``) and logs the
        user out itself::

            @app.route("/oauth/logout", methods=["GET", "POST"])
            @oauth.logout_handler
            def logout(*args, **kwargs):
                if kwargs["confirmation_required"] and request.form.get("confirm") != "yes":
                    return render_template("logout.html", **kwargs)
                session.clear()
                return redirect(kwargs["post_logout_redirect_uri"] or "/")

        A request that fails a check goes to :attr:`error_uri`; while OpenID Connect is
        off the view answers 404.

        .. versionadded:: 1.1
        """
        return logout_view(self, f)

    def metadata_handler(self, f: F) -> F:
        """Decorate the view serving the authorization server metadata (RFC 8414),
        usually at ``/.well-known/oauth-authorization-server``. Endpoint URLs are found
        from the views decorated by this provider; a dict the view returns is merged
        into the document.

        .. versionadded:: 1.0
        """

        @wraps(f)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            extra = f(*args, **kwargs) or {}
            document = rfc8414.metadata(self.server, current_app)
            document.update(extra)
            return Response(json.dumps(document), mimetype="application/json")

        return mark_endpoint(cast(F, decorated), "metadata")

    def resource_metadata_handler(self, f: F) -> F:
        """Decorate the view serving protected resource metadata (RFC 9728), routed at
        ``/.well-known/oauth-protected-resource`` and, for resources with a path, below
        it::

            @app.route("/.well-known/oauth-protected-resource")
            @app.route("/.well-known/oauth-protected-resource/<path:resource>")
            @oauth.resource_metadata_handler
            def resource_metadata(resource=None):
                return {"resource_name": "Example API"}

        The document of the resource whose metadata URL was requested
        (``OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS``, or this host) names this provider as
        its authorization server, the scopes ``require_oauth`` needs and the ways a
        token may be sent; a dict the view returns is merged in. Another URL gets 404.
        From then on refusals of ``require_oauth`` carry the document's URL as
        ``resource_metadata`` (see :mod:`.rfc9728`).

        .. versionadded:: 1.1
        """
        return rfc9728.resource_metadata_view(self, f)

    # -- resource protection ------------------------------------------------------------

    def verify_request(self, scopes: Any) -> tuple[bool, Any]:
        """Check the bearer token of the current request for ``scopes``.

        Returns ``(valid, oauth_request)``; the request carries ``user``, ``client``,
        ``scopes`` and ``access_token`` when valid, ``error_message`` when not. Tokens
        are read from the ``Authorization`` header only, unless
        ``OAUTH2_PROVIDER_ALLOW_TOKEN_IN_QUERY`` is set.
        """
        return self._verify(request._get_current_object(), list(scopes))  # type: ignore[attr-defined]

    def _verify(self, flask_request: Any, scopes: list[str]) -> tuple[bool, BearerRequest]:
        """:meth:`verify_request` on the request object itself (the hot path)."""
        extensions = current_app.extensions
        state = extensions.get(STATE_KEY)
        server = state and state.server
        settings = state and state.settings
        if server is None or settings is None or extensions.get(EXTENSION_KEY) is not self:
            server, settings = self._built()  # builds, or says the provider is not on this app
        return self.protector.verify(flask_request, scopes, server.request_validator, settings)

    def require_oauth(self, *scopes: str) -> Callable[[F], F]:
        """Protect a view: it runs only with a valid bearer token carrying every scope
        in ``scopes``, and finds the token's ``user``, ``client``, ``scopes`` and
        ``access_token`` on ``request.oauth``.

        Stacked decorators each check their own scopes: an inner one trusts the token
        only when this provider's outer decorator checked it in this request (not
        whatever else set ``request.oauth``), and then checks its scopes alone.
        """
        needed = list(scopes)
        self.protector.protected_scopes.update(needed)

        def wrapper(f: F) -> F:
            @wraps(f)
            def decorated(*args: Any, **kwargs: Any) -> Any:
                flask_request = request._get_current_object()  # type: ignore[attr-defined]
                checked = self._accepted(flask_request)
                token = vars(checked).get("access_token") if checked is not None else None
                if hasattr(token, "scopes"):
                    return self._nested(checked, token, needed, f, *args, **kwargs)
                answer = self._run_before_request()
                if answer is not None:
                    return answer
                try:
                    valid, req = self._verify(flask_request, list(needed))
                except StorageUnavailable as exc:
                    log_unavailable(log, "while checking a token", exc)
                    return unavailable()
                valid, req = self._run_after_request(valid, req)
                if not valid:
                    return self._refuse(req, needed)
                self._accept(flask_request, req)
                return f(*args, **kwargs)

            return cast(F, decorated)

        return wrapper

    def _refuse(self, oauth_request: Any, scopes: list[str]) -> Any:
        if self._invalid_response is not None:
            return self._invalid_response(oauth_request)
        return self.protector.refusal(oauth_request, self._realm(self.settings), scopes)

    def _nested(
        self, checked: Any, token: Any, scopes: list[str], f: F, *args: Any, **kwargs: Any
    ) -> Any:
        """The view under a second ``require_oauth``: the token the outer decorator
        accepted must also carry this decorator's scopes."""
        if not scopes or scopes_match(token.scopes, scopes, checked):
            return f(*args, **kwargs)
        checked.error_message = "The access token lacks a scope this resource needs."
        checked.insufficient_scope = True
        return self._refuse(checked, scopes)


def _no_grant(client_id: str, code: str) -> None:
    """The grantgetter of a provider that registered none: no code is ever valid."""
    return None
