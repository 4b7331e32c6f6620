"""The authorization endpoint (RFC 6749 3.1): validating the request, the consent view,
and the redirect back to the client.

.. versionadded:: 1.1
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import make_response, redirect, request
from oauthlib.common import add_params_to_uri
from oauthlib.oauth2.rfc6749 import errors

from flask_oauthlib_core import (
    CSRF_FIELD,
    BadRequestBody,
    ProviderBase,
    StorageUnavailable,
    consent_csrf_token,
    create_response,
    extract_params,
    guard_consent_page,
    harden_consent_page,
    install_hardening,
    log_unavailable,
    refuse_forged_consent,
    takes_keyword,
)

from . import rfc7636, rfc9126, rfc9207, signals
from .config import OAuth2Settings
from .endpoints import mark_endpoint
from .oidc import interaction
from .server import Server

__all__ = [
    "AuthorizationEndpointMixin",
    "harden_authorization_response",
    "install_hardening",
]

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: the ``after_request`` function keeping the endpoint's pages out of frames and away
#: from CORS (:func:`flask_oauthlib_core.harden_consent_page`, which both providers share)
harden_authorization_response = harden_consent_page


class AuthorizationEndpointMixin(ProviderBase[Server, OAuth2Settings, Any]):
    """``authorize_handler``, ``confirm_authorization_request`` and
    ``exception_handler`` of :class:`~.OAuth2Provider`."""

    _exception_handler: Callable[[Exception, str], Any] | None = None

    def exception_handler(self, f: F) -> F:
        """Register ``f(error, redirect_uri)`` answering authorization errors instead of
        the default redirect."""
        self._exception_handler = f
        return f

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
        issuer = self.settings.issuer
        return rfc9207.add_issuer(location, issuer) if issuer else location

    def _validate_authorization(self) -> tuple[Any, tuple[list[str], dict[str, Any]] | None]:
        """Validate the request: ``(None, (scopes, credentials))`` or ``(answer, None)``."""
        try:
            uri, method, body, headers = extract_params()
            body = interaction.restore_parameters(rfc7636.restore_challenge(body))
            uri, body, _ = rfc9126.resolve_authorization_request(
                self.server, uri, method, body, headers, consume=False
            )
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
            interaction.remember_parameters(validated[1])
        return None, validated

    def authorize_handler(self, f: F) -> F:
        """Decorate the authorization view.

        The request is validated first; a request with a bad ``client_id`` or
        ``redirect_uri`` is sent to :attr:`error_uri`, never to the client. The view then
        gets ``scopes``, ``client_id``, ``redirect_uri``, ``response_type``, ``state`` and
        ``request`` as keyword arguments, and ``csrf_token`` for a hidden field of the
        consent form. An OpenID request (docs/oidc.md) also gives ``nonce``,
        ``prompt``, ``max_age``, ``login_hint``, ``id_token_hint``, ``claims``,
        ``display``, ``ui_locales`` and ``login_required`` (send the user to log in
        first). It returns a page (the consent form) or, after the user decided,
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
            guard_consent_page()
            refused = refuse_forged_consent(self.settings.csrf_required)
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
            refused = interaction.refuse_answer(credentials, rv)
            if refused is not None:  # what an OpenID request's prompt forbids
                return self._to_client(refused)
            if isinstance(rv, bool):
                if not rv:
                    signals.send_authorization_denied(
                        self.server.request_validator, credentials, scopes
                    )
                    denied = errors.AccessDeniedError(state=credentials.get("state"))
                    denied.redirect_uri = credentials.get("redirect_uri")
                    denied.response_type = credentials.get("response_type")
                    return self._to_client(denied)
                return self.confirm_authorization_request()
            return make_response(rv)

        return mark_endpoint(cast(F, decorated), "authorization")

    def confirm_authorization_request(self) -> Any:
        """Issue the code (or, for the implicit grant, the token) after the user allowed
        access, and redirect back to the client.

        .. versionchanged:: 1.1
            A pushed request (RFC 9126) is used up here, and a request object (RFC 9101)
            gives the parameters.
        """
        try:
            uri, method, body, headers = extract_params()
            body = interaction.restore_parameters(rfc7636.restore_challenge(body))
            uri, body, resolved = rfc9126.resolve_authorization_request(
                self.server, uri, method, body, headers, consume=True
            )
            values: Any = request.values if resolved is None else resolved
            scope = str(values.get("scope") or "")
            credentials = {
                name: values.get(name)
                for name in ("client_id", "redirect_uri", "response_type", "state")
            }
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
