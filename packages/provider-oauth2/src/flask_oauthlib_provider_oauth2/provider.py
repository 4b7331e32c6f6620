"""The ``OAuth2Provider`` Flask extension."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app, make_response, redirect, request, url_for
from oauthlib.common import add_params_to_uri
from oauthlib.oauth2.rfc6749 import errors

from flask_oauthlib_core import (
    CSRF_FIELD,
    DEFAULT_ERROR_PATH,
    BadRequestBody,
    StorageUnavailable,
    app_context_for,
    consent_csrf_token,
    create_response,
    extract_params,
    install_redaction,
    log_unavailable,
    refuse_forged_consent,
    register_error_page,
    takes_keyword,
    warn_if_insecure_transport,
)

from . import rfc6750, rfc7636, rfc8414, rfc8628, rfc9207
from .bearer import BearerRequest
from .config import DEFAULTS
from .expiry import utcnow
from .server import Server, build_server
from .storage import CG, DG, DS, GG, GS, TG, TS, UG
from .validator import OAuth2RequestValidator, basic_credentials, scopes_match

__all__ = ["OAuth2Provider"]

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R", bound=Callable[..., Any])

EXTENSION_KEY = "oauthlib.provider.oauth2"
STATE_KEY = "flask_oauthlib.provider.oauth2"
ENDPOINT_MARK = "_oauth2_endpoint"
AUTHORIZATION_MARK = "flask_oauthlib.authorization_endpoint"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
ANTI_FRAMING = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}
CORS_HEADERS = ("Access-Control-Allow-Origin", "Access-Control-Allow-Credentials")


def json_error(error: str, description: str, status: int) -> Response:
    """An OAuth error body (RFC 6749 5.2) that is never cached."""
    body = json.dumps({"error": error, "error_description": description})
    return Response(body, status=status, mimetype="application/json", headers=NO_STORE)


def unavailable() -> Response:
    """The answer when storage fails: ``temporarily_unavailable`` (503)."""
    return json_error(
        "temporarily_unavailable", "The server cannot store or read credentials right now.", 503
    )


def mark_endpoint(view: F, kind: str) -> F:
    """Tag a decorated view so the metadata document can find its URL."""
    setattr(view, ENDPOINT_MARK, kind)
    return view


class _AppState:
    """Per-app state: the server, built once from that app's config and getters."""

    def __init__(self) -> None:
        self.server: Server | None = None
        self.version = -1


