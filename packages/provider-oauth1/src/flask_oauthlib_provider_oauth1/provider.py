"""The ``OAuth1Provider`` Flask extension."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from flask import Flask, Response, redirect, request
from oauthlib.common import add_params_to_uri
from oauthlib.oauth1.rfc5849 import errors

from flask_oauthlib_core import (
    CSRF_FIELD,
    BadRequestBody,
    ProviderBase,
    StorageUnavailable,
    consent_csrf_token,
    create_response,
    extract_params,
    guard_consent_page,
    log_unavailable,
    refuse_forged_consent,
    takes_keyword,
)

from .config import DEFAULTS, EXTENSION_KEY, OAuth1Settings
from .server import OAuth1Server
from .storage import CG, GG, GS, NG, NS, TG, TS, VG, VS
from .validator import OAuth1RequestValidator

__all__ = ["OAuth1Provider"]

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: ``app.extensions`` keys: the provider, and what it built for the app
STATE_KEY = "flask_oauthlib.provider.oauth1"
GETTERS = (
    "clientgetter",
    "tokengetter",
    "tokensetter",
    "grantgetter",
    "grantsetter",
    "noncegetter",
    "noncesetter",
    "verifiergetter",
    "verifiersetter",
)
FORM = "application/x-www-form-urlencoded"


def error_response(error: str, description: str, status: int) -> Response:
    """An OAuth 1 error: form-encoded, as OAuth 1 clients parse them."""
    body = urlencode([("error", error), ("error_description", description)])
    response = Response(body, status=status, mimetype=FORM)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'OAuth realm=""'
    return response


def oauth_error_response(exc: errors.OAuth1Error) -> Response:
    return error_response(exc.error, exc.description or exc.error, exc.status_code)


class OAuth1Provider(ProviderBase[OAuth1Server, OAuth1Settings, OAuth1RequestValidator]):
    """Turn a Flask app into an OAuth 1.0a provider (RFC 5849).

    Bind it to an app now, or later in an application factory::

        oauth = OAuth1Provider(app)
        # or
        oauth = OAuth1Provider()
        oauth.init_app(app)

    Register the nine storage functions (:meth:`clientgetter`, :meth:`grantgetter`,
    :meth:`grantsetter`, :meth:`tokengetter`, :meth:`tokensetter`,
    :meth:`noncegetter`, :meth:`noncesetter`, :meth:`verifiergetter`,
    :meth:`verifiersetter`), decorate the request token, authorization and access token
    views, then protect resources with realms::

        @app.route("/api/user")
        @oauth.require_oauth("email")
        def user():
            return jsonify(name=request.oauth.user.name)

    :param app: the Flask app, or ``None`` to call :meth:`init_app` later.
    """

    extension_key = EXTENSION_KEY
    state_key = STATE_KEY
    config_prefix = "OAUTH1_PROVIDER_"
    defaults = DEFAULTS

    def init_app(self, app: Flask) -> None:
        """Register the provider on ``app`` and default its ``OAUTH1_PROVIDER_*`` config.

        The settings are read from ``app.config`` once, when the app first uses the
        provider (:attr:`settings`); set them before the first request.

        .. versionchanged:: 1.1
            Settings are resolved once per app, on first use.
        """
        super().init_app(app)

    # -- registration ------------------------------------------------------------------------

    def clientgetter(self, f: CG) -> CG:
        """Register ``f(client_key)`` returning a client with ``client_key``,
        ``client_secret``, ``redirect_uris`` and ``default_realms`` (``rsa_key`` for
        RSA-SHA1), or ``None``."""
        return self._register("clientgetter", f)

    def tokengetter(self, f: TG) -> TG:
        """Register ``f(client_key, token)`` returning an access token with ``client``,
        ``user``, ``token``, ``secret`` and ``realms``."""
        return self._register("tokengetter", f)

    def tokensetter(self, f: TS) -> TS:
        """Register ``f(token, request)`` saving an access token; ``token`` has
        ``oauth_token``, ``oauth_token_secret`` and ``oauth_authorized_realms``, and
        ``request`` carries ``client``, ``user`` and ``request_token``."""
        return self._register("tokensetter", f)

    def grantgetter(self, f: GG) -> GG:
        """Register ``f(token)`` returning a request token with ``client``, ``token``,
        ``secret``, ``realms``, ``redirect_uri`` and ``delete()``.

        A request token may also have ``redeem()``: it marks the token used atomically
        (``UPDATE ... WHERE NOT used``, a cache's atomic take or add) and returns
        ``False`` when the token was used already. It is called once a request for an
        access token passed every check and before the access token is created, so
        concurrent exchanges of one request token give at most one access token; a
        ``False`` refuses the exchange (401). Without it the token is only deleted after
        the access token was issued.

        .. versionchanged:: 1.1
            The optional ``redeem()``.
        """
        return self._register("grantgetter", f)

    def grantsetter(self, f: GS) -> GS:
        """Register ``f(token, request)`` saving a request token."""
        return self._register("grantsetter", f)

    def noncegetter(self, f: NG) -> NG:
        """Register ``f(client_key, timestamp, nonce, request_token, access_token)``
        returning something truthy when that nonce was already used (a replay, refused).
        It is asked for every request, signed or not, and must not store anything."""
        return self._register("noncegetter", f)

    def noncesetter(self, f: NS) -> NS:
        """Register ``f(client_key, timestamp, nonce, request_token, access_token)``
        storing the nonce; return ``False`` if another request stored it first (an atomic
        add lost a race: the request is refused). Any other result counts as stored.

        .. versionchanged:: 1.1
            Called only for a request that passed every check, signature included, so
            requests from unknown clients or with bad signatures store nothing.
        """
        return self._register("noncesetter", f)

    def verifiergetter(self, f: VG) -> VG:
        """Register ``f(verifier, token)`` returning the verifier (with ``user``)."""
        return self._register("verifiergetter", f)

    def verifiersetter(self, f: VS) -> VS:
        """Register ``f(token, verifier, *args, **kwargs)`` saving the verifier with the
        current user."""
        return self._register("verifiersetter", f)

    # -- the server --------------------------------------------------------------------------

    def _resolve_settings(self, app: Flask) -> OAuth1Settings:
        """The settings of ``app``, from its ``OAUTH1_PROVIDER_*`` config."""
        return OAuth1Settings.from_config(app.config)

    def _build_server(self, app: Flask, settings: OAuth1Settings) -> OAuth1Server:
        """The server of ``app``, around the assigned ``_validator`` or one built from
        the registered functions.

        .. versionchanged:: 1.1
            The server is an :class:`~.server.OAuth1Server` (a subclass of oauthlib's
            ``WebApplicationServer``) that stores a nonce only for a valid request.
        """
        validator = self._validator
        if validator is None:
            missing = [name for name in GETTERS if name not in self._getters]
            if missing:
                raise RuntimeError(
                    "OAuth1Provider needs these registered before it can handle"
                    " requests: " + ", ".join(missing)
                )
            validator = OAuth1RequestValidator(
                **{name: self._getters[name] for name in GETTERS}, config=settings
            )
        return OAuth1Server(validator)

    def _error_page(self, error: str) -> Any:
        return redirect(add_params_to_uri(self.error_uri, [("error", error)]))

    # -- endpoints ---------------------------------------------------------------------------

    def _realms_and_credentials(self) -> tuple[list[str], dict[str, Any]]:
        uri, method, body, headers = extract_params()
        realms, credentials = self.server.get_realms_and_credentials(
            uri, http_method=method, body=body, headers=headers
        )
        return realms, credentials

    def authorize_handler(self, f: F) -> F:
        """Decorate the authorization view.

        On ``GET`` the request token is checked and the view gets ``realms``, the
        request's credentials (``resource_owner_key`` ...) and ``csrf_token`` (for a hidden
        field of the form) as keyword arguments to render a consent page. On ``POST`` the
        view returns ``True`` to allow or ``False`` to deny::

            @app.route("/oauth/authorize", methods=["GET", "POST"])
            @oauth.authorize_handler
            def authorize(*args, **kwargs):
                if request.method == "GET":
                    return render_template("authorize.html", **kwargs)
                return request.form.get("confirm") == "yes"

        A consent POST that the browser marks as cross-site, or whose ``csrf_token`` is
        not the session's, is refused with a 403 before the view runs, and no verifier is
        issued (:func:`flask_oauthlib_core.refuse_forged_consent`); with
        ``OAUTH1_PROVIDER_CSRF_REQUIRED`` the token is required. Whatever the view
        answers cannot be framed and carries no CORS headers
        (:func:`flask_oauthlib_core.guard_consent_page`).

        .. versionchanged:: 1.1
            Cross-site consent is refused; the view's answers cannot be framed; a
            view that takes ``csrf_token`` (or ``**kwargs``) gets it.
        """
        pass_token = takes_keyword(f, CSRF_FIELD)

        @wraps(f)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            guard_consent_page()
            refused = refuse_forged_consent(self.settings.csrf_required)
            if refused is not None:
                return refused
            try:
                realms, credentials = self._realms_and_credentials()
            except (errors.OAuth1Error, BadRequestBody, ValueError) as exc:
                return self._error_page(getattr(exc, "error", "invalid_request"))
            except StorageUnavailable:
                return self._error_page("temporarily_unavailable")
            if request.method != "POST":
                kwargs["realms"] = realms
                kwargs.update(credentials)
                if pass_token:
                    kwargs[CSRF_FIELD] = consent_csrf_token()
                return f(*args, **kwargs)
            if not f(*args, **kwargs):
                return self._error_page("denied")
            return self.confirm_authorization_request()

        return cast(F, decorated)

    def confirm_authorization_request(self) -> Any:
        """Issue the verifier after the user allowed access and send the user back to the
        client's callback."""
        try:
            uri, method, body, headers = extract_params()
            realms, credentials = self.server.get_realms_and_credentials(
                uri, http_method=method, body=body, headers=headers
            )
            ret = self.server.create_authorization_response(
                uri, method, body, headers, realms, credentials
            )
        except (errors.OAuth1Error, BadRequestBody, ValueError) as exc:
            return self._error_page(getattr(exc, "error", "invalid_request"))
        except StorageUnavailable:
            return self._error_page("temporarily_unavailable")
        log.debug("authorization granted")
        return create_response(*ret)

    def _token_endpoint(self, create: Callable[..., Any], credentials: Any) -> Response:
        try:
            uri, method, body, headers = extract_params()
            return create_response(*create(uri, method, body, headers, credentials or {}))
        except errors.OAuth1Error as exc:
            return oauth_error_response(exc)
        except BadRequestBody as exc:
            return error_response("invalid_request", f"The request is malformed: {exc}.", 400)
        except ValueError:
            return error_response("invalid_request", "Malformed OAuth parameters.", 400)
        except StorageUnavailable as exc:
            log_unavailable(log, "at a token endpoint", exc)
            return error_response("temporarily_unavailable", "Try again later.", 503)

    def request_token_handler(self, f: F) -> F:
        """Decorate the request token view; it returns extra credentials (a dict) or
        ``None``::

            @app.route("/oauth/request_token")
            @oauth.request_token_handler
            def request_token():
                return {}
        """

        @wraps(f)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            server = self.server
            return self._token_endpoint(server.create_request_token_response, f(*args, **kwargs))

        return cast(F, decorated)

    def access_token_handler(self, f: F) -> F:
        """Decorate the access token view; it returns extra credentials (a dict) or
        ``None``::

            @app.route("/oauth/access_token")
            @oauth.access_token_handler
            def access_token():
                return {}
        """

        @wraps(f)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            server = self.server
            return self._token_endpoint(server.create_access_token_response, f(*args, **kwargs))

        return cast(F, decorated)

    def require_oauth(self, *realms: str, **kwargs: Any) -> Callable[[F], F]:
        """Protect a view: it runs only for a correctly signed request whose access token
        carries every realm in ``realms``; ``request.oauth`` then has ``user``,
        ``client``, ``realms`` and ``access_token``. Stacked decorators each check their
        realms; an inner one trusts only what this provider's outer one accepted in this
        request, not whatever else set ``request.oauth``."""

        required = frozenset(realms)

        def wrapper(f: F) -> F:
            @wraps(f)
            def decorated(*args: Any, **kw: Any) -> Any:
                flask_request = request._get_current_object()  # type: ignore[attr-defined]
                checked = self._accepted(flask_request)
                if checked is not None:  # our outer require_oauth checked it: our realms
                    granted = set(getattr(checked.access_token, "realms", None) or ())
                    if required and not granted >= required:
                        return error_response(
                            "insufficient_scope", "The token lacks a realm of this resource.", 403
                        )
                    return f(*args, **kw)
                rv = self._run_before_request()
                if rv is not None:
                    return rv
                try:
                    uri, method, body, headers = extract_params(flask_request)
                    valid, req = self.server.validate_protected_resource_request(
                        uri, method, body, headers, list(realms)
                    )
                except errors.OAuth1Error as exc:
                    return oauth_error_response(exc)
                except (BadRequestBody, ValueError):
                    return error_response("invalid_request", "Malformed OAuth parameters.", 400)
                except StorageUnavailable as exc:
                    log_unavailable(log, "while checking a request", exc)
                    return error_response("temporarily_unavailable", "Try again later.", 503)
                valid, req = self._run_after_request(valid, req)
                if not valid:
                    return error_response("invalid_token", "The request is not authorized.", 401)
                req.user = getattr(req.access_token, "user", None)
                req.realms = list(realms)
                self._accept(flask_request, req)
                return f(*args, **kw)

            return cast(F, decorated)

        return wrapper
