"""RFC 6750: protecting resources with bearer tokens.

One :class:`ResourceProtector` per provider checks the token of a protected request. It
keeps a registry of token types by ``Authorization`` scheme (``Bearer`` by default;
sender-constrained types register the same way), builds the :class:`BearerRequest` the
check fills in, and answers refusals with the RFC 6750 challenge.
"""

from __future__ import annotations

import json
import re
import weakref
from typing import Any, Protocol

from flask import Request, Response, request
from oauthlib.common import Request as OAuthlibRequest

from flask_oauthlib_core import FORM_MIMETYPE, is_expired, request_uri

from .config import OAuth2Settings
from .rfc8707 import accepts_audience
from .rfc9728 import challenge_url
from .validation import ValidatorBase, scopes_match

__all__ = [
    "NOT_FROM_QUERY",
    "BearerMixin",
    "BearerRequest",
    "BearerTokenType",
    "ProtectedRequest",
    "ResourceProtector",
    "TokenType",
    "bearer_error",
    "get_oauth_request",
    "refusal",
]

#: the description when a token came in the query or form and that is switched off
NOT_FROM_QUERY = (
    "Access tokens in the query string or form body are not accepted;"
    " send an Authorization: Bearer header."
)
#: what a token may hold: printable ASCII without spaces (RFC 6750's b64token and every
#: generator's output fit; control bytes and NULs never reach storage)
TOKEN_SYNTAX = re.compile(r"[!-~]+")
#: any whitespace (Unicode included), which no credentials may hold
WHITESPACE = re.compile(r"\s")
#: what only a check sets, answered with ``None`` when it did not (never taken from the
#: query or form, as oauthlib's parameters are)
CHECK_ATTRIBUTES = frozenset(
    {
        "error_message",
        "insufficient_scope",
        "token_missing",
        "malformed",
        "token_scheme",
        "refresh_token_object",
        "grant",
        "user",
        "client",
        "access_token",
    }
)


class ProtectedRequest(Protocol):
    """What a token check reads from and writes to the request it is given."""

    #: the scopes the resource needs, and whether it needs all of them
    scopes: list[str]
    require_all_scopes: bool
    #: set by a refused check: why, whether only a scope was missing, whether no token
    #: was sent, whether the request was malformed (RFC 6750 3.1 ``invalid_request``)
    error_message: str | None
    insufficient_scope: bool | None
    token_missing: bool | None
    malformed: bool | None
    #: set by a successful check
    access_token: Any
    user: Any
    client: Any


