"""RFC 9449: DPoP, access tokens bound to a key the client proves it holds.

At the token endpoint a request with a valid ``DPoP`` proof (:mod:`.dpop_proof`) gets
an access token bound to the proof key's RFC 7638 thumbprint: the response says
``token_type: DPoP``, the tokensetter finds the thumbprint as ``request.dpop_jkt``
(keep it as the token's ``dpop_jkt``; a token read back without it is answered as a
plain ``Bearer`` token), and refresh tokens of public clients are bound too (a refresh
needs a proof of the same key). An authorization request may name the key with
``dpop_jkt`` (RFC 9449 10): the grantsetter keeps it as the grant's ``dpop_jkt`` and
the code is exchanged only with a proof of that key.

At protected resources :class:`DPoPTokenType` accepts ``Authorization: DPoP <token>``
with a proof whose ``ath`` hashes the token; a bound token sent as ``Bearer`` is
refused (RFC 9449 7.2), and so is an unbound one sent as ``DPoP``. Tokens are bound
when ``getattr(token, "dpop_jkt", None)`` is set, whatever made the token object.

Proofs are used once: their ``jti`` goes to the validator's ``replay_store``.

.. versionadded:: 1.1
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from flask import Response, current_app, has_request_context, session
from flask import request as flask_request
from oauthlib.oauth2.rfc6749 import errors

from .clientauth import is_confidential
from .config import OAuth2Settings
from .dpop_proof import (
    DPoPProof,
    InvalidDPoPProof,
    UseDPoPNonce,
    check_proof,
    issue_nonce,
    record_proof,
)
from .features import Feature
from .rfc6750 import TOKEN_SYNTAX, ProtectedRequest
from .tokens import TokenMixin
from .validation import call_optional

if TYPE_CHECKING:
    from .server import Server

__all__ = ["DPoP", "DPoPMixin", "DPoPTokenType", "available"]

log = logging.getLogger(__name__)

#: a JWK SHA-256 thumbprint: 32 bytes, base64url
JKT_SYNTAX = re.compile(r"[A-Za-z0-9_-]{43}")
SESSION_KEY = "_flask_oauthlib_dpop_jkt"
REMEMBERED = 8


def available(settings: OAuth2Settings) -> bool:
    """Whether DPoP is on (``OAUTH2_PROVIDER_DPOP_ENABLED``) and PyJWT is installed."""
    return settings.dpop_enabled and importlib.util.find_spec("jwt") is not None


def proof_header(headers: Mapping[str, str] | None = None) -> str | None:
    """The request's ``DPoP`` header, ``None`` without one.

    :raises InvalidDPoPProof: when several were sent.
    """
    if has_request_context():  # one environ key: the server joined repeated headers
        value = flask_request.environ.get("HTTP_DPOP")
    else:
        value = (headers or {}).get("DPoP") or None
    if value is None:
        return None
    if "," in value:
        raise InvalidDPoPProof(description="Send one DPoP header.")
    return str(value).strip()


def _method_and_url(request: Any) -> tuple[str, str]:
    if has_request_context():
        return flask_request.method, flask_request.url
    return str(request.http_method), str(request.uri)


class DPoPMixin(TokenMixin):
    """The validator's part: saving DPoP-bound tokens and codes."""

    def save_bearer_token(
        self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """Save the token (:meth:`.TokenMixin.save_bearer_token`) as ``token_type``
        ``DPoP`` when the request proved a key (``request.dpop_jkt``); a token read back
        without that ``dpop_jkt`` is answered as ``Bearer``, which it then is (a JWT
        access token carrying ``cnf.jkt`` is bound whatever the storage keeps)."""
        jkt = getattr(request, "dpop_jkt", None)
        if jkt:
            token["token_type"] = "DPoP"  # noqa: S105 - a token type
        answer = super().save_bearer_token(token, request, *args, **kwargs)
        if jkt and not getattr(request, "dpop_jkt_in_token", False):
            tok = self._tokengetter(access_token=token["access_token"])
            if getattr(tok, "dpop_jkt", None) != jkt:
                log.warning("the tokensetter did not keep request.dpop_jkt: a Bearer token")
                token["token_type"] = "Bearer"  # noqa: S105 - a token type
        return answer

    def confirm_code_dpop_jkt(self, client_id: str, code: dict[str, Any], request: Any) -> None:
        """After the grantsetter saved a code with ``request.dpop_jkt``: read it back,
        and withdraw it (``delete()``) and refuse when it lost the key.

        :raises errors.InvalidRequestError: when the grant lost it.
        """
        jkt = getattr(request, "dpop_jkt", None)
        if not jkt:
            return
        grant = self._grantgetter(client_id=client_id, code=code["code"])
        if grant is None or getattr(grant, "dpop_jkt", None) != jkt:
            log.error("refused dpop_jkt: the grantsetter did not keep request.dpop_jkt")
            if grant is not None:
                call_optional(grant, "delete")
            raise errors.InvalidRequestError(
                request=request, description="This server cannot bind codes to a DPoP key."
            )


# -- dpop_jkt at the authorization endpoint (RFC 9449 10) ---------------------------------


def _session_usable() -> bool:
    return has_request_context() and not current_app.session_interface.is_null_session(session)


def _session_key(request: Any) -> str:
    return f"{request.client_id or ''}\x00{request.state or ''}"


def _requested_jkt(request: Any) -> str | None:
    """The ``dpop_jkt`` parameter; on a consent POST without it, the one its GET sent."""
    pairs = list(request.decoded_body or [])
    pairs += parse_qsl(urlsplit(request.uri).query, keep_blank_values=True)
    values = [value for name, value in pairs if name == "dpop_jkt"]
    if len(values) > 1:
        raise errors.InvalidRequestError(request=request, description="Duplicate dpop_jkt.")
    if values:
        if not JKT_SYNTAX.fullmatch(values[0]):
            raise errors.InvalidRequestError(
                request=request, description="dpop_jkt must be a JWK SHA-256 thumbprint."
            )
        return str(values[0])
    if _session_usable() and flask_request.method == "POST":
        kept = (session.get(SESSION_KEY) or {}).get(_session_key(request))
        if isinstance(kept, str) and JKT_SYNTAX.fullmatch(kept):
            return kept
    return None


def _remember(request: Any, jkt: str | None) -> None:
    """On the request's first visit (GET), keep its ``dpop_jkt`` for the consent POST."""
    if not _session_usable() or flask_request.method != "GET":
        return
    kept = dict(session.get(SESSION_KEY) or {})
    if kept.pop(_session_key(request), None) is None and not jkt:
        return
    if jkt:
        kept[_session_key(request)] = jkt
    session[SESSION_KEY] = dict(list(kept.items())[-REMEMBERED:])


class DPoP(Feature):
    """DPoP at the authorization and token endpoints, and its metadata.

    .. versionadded:: 1.1
    """

    def install(self, server: Server) -> None:
        settings = server.settings
        validator = server.request_validator
        on = available(settings)

        def at_authorization(request: Any) -> dict[str, Any]:
            jkt = _requested_jkt(request) if on else None
            request.dpop_jkt = jkt
            _remember(request, jkt)
            return {}

        def before_token(request: Any) -> dict[str, Any]:
            request.dpop_proof = None
            request.dpop_jkt = None
            header = proof_header(request.headers) if on else None
            if header is not None:
                method, url = _method_and_url(request)
                proof = check_proof(header, method, url, settings)
                # recorded before the grant is checked: the proof is spent whatever the
                # outcome, and no storage write of the grant is pending yet (SQLite)
                record_proof(validator.replay_store, proof, settings)
                request.dpop_proof = proof
            return {}

        def after_token(request: Any) -> dict[str, Any]:
            proof: DPoPProof | None = getattr(request, "dpop_proof", None)
            required = None
            if request.grant_type == "authorization_code":
                required = getattr(getattr(request, "grant", None), "dpop_jkt", None)
            elif request.grant_type == "refresh_token" and not is_confidential(request.client):
                required = getattr(getattr(request, "refresh_token_object", None), "dpop_jkt", None)
            if required:
                if proof is None:
                    raise InvalidDPoPProof(
                        request=request, description="This grant needs a DPoP proof of its key."
                    )
                if proof.jkt != required:
                    raise InvalidDPoPProof(
                        request=request, description="The DPoP proof is not of the grant's key."
                    )
            if proof is not None:
                request.dpop_jkt = proof.jkt
            return {}

        if server.auth_grant is not None:
            server.auth_grant.custom_validators.post_auth.append(at_authorization)
        for grant in server.token_grants():
            grant.custom_validators.pre_token.append(before_token)
            grant.custom_validators.post_token.append(after_token)

    def metadata(self, server: Server, urls: Mapping[str, str]) -> dict[str, Any]:
        if not available(server.settings):
            return {}
        return {"dpop_signing_alg_values_supported": list(server.settings.dpop_algorithms)}


# -- protected resources (RFC 9449 7) -----------------------------------------------------


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DPoPTokenType:
    """``Authorization: DPoP <token>`` with a ``DPoP`` proof, for ``require_oauth``
    (registered on every provider's :class:`~.rfc6750.ResourceProtector`).

    :param settings: returns the current app's settings.

    .. versionadded:: 1.1
    """

    scheme = "dpop"

    def __init__(self, settings: Callable[[], OAuth2Settings]) -> None:
        self._settings = settings

    def _refuse(self, req: Any, error: str, description: str) -> bool:
        for name in ("access_token", "user", "client"):
            vars(req).pop(name, None)
        req.dpop_error = error
        req.error_message = description
        return False

    def validate(
        self, validator: Any, credentials: str, req: ProtectedRequest, scopes: list[str]
    ) -> bool:
        """Check the proof, then the token, then that the token is bound to the proof's
        key; the proof's ``jti`` is recorded last."""
        settings = self._settings()
        if not available(settings):
            return self._refuse(req, "invalid_token", "DPoP is not accepted here.")
        if not credentials:
            req.token_missing = True
            req.error_message = "No access token was sent."
            return False
        if not TOKEN_SYNTAX.fullmatch(credentials):
            req.malformed = True
            req.error_message = "The Authorization header must be 'DPoP <token>'."
            return False
        try:
            header = proof_header()
            if header is None:
                raise InvalidDPoPProof(description="A DPoP proof is required.")
            proof = check_proof(
                header, flask_request.method, flask_request.url, settings, credentials
            )
        except UseDPoPNonce as exc:
            vars(req)["dpop_nonce"] = exc.nonce
            return self._refuse(req, exc.error, exc.description)
        except InvalidDPoPProof as exc:
            return self._refuse(req, exc.error, exc.description)
        if not validator.validate_bearer_token(credentials, scopes, req):
            return False
        jkt = getattr(req.access_token, "dpop_jkt", None)
        if not jkt:
            return self._refuse(req, "invalid_token", "The access token is not DPoP-bound.")
        if jkt != proof.jkt:
            return self._refuse(req, "invalid_token", "The DPoP proof is not of the token's key.")
        try:
            record_proof(validator.replay_store, proof, settings)
        except InvalidDPoPProof as exc:
            return self._refuse(req, exc.error, exc.description)
        return True

    def refusal(self, req: Any, realm: str, scopes: list[str]) -> Response:
        """401 with a ``DPoP`` challenge naming the accepted algorithms (RFC 9449 7.1),
        400 for a malformed header, 403 for a missing scope."""
        settings = self._settings()
        description = getattr(req, "error_message", None) or "The access token is invalid."
        error: str | None = vars(req).get("dpop_error") or "invalid_token"
        status = 401
        headers = {"Cache-Control": "no-store"}
        if getattr(req, "malformed", False):
            error, status = "invalid_request", 400
        elif getattr(req, "insufficient_scope", False):
            error, status = "insufficient_scope", 403
        elif getattr(req, "token_missing", False):
            error = None
        nonce = vars(req).get("dpop_nonce")
        if error == "use_dpop_nonce" and settings.dpop_nonce:
            headers["DPoP-Nonce"] = nonce or issue_nonce(settings.dpop_nonce_secret)
        params = [("realm", realm), ("algs", " ".join(settings.dpop_algorithms))]
        if error:
            params += [("error", error), ("error_description", description)]
        headers["WWW-Authenticate"] = "DPoP " + ", ".join(f"{k}={_quoted(v)}" for k, v in params)
        body = {"error": error, "error_description": description} if error else {}
        if not error:
            body = {"error_description": description}
        return Response(json.dumps(body), status, headers=headers, mimetype="application/json")