class OAuth2Provider:
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

    :param app: the Flask app, or ``None`` to call :meth:`init_app` later.
    :param validator_class: an :class:`OAuth2RequestValidator` subclass to build the
        validator from the registered getters.

    .. versionchanged:: 1.0
        Added PKCE, introspection, metadata, refresh token rotation, ``iss`` and the
        ``OAUTH2_PROVIDER_*`` switches listed in :data:`~.config.DEFAULTS`.
    """

    def __init__(
        self,
        app: Flask | None = None,
        validator_class: type[OAuth2RequestValidator] | None = None,
    ) -> None:
        self._before_request_funcs: list[Callable[[], Any]] = []
        self._after_request_funcs: list[Callable[[bool, Any], tuple[bool, Any]]] = []
        self._exception_handler: Callable[[Exception, str], Any] | None = None
        self._invalid_response: Callable[[Any], Any] | None = None
        self._validator_class = validator_class or OAuth2RequestValidator
        self._getters: dict[str, Callable[..., Any]] = {}
        self._custom_validator: OAuth2RequestValidator | None = None
        self._version = 0
        #: the app last initialised, as in 0.9.6 (used outside an app context only)
        self.app: Flask | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register the provider on ``app`` and default its ``OAUTH2_PROVIDER_*`` config."""
        existing = app.extensions.get(EXTENSION_KEY)
        if existing is not None and existing is not self:
            raise RuntimeError(
                f"Another OAuth2Provider is already registered on {app.name!r};"
                " use one provider per app."
            )
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        app.extensions[EXTENSION_KEY] = self
        self.app = app
        app.extensions[STATE_KEY] = _AppState()
        # registered first, so it runs after the app's own after_request functions
        app.after_request(_harden_authorization_response)
        register_error_page(app)
        warn_if_insecure_transport(log)
        install_redaction()

    # -- registration ---------------------------------------------------------------------

    def _register(self, name: str, f: R) -> R:
        self._getters[name] = f
        self._version += 1
        return f

    def clientgetter(self, f: CG) -> CG:
        """Register ``f(client_id)`` returning a client object or ``None``.

        A client has ``client_id``, ``client_secret``, ``redirect_uris``,
        ``default_redirect_uri``, ``default_scopes`` and ``is_confidential``, and may have
        ``allowed_grant_types``, ``allowed_response_types``, ``validate_scopes(scopes)``
        and, for the client credentials grant, ``user``.
        """
        return self._register("clientgetter", f)

    def grantgetter(self, f: GG) -> GG:
        """Register ``f(client_id, code)`` returning a grant with ``client_id``,
        ``redirect_uri``, ``scopes``, ``user``, ``expires`` and ``delete()`` (and, to have
        PKCE enforced, ``code_challenge`` and ``code_challenge_method``)."""
        return self._register("grantgetter", f)

    def grantsetter(self, f: GS) -> GS:
        """Register ``f(client_id, code, request, *args, **kwargs)`` saving a grant.

        ``code["code"]`` is the code; ``request`` carries ``user``, ``scopes``,
        ``redirect_uri``, ``code_challenge`` and ``code_challenge_method``.
        """
        return self._register("grantsetter", f)

    def tokengetter(self, f: TG) -> TG:
        """Register ``f(access_token=None, refresh_token=None)`` returning a token with
        ``access_token``, ``refresh_token``, ``client_id``, ``scopes``, ``expires`` and
        ``user`` (and ``delete()`` for revocation)."""
        return self._register("tokengetter", f)

    def tokensetter(self, f: TS) -> TS:
        """Register ``f(token, request, *args, **kwargs)`` saving a bearer token dict
        (``access_token``, ``token_type``, ``expires_in``, ``scope`` and maybe
        ``refresh_token``) for ``request.client`` and ``request.user``."""
        return self._register("tokensetter", f)

    def usergetter(self, f: UG) -> UG:
        """Register ``f(username, password, client, request, *args, **kwargs)`` returning
        the user for the password grant, or ``None``."""
        return self._register("usergetter", f)

    def devicegetter(self, f: DG) -> DG:
        """Register ``f(device_code)`` returning a device authorization (RFC 8628): a dict
        or object with ``client_id``, ``scopes``, ``expires``, ``status`` (``"pending"``,
        ``"authorized"`` or ``"denied"``, set by your verification page), ``user``, and
        ``redeem()`` or ``delete()`` to make it single use.

        .. versionadded:: 1.0
        """
        return self._register("devicegetter", f)

    def devicesetter(self, f: DS) -> DS:
        """Register ``f(device, request)`` saving a new device authorization; ``device``
        has ``device_code``, ``user_code``, ``client_id``, ``scopes``, ``expires`` and
        ``status="pending"``.

        .. versionadded:: 1.0
        """
        return self._register("devicesetter", f)

    def before_request(self, f: F) -> F:
        """Register ``f()`` to run before a protected resource is checked."""
        self._before_request_funcs.append(f)
        return f

    def after_request(self, f: F) -> F:
        """Register ``f(valid, oauth_request)`` returning ``(valid, oauth_request)``,
        run after the token check of a protected resource."""
        self._after_request_funcs.append(f)
        return f

    def invalid_response(self, f: F) -> F:
        """Register ``f(oauth_request)`` answering requests that fail
        :meth:`require_oauth`; by default they get an RFC 6750 JSON error."""
        self._invalid_response = f
        return f

    def exception_handler(self, f: F) -> F:
        """Register ``f(error, redirect_uri)`` answering authorization errors instead of
        the default redirect."""
        self._exception_handler = f
        return f

    # -- the server -------------------------------------------------------------------------

    @property
    def _validator(self) -> OAuth2RequestValidator | None:
        return self._custom_validator

    @_validator.setter
    def _validator(self, validator: OAuth2RequestValidator | None) -> None:
        self._custom_validator = validator
        self._version += 1

    def _build_validator(self) -> OAuth2RequestValidator:
        if self._custom_validator is not None:
            return self._custom_validator
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
        if "devicegetter" in getters:  # validator classes written for 0.9.6 do not take it
            options["devicegetter"] = getters["devicegetter"]
        return self._validator_class(
            clientgetter=getters["clientgetter"],
            tokengetter=getters["tokengetter"],
            grantgetter=getters.get("grantgetter", _no_grant),
            **options,
        )

    def _state(self) -> _AppState:
        try:
            state: _AppState = current_app.extensions[STATE_KEY]
        except KeyError:
            raise RuntimeError(
                "OAuth2Provider is not initialised on this app; pass the app to"
                " OAuth2Provider(app) or call init_app(app)."
            ) from None
        return state

    @property
    def server(self) -> Server:
        """The oauthlib server of the current app (or, outside an app context, of the app
        last initialised), built on first use."""
        with app_context_for(self.app):
            return self._server()

    def _server(self) -> Server:
        """The oauthlib server for the current app, built on first use from the app's
        config and the registered getters (rebuilt when a getter or ``_validator``
        changes)."""
        state = self._state()
        if state.server is None or state.version != self._version:
            validator = self._build_validator()
            state.server = build_server(validator, current_app.config)
            state.version = self._version
        return state.server

    @property
    def error_uri(self) -> str:
        """Where fatal authorization errors are shown (see :meth:`_error_uri`)."""
        with app_context_for(self.app):
            return self._error_uri()

    def _error_uri(self) -> str:
        """Where fatal authorization errors are shown: ``OAUTH2_PROVIDER_ERROR_URI``, the
        URL of ``OAUTH2_PROVIDER_ERROR_ENDPOINT``, or ``/oauth/errors``."""
        config = current_app.config
        if config.get("OAUTH2_PROVIDER_ERROR_URI"):
            return str(config["OAUTH2_PROVIDER_ERROR_URI"])
        if config.get("OAUTH2_PROVIDER_ERROR_ENDPOINT"):
            return url_for(config["OAUTH2_PROVIDER_ERROR_ENDPOINT"])
        return DEFAULT_ERROR_PATH

    @staticmethod
    def _realm() -> str:
        """The ``realm`` of RFC 6750 challenges: the issuer if configured, else the host
        (cheaper than the issuer's full host URL, on every refused request)."""
        return str(current_app.config.get("OAUTH2_PROVIDER_ISSUER") or request.host)

    @property
    def issuer(self) -> str:
        """``OAUTH2_PROVIDER_ISSUER``, or the request's host URL."""
        configured = current_app.config.get("OAUTH2_PROVIDER_ISSUER")
        return str(configured or request.host_url.rstrip("/"))

    # -- authorization endpoint -------------------------------------------------------------

    def _on_exception(self, error: Exception, redirect_uri: str) -> Any:
        if self._exception_handler is not None:
            return self._exception_handler(error, redirect_uri)
        return redirect(redirect_uri)

    def _error_page(
        self, error: errors.OAuth2Error | None = None, code: str = "", description: str = ""
    ) -> Any:
        if error is None:
            error = errors.OAuth2Error(description=description or code)
            error.error = code
        return self._on_exception(error, add_params_to_uri(self.error_uri, error.twotuples))

    def _to_client(self, error: errors.OAuth2Error) -> Any:
        """Send a non-fatal error to the client's (validated) redirect URI."""
        if not error.redirect_uri:
            return self._error_page(error)
        if not error.state:
            error.state = request.values.get("state")
        fragment = getattr(error, "response_type", None) == "token"
        location = add_params_to_uri(error.redirect_uri, error.twotuples, fragment=fragment)
        return self._on_exception(error, self._with_issuer(location))

    def _with_issuer(self, location: str) -> str:
        issuer = current_app.config.get("OAUTH2_PROVIDER_ISSUER")
        return rfc9207.add_issuer(location, issuer) if issuer else location

    def _validate_authorization(self) -> tuple[Any, tuple[list[str], dict[str, Any]] | None]:
        """Validate the request: ``(None, (scopes, credentials))`` or ``(answer, None)``."""
        try:
            uri, method, body, headers = extract_params()
            body = rfc7636.restore_challenge(body)
            validated = self.server.validate_authorization_request(uri, method, body, headers)
        except BadRequestBody as exc:
            return self._error_page(code="invalid_request", description=str(exc)), None
        except errors.FatalClientError as exc:
            log.debug("fatal authorization error: %s", exc.error)
            return self._error_page(exc), None
        except errors.OAuth2Error as exc:
            log.debug("authorization error: %s", exc.error)
            return self._to_client(exc), None
        except StorageUnavailable as exc:
            log_unavailable(log, "during authorization", exc)
            return self._error_page(code="temporarily_unavailable"), None
        if request.method == "GET":
            rfc7636.remember_challenge(validated[1])
        return None, validated

    def authorize_handler(self, f: F) -> F:
        """Decorate the authorization view.

        The request is validated first; a request with a bad ``client_id`` or
        ``redirect_uri`` is sent to :attr:`error_uri`, never to the client. The view then
        gets ``scopes``, ``client_id``, ``redirect_uri``, ``response_type``, ``state`` and
        ``request`` as keyword arguments, and ``csrf_token`` for a hidden field of the
        consent form. It returns a page (the consent form) or, after the user decided,
        ``True`` (allow) or ``False`` (deny)::

            @app.route("/oauth/authorize", methods=["GET", "POST"])
            @oauth.authorize_handler
            def authorize(*args, **kwargs):
                if request.method == "GET":
                    return render_template("consent.html", **kwargs)
                return request.form.get("confirm") == "yes"

        A consent POST that the browser marks as cross-site, or whose ``csrf_token`` is
        not the session's, is refused with a 403 before the view runs, and nothing is
        issued (:func:`flask_oauthlib_core.refuse_forged_consent`); with
        ``OAUTH2_PROVIDER_CSRF_REQUIRED`` the token is required. Pages get anti-framing
        headers and no CORS headers.

        .. versionchanged:: 1.1
            Cross-site consent is refused; a view that takes ``csrf_token`` (or
            ``**kwargs``) gets it.
        """
        pass_token = takes_keyword(f, CSRF_FIELD)

        @wraps(f)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            request.environ[AUTHORIZATION_MARK] = True
            refused = refuse_forged_consent(current_app.config["OAUTH2_PROVIDER_CSRF_REQUIRED"])
            if refused is not None:
                return refused
            answer, validated = self._validate_authorization()
            if validated is None:
                return answer
            scopes, credentials = validated
            kwargs["scopes"] = scopes
            kwargs.update(credentials)
            if pass_token:
                kwargs[CSRF_FIELD] = consent_csrf_token()
            try:
                rv = f(*args, **kwargs)
            except errors.FatalClientError as exc:
                return self._error_page(exc)
            except errors.OAuth2Error as exc:
                exc.redirect_uri = exc.redirect_uri or credentials.get("redirect_uri")
                return self._to_client(exc)
            if isinstance(rv, bool):
                if not rv:
                    denied = errors.AccessDeniedError(state=credentials.get("state"))
                    denied.redirect_uri = credentials.get("redirect_uri")
                    denied.response_type = credentials.get("response_type")
                    return self._to_client(denied)
                return self.confirm_authorization_request()
            return make_response(rv)

        return mark_endpoint(cast(F, decorated), "authorization")

    def confirm_authorization_request(self) -> Any:
        """Issue the code (or, for the implicit grant, the token) after the user allowed
        access, and redirect back to the client."""
        scope = request.values.get("scope") or ""
        credentials = {
            "client_id": request.values.get("client_id"),
            "redirect_uri": request.values.get("redirect_uri"),
            "response_type": request.values.get("response_type"),
            "state": request.values.get("state"),
        }
        try:
            uri, method, body, headers = extract_params()
            body = rfc7636.restore_challenge(body)
            headers_out, body_out, status = self.server.create_authorization_response(
                uri, method, body, headers, scope.split(), credentials
            )
        except BadRequestBody as exc:
            return self._error_page(code="invalid_request", description=str(exc))
        except errors.FatalClientError as exc:
            return self._error_page(exc)
        except errors.OAuth2Error as exc:
            return self._to_client(exc)
        except StorageUnavailable as exc:
            log_unavailable(log, "while issuing a code", exc)
            return self._error_page(code="temporarily_unavailable")
        rfc7636.forget_challenge()
        if "Location" in headers_out:
            headers_out["Location"] = self._with_issuer(headers_out["Location"])
            status = 302
        log.debug("authorization granted")
        return create_response(headers_out, body_out, status)

    # -- token, revocation and introspection endpoints ------------------------------------

    def _endpoint_call(
        self, call: Callable[[str, str, str | None, dict[str, str]], Any]
    ) -> Response:
        """Run an oauthlib endpoint; map every failure to an OAuth JSON error."""
        try:
            uri, method, body, headers = extract_params()
        except BadRequestBody as exc:
            return json_error("invalid_request", f"The request is malformed: {exc}.", 400)
        if method == "GET" and request.query_string:
            # 0.9.6 accepted token requests by GET when the route allowed it
            uri, method, body = request.base_url, "POST", request.query_string.decode("utf-8")
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            headers_out, body_out, status = call(uri, method, body, headers)
        except errors.OAuth2Error as exc:
            headers_out, body_out, status = dict(exc.headers), exc.json, exc.status_code
        except StorageUnavailable as exc:
            log_unavailable(log, "at the token endpoint", exc)
            return unavailable()
        headers_out = {**headers_out, **NO_STORE}
        return create_response(headers_out, body_out, status)

    def token_handler(self, f: F) -> F:
        """Decorate the token view. It returns a dict of extra credentials (or ``None``)
        passed to the tokensetter through the request::

            @app.route("/oauth/token", methods=["POST"])
            @oauth.token_handler
            def access_token():
                return None
        """

        @wraps(f)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            server = self.server
            extra = f(*args, **kwargs) or {}
            return self._endpoint_call(
                lambda uri, method, body, headers: server.create_token_response(
                    uri, method, body, headers, extra
                )
            )

        return mark_endpoint(cast(F, decorated), "token")

    def revoke_handler(self, f: F) -> F:
        """Decorate the revocation view (RFC 7009); its return value is ignored::

        @app.route("/oauth/revoke", methods=["POST"])
        @oauth.revoke_handler
        def revoke_token():
            pass
        """

        @wraps(f)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            server = self.server
            f(*args, **kwargs)
            return self._endpoint_call(server.create_revocation_response)

        return mark_endpoint(cast(F, decorated), "revocation")

    def introspect_handler(self, f: F) -> F:
        """Decorate the token introspection view (RFC 7662); its return value is
        ignored. Clients authenticate as at the token endpoint.

        .. versionadded:: 1.0
        """

        @wraps(f)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            server = self.server
            f(*args, **kwargs)
            return self._endpoint_call(server.create_introspect_response)

        return mark_endpoint(cast(F, decorated), "introspection")

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

        @wraps(f)
        def decorated(*args: Any, **kwargs: Any) -> Any:
            setter = self._getters.get("devicesetter")
            if setter is None or "devicegetter" not in self._getters:
                raise RuntimeError("register a devicegetter and a devicesetter for the device flow")
            f(*args, **kwargs)
            validator = self.server.request_validator
            config = current_app.config
            verification = config["OAUTH2_PROVIDER_DEVICE_VERIFICATION_URI"]
            if not verification:
                raise RuntimeError("set OAUTH2_PROVIDER_DEVICE_VERIFICATION_URI")
            if "/" not in verification:
                verification = url_for(verification, _external=True)
            endpoint = rfc8628.DeviceAuthorizationEndpoint(
                validator,
                verification_uri=verification,
                expires_in=int(config["OAUTH2_PROVIDER_DEVICE_EXPIRES_IN"]),
                interval=int(config["OAUTH2_PROVIDER_DEVICE_INTERVAL"]),
            )

            def create(uri: str, method: str, body: str | None, headers: dict[str, str]) -> Any:
                out_headers, data, status = endpoint.create_device_authorization_response(
                    uri, method, body, headers
                )
                if status == 200 and isinstance(data, dict):
                    data = dict(data)
                    # oauthlib authenticated the client from one of these two places
                    client = basic_credentials(headers)[0] or request.form.get("client_id")
                    setter(
                        {
                            "device_code": data["device_code"],
                            "user_code": data["user_code"],
                            "client_id": client,
                            "scopes": str(data.get("scope", "")).split(),
                            "expires": utcnow() + timedelta(seconds=data["expires_in"]),
                            "status": "pending",
                        },
                        request,
                    )
                    data = json.dumps(data)
                    out_headers = {**out_headers, "Content-Type": "application/json"}
                return out_headers, data, status

            return self._endpoint_call(create)

        return mark_endpoint(cast(F, decorated), "device_authorization")

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
            document = rfc8414.metadata(self, current_app, ENDPOINT_MARK)
            document.update(extra)
            return Response(json.dumps(document), mimetype="application/json")

        return mark_endpoint(cast(F, decorated), "metadata")

    # -- resource protection ----------------------------------------------------------------

    def verify_request(self, scopes: Any) -> tuple[bool, Any]:
        """Check the bearer token of the current request for ``scopes``.

        Returns ``(valid, oauth_request)``; the request carries ``user``, ``client``,
        ``scopes`` and ``access_token`` when valid, ``error_message`` when not. Tokens
        are read from the ``Authorization`` header only, unless
        ``OAUTH2_PROVIDER_ALLOW_TOKEN_IN_QUERY`` is set.
        """
        return self._verify(request._get_current_object(), list(scopes))  # type: ignore[attr-defined]

    def _verify(self, flask_request: Any, scopes: list[str]) -> tuple[bool, Any]:
        """:meth:`verify_request` on the request object itself (the hot path)."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        state: _AppState | None = app.extensions.get(STATE_KEY)
        if state is None:
            state = self._state()  # raises: not initialised on this app
        server = state.server
        if server is None or state.version != self._version:
            server = self.server
        validator = server.request_validator
        token = rfc6750.token_from_header(flask_request.environ.get("HTTP_AUTHORIZATION"))
        req = BearerRequest(flask_request, scopes)
        req.require_all_scopes = app.config["OAUTH2_PROVIDER_REQUIRE_ALL_SCOPES"]
        if token is None:
            token = self._token_elsewhere(flask_request, req)
            if token is None:
                return False, req
        valid = bool(validator.validate_bearer_token(token, scopes, req))
        return valid, req

    @staticmethod
    def _token_elsewhere(flask_request: Any, req: BearerRequest) -> str | None:
        """The token of a request without an ``Authorization: Bearer`` header: from the
        query or form when the app allows it, else ``None`` with the reason on ``req``."""
        sent = flask_request.values.get("access_token")
        if sent and current_app.config["OAUTH2_PROVIDER_ALLOW_TOKEN_IN_QUERY"]:
            return str(sent)
        req.token_missing = True
        req.error_message = rfc6750.NOT_FROM_QUERY if sent else "No access token was sent."
        return None

    def require_oauth(self, *scopes: str) -> Callable[[F], F]:
        """Protect a view: it runs only with a valid bearer token carrying every scope
        in ``scopes``, and finds the token's ``user``, ``client``, ``scopes`` and
        ``access_token`` on ``request.oauth``."""

        def wrapper(f: F) -> F:
            @wraps(f)
            def decorated(*args: Any, **kwargs: Any) -> Any:
                for func in self._before_request_funcs:
                    rv = func()
                    if rv is not None:
                        return rv
                flask_request = request._get_current_object()  # type: ignore[attr-defined]
                checked = getattr(flask_request, "oauth", None)
                if checked:  # an outer require_oauth checked the token: check our scopes
                    return self._nested(checked, list(scopes), f, *args, **kwargs)
                try:
                    valid, req = self._verify(flask_request, list(scopes))
                except StorageUnavailable as exc:
                    log_unavailable(log, "while checking a token", exc)
                    return unavailable()
                for after in self._after_request_funcs:
                    valid, req = after(valid, req)
                if not valid:
                    if self._invalid_response is not None:
                        return self._invalid_response(req)
                    return rfc6750.refusal(req, self._realm(), list(scopes))
                flask_request.oauth = req
                return f(*args, **kwargs)

            return cast(F, decorated)

        return wrapper

    def _nested(self, checked: Any, scopes: list[str], f: F, *args: Any, **kwargs: Any) -> Any:
        """The view under a second ``require_oauth``: the token an outer decorator
        accepted must also carry this decorator's scopes."""
        token = getattr(checked, "access_token", None)
        if token is None or not scopes or scopes_match(token.scopes, scopes, checked):
            return f(*args, **kwargs)
        checked.error_message = "The access token lacks a scope this resource needs."
        checked.insufficient_scope = True
        if self._invalid_response is not None:
            return self._invalid_response(checked)
        return rfc6750.refusal(checked, self._realm(), scopes)


def _harden_authorization_response(response: Response) -> Response:
    """Pages of the authorization endpoint cannot be framed and get no CORS headers,
    whatever other ``after_request`` functions (flask-cors ...) added."""
    if request.environ.get(AUTHORIZATION_MARK):
        for key, value in ANTI_FRAMING.items():
            response.headers.setdefault(key, value)
        for key in CORS_HEADERS:
            response.headers.pop(key, None)
    return response


def _no_grant(client_id: str, code: str) -> None:
    """The grantgetter of a provider that registered none: no code is ever valid."""
    return None