class BearerRequest(OAuthlibRequest):
    """A protected-resource request: an oauthlib ``Request`` completed from Flask's on
    first use.

    ``require_oauth`` leaves it on ``request.oauth``; hooks and ``verify_request``
    callers get every attribute oauthlib's request has (``uri``, ``headers``, ``body``,
    the OAuth parameters, ``None`` when unset) plus what the check set. The token check
    itself reads only what :class:`ProtectedRequest` names, so the hot path parses one
    header; oauthlib's constructor runs only when something else is read. (A query
    string oauthlib cannot decode, as browsers send ``%zz``, leaves the parameters out.)
    """

    # what only a check sets (CHECK_ATTRIBUTES) is None until it does, read without
    # __getattr__ on the hot path
    error_message: str | None = None
    token_missing: bool | None = None
    insufficient_scope: bool | None = None
    malformed: bool | None = None
    #: the ``Authorization`` scheme whose token type checked the request
    token_scheme: str | None = None
    refresh_token_object: Any = None
    grant: Any = None
    user: Any = None
    client: Any = None
    access_token: Any = None
    require_all_scopes: bool
    scopes: list[str]
    _completed: bool

    def __init__(self, flask_request: Request, scopes: list[str]) -> None:
        # Flask's request holds this one (request.oauth): it is held weakly here, with
        # its environ, so that no cycle waits for the garbage collector
        self._flask_request_ref = weakref.ref(flask_request)
        self._environ = flask_request.environ
        self.http_method = flask_request.method
        self.scopes = scopes

    def _flask_request(self) -> Request:
        """Flask's request, or one made from its environ once it is gone (its body may
        then be consumed)."""
        return self._flask_request_ref() or Request(self._environ)

    def _complete(self) -> None:
        """Run oauthlib's constructor on the Flask request, keeping what was set."""
        self._completed = True
        req = self._flask_request()
        body = None
        if req.mimetype == FORM_MIMETYPE:
            body = req.get_data(cache=True).decode("utf-8", "replace")
        uri, headers, known = request_uri(req), dict(req.headers), dict(self.__dict__)
        try:
            OAuthlibRequest.__init__(self, uri, req.method, body, headers)
        except ValueError:  # oauthlib refuses what browsers send unescaped ("%zz", "<")
            OAuthlibRequest.__init__(self, uri.partition("?")[0], req.method, body, headers)
        self.__dict__.update(known)

    def __getattr__(self, name: str) -> Any:
        if name in CHECK_ATTRIBUTES:
            return None
        if name.startswith("__"):
            raise AttributeError(name)
        if self.__dict__.get("_completed"):
            return super().__getattr__(name)  # oauthlib's parameters
        self._complete()
        return getattr(self, name)

    def __repr__(self) -> str:
        return f"<BearerRequest {self.http_method} {self._flask_request().path}>"


def get_oauth_request() -> BearerRequest:
    """The checked OAuth request of the current protected view (``request.oauth``),
    typed for mypy users::

        @app.route("/api/me")
        @oauth.require_oauth("email")
        def me():
            oauth_request = get_oauth_request()
            return jsonify(username=oauth_request.user.username)

    :raises RuntimeError: outside a view protected by ``require_oauth``.

    .. versionadded:: 1.1
    """
    found = getattr(request, "oauth", None)
    if not isinstance(found, BearerRequest):
        raise RuntimeError(
            "get_oauth_request() works inside a view decorated with @oauth.require_oauth()"
        )
    return found


def _split_authorization(header: str | None) -> tuple[str, str]:
    """The lower-case scheme and the credentials of an ``Authorization`` header."""
    parts = (header or "").strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0].lower(), parts[1].strip() if len(parts) > 1 else ""


def usable_here(tok: Any, scopes: Any, request: Any) -> bool:
    """Whether a valid token ``tok`` may serve ``request``: a DPoP-bound token only with
    the ``DPoP`` scheme (RFC 9449 7.2), and with every scope in ``scopes``; else
    ``request`` says why.

    .. versionadded:: 1.1
    """
    if getattr(tok, "dpop_jkt", None) and getattr(request, "token_scheme", None) != "dpop":
        request.error_message = "A DPoP-bound access token must be sent with a DPoP proof."
        request.dpop_required = True  # the refusal is a DPoP challenge (RFC 9449 7.2)
        return False
    if scopes and not scopes_match(tok.scopes, scopes, request):
        request.error_message = "The access token lacks a scope this resource needs."
        request.insufficient_scope = True
        return False
    return True


class BearerMixin(ValidatorBase):
    """The validator's check of a bearer token."""

    def validate_bearer_token(self, token: str | None, scopes: Any, request: Any) -> bool:
        """The token must exist, be unexpired and unrevoked, and carry every scope asked
        for; with a token cache, the client it names must still exist. On success
        ``request`` gets ``access_token``, ``user``, ``client``, ``scopes``."""
        if not token:
            request.error_message = "No access token was sent."
            return False
        if not TOKEN_SYNTAX.fullmatch(token):
            request.error_message = "The access token is malformed."
            return False
        tok = self._stored_token(token)
        if not tok:
            request.error_message = "The access token is invalid."
            return False
        if getattr(tok, "revoked", False):
            request.error_message = "The access token was revoked."
            return False
        if is_expired(getattr(tok, "expires", None)):
            request.error_message = "The access token expired."
            return False
        if not usable_here(tok, scopes, request):
            return False
        client = getattr(tok, "client", None)
        if client is None and getattr(tok, "client_id", None) is not None:
            # a client_id URL may name a metadata document
            client = self._client(tok.client_id, request)
            if client is None and self.token_cache is not None:
                # a cache may still answer for a client deleted since (RFC 7592 deletes
                # its tokens in storage without naming them); storage's own answer is
                # taken as 0.9.6 took it
                request.error_message = "The access token's client no longer exists."
                return False
        request.access_token = tok
        request.user = getattr(tok, "user", None)
        request.scopes = scopes
        request.client = client
        return True

    def _stored_token(self, token: str) -> Any:
        """The token the tokengetter returns for ``token``, or the token cache's answer
        (:attr:`~.validation.ValidatorBase.token_cache`)."""
        cache = self.token_cache
        if cache is None:
            return self._tokengetter(access_token=token)
        return cache.lookup(token, lambda: self._tokengetter(access_token=token))


class TokenType(Protocol):
    """A kind of access token a resource accepts, by ``Authorization`` scheme.

    A type may also have ``refusal(req, realm, scopes)`` returning the answer to a
    request it refused (with its own ``WWW-Authenticate`` challenge); without it the
    refusal is a bearer one (:func:`refusal`).
    """

    #: the scheme, lower case (``"bearer"``)
    scheme: str

    def validate(
        self, validator: Any, credentials: str, req: ProtectedRequest, scopes: list[str]
    ) -> bool:
        """Check the credentials after the scheme; fill ``req`` as
        :meth:`BearerMixin.validate_bearer_token` does."""


class BearerTokenType:
    """Bearer tokens (RFC 6750): whoever holds one may use it."""

    scheme = "bearer"

    def validate(
        self, validator: Any, credentials: str, req: ProtectedRequest, scopes: list[str]
    ) -> bool:
        if not credentials:
            req.token_missing = True
            req.error_message = "No access token was sent."
            return False
        if WHITESPACE.search(credentials):
            req.malformed = True
            req.error_message = "The Authorization header must be 'Bearer <token>'."
            return False
        return bool(validator.validate_bearer_token(credentials, scopes, req))

    def refusal(self, req: ProtectedRequest, realm: str, scopes: list[str]) -> Response:
        return refusal(req, realm, scopes)


class ResourceProtector:
    """Checks the token of a protected request against the registered token types.

    ``oauth.protector.register(token_type)`` adds a type (its scheme replaces one of the
    same name).

    .. versionadded:: 1.1
    """

    def __init__(self) -> None:
        self.token_types: dict[str, TokenType] = {}
        #: the scopes ``require_oauth`` decorators need (RFC 9728 ``scopes_supported``)
        self.protected_scopes: set[str] = set()
        self.register(BearerTokenType())

    def register(self, token_type: TokenType) -> TokenType:
        """Accept ``token_type`` from now on; returns it."""
        self.token_types[token_type.scheme.lower()] = token_type
        return token_type

    def verify(
        self, flask_request: Request, scopes: list[str], validator: Any, settings: OAuth2Settings
    ) -> tuple[bool, BearerRequest]:
        """Check the token of ``flask_request`` for ``scopes``: ``(valid, oauth_request)``.

        With ``OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS`` the token must also be meant for
        this resource (RFC 8707, :func:`~.rfc8707.accepts_audience`).
        """
        req = BearerRequest(flask_request, scopes)
        valid = self.check(req, flask_request, scopes, validator, settings)
        if (
            valid
            and settings.resource_identifiers
            and not accepts_audience(req.access_token, settings, flask_request.url)
        ):
            for name in ("access_token", "user", "client"):
                req.__dict__.pop(name, None)
            req.error_message = "The access token is not meant for this resource."
            valid = False
        return valid, req

    def check(
        self,
        req: BearerRequest,
        flask_request: Request,
        scopes: list[str],
        validator: Any,
        settings: OAuth2Settings,
    ) -> bool:
        """The check by ``Authorization`` scheme (or the query), without the audience
        (what an endpoint of the provider itself, such as userinfo, needs)."""
        req.require_all_scopes = settings.require_all_scopes
        scheme, credentials = _split_authorization(flask_request.environ.get("HTTP_AUTHORIZATION"))
        token_type = self.token_types.get(scheme)
        if token_type is not None:
            req.token_scheme = scheme
            if settings.allow_token_in_query and "access_token" in flask_request.values:
                req.malformed = True
                req.error_message = "Send the access token once: in the header or the query."
                return False
            return token_type.validate(validator, credentials, req, scopes)
        sent = flask_request.values.get("access_token")
        if sent and settings.allow_token_in_query:
            return bool(validator.validate_bearer_token(str(sent), scopes, req))
        req.token_missing = True
        req.error_message = NOT_FROM_QUERY if sent else "No access token was sent."
        return False

    def refusal(self, oauth_request: Any, realm: str, scopes: list[str]) -> Response:
        """The answer to a refused request: the token type that checked it answers
        (bearer: :func:`refusal`); a DPoP-bound token sent as Bearer gets the DPoP
        type's challenge."""
        scheme = getattr(oauth_request, "token_scheme", None)
        if vars(oauth_request).get("dpop_required") and "dpop" in self.token_types:
            scheme = "dpop"
        token_type = self.token_types.get(scheme) if scheme else None
        answer = getattr(token_type, "refusal", None)
        if answer is not None:
            return answer(oauth_request, realm, scopes)  # type: ignore[no-any-return]
        return refusal(oauth_request, realm, scopes)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def bearer_error(
    error: str | None,
    description: str,
    status: int,
    realm: str | None = None,
    scope: str | None = None,
    resource_metadata: str | None = None,
) -> Response:
    """A JSON error with the matching ``WWW-Authenticate`` challenge (RFC 6750 3), and
    the URL of the resource's metadata when given (RFC 9728 5.1).

    Without ``error`` (a request that sent no token, RFC 6750 3.1) the challenge names
    only the realm (and ``resource_metadata``) and the body only the description.

    .. versionchanged:: 1.1
        The ``resource_metadata`` parameter.
    """
    params = [("realm", realm), ("error", error)]
    if error:
        params += [("error_description", description), ("scope", scope)]
    params.append(("resource_metadata", resource_metadata))
    challenge = "Bearer " + ", ".join(f"{k}={_quoted(v)}" for k, v in params if v)
    body = (
        {"error": error, "error_description": description}
        if error
        else {"error_description": description}
    )
    return Response(
        json.dumps(body),
        status=status,
        mimetype="application/json",
        headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"},
    )


def refusal(oauth_request: Any, realm: str, scopes: list[str]) -> Response:
    """The answer to a request ``require_oauth`` refused: 401 without an error code when
    no token was sent, 401 ``invalid_token``, or 403 ``insufficient_scope`` naming the
    scopes the resource needs. While the app serves protected resource metadata the
    challenge carries its URL (RFC 9728 5.1, :func:`~.rfc9728.challenge_url`).

    .. versionchanged:: 1.1
        ``resource_metadata`` in the challenge.
    """
    description = getattr(oauth_request, "error_message", None) or "The access token is invalid."
    metadata = challenge_url()
    if getattr(oauth_request, "malformed", False):
        return bearer_error("invalid_request", description, 400, realm, None, metadata)
    if getattr(oauth_request, "insufficient_scope", False):
        scope = " ".join(scopes)
        return bearer_error("insufficient_scope", description, 403, realm, scope, metadata)
    if getattr(oauth_request, "token_missing", False):
        return bearer_error(None, description, 401, realm, None, metadata)
    return bearer_error("invalid_token", description, 401, realm, None, metadata)
