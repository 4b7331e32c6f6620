"""RFC 8707: resource indicators, as one feature.

A client names the protected resources (APIs) it wants a token for with ``resource``
parameters, at the authorization endpoint and at the token endpoint (several allowed);
the resources become the audience of the token:

- each must be an absolute URI without a fragment (at most :data:`MAX_RESOURCES` of at
  most :data:`MAX_LENGTH` characters), and be allowed: by
  ``OAUTH2_PROVIDER_ALLOWED_RESOURCES`` (every absolute URI when unset) and by the
  client's ``allowed_resources`` (every resource when absent or ``None``; a client that
  has them and names none gets them all). Anything else is ``invalid_target``;
- resources asked at the authorization endpoint are kept with the code: the grantsetter
  finds them as ``request.resources`` and the grant exposes them as ``resources``. A
  token request may narrow them to a subset, never ask for one not granted; a refresh
  may narrow the refresh token's resources, never widen them;
- the tokensetter finds the token's audience as ``request.resources`` (a list, empty
  when the token has none) and the token exposes it as ``resources``;
- storage that does not keep them is never trusted: after saving a code or a token with
  resources the provider reads it back, and refuses (``invalid_target``, the code or
  token withdrawn) when it lost them, rather than issue a token for every resource.
  Without ``resource`` nothing changes: an old app keeps working as before.

A protected resource checks the audience (:func:`accepts_audience`, used by
``require_oauth``) when ``OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS`` names it.

.. versionadded:: 1.1
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from flask import current_app, has_request_context, session
from flask import request as flask_request
from oauthlib.oauth2.rfc6749 import errors

from .features import Feature
from .tokens import TokenMixin
from .validation import call_optional

if TYPE_CHECKING:
    from .config import OAuth2Settings
    from .server import Server

__all__ = [
    "MAX_LENGTH",
    "MAX_RESOURCES",
    "InvalidTarget",
    "ResourceIndicators",
    "ResourceIndicatorsMixin",
    "accepts_audience",
    "identifier_of",
    "is_resource_uri",
    "requested_resources",
    "stored_resources",
]

log = logging.getLogger(__name__)

#: the most different ``resource`` values one request may carry (the same one repeated
#: counts once, up to twice as many values), and the longest one
MAX_RESOURCES = 16
MAX_LENGTH = 2048
#: RFC 3986 4.3: ``absolute-URI = scheme ":" hier-part [ "?" query ]``, in the characters
#: a URI may hold; ``#`` is not among them (RFC 8707 2: no fragment)
ABSOLUTE_URI = re.compile(
    r"[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?@!$&'()*+,;=\[\]]|%[0-9A-Fa-f]{2})+"
)
#: the description of a refusal because storage cannot keep resources
NOT_KEPT = "This server cannot keep resource indicators; ask without the resource parameter."
NOT_KEPT_LOG = (
    "refused a request with resource indicators: the %s did not keep request.resources"
    " (store them and expose them as the 'resources' attribute; the bundled SQLAlchemy"
    " models and cache binding do)"
)
#: the session key of the resources of validated authorization requests, for a
#: consent form that does not re-post them; how many pending requests keep theirs
SESSION_KEY = "_flask_oauthlib_resources"
REMEMBERED = 8
_MISSING = object()


class InvalidTarget(errors.OAuth2Error):
    """``invalid_target`` (RFC 8707 2): a requested resource is invalid, missing,
    unknown or malformed, or one this server or client may not ask for.

    .. versionadded:: 1.1
    """

    error = "invalid_target"
    status_code = 400
    description = "The requested resource is invalid, unknown or not allowed."


def is_resource_uri(value: str) -> bool:
    """Whether ``value`` may name a resource: an absolute URI (RFC 3986 4.3) without a
    fragment, of at most :data:`MAX_LENGTH` characters; ``http`` and ``https`` URIs
    need a host."""
    if len(value) > MAX_LENGTH or not ABSOLUTE_URI.fullmatch(value):
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        return False
    return parts.scheme.lower() not in ("http", "https") or bool(host)


def _parameters(request: Any) -> list[str]:
    """Every ``resource`` value of an oauthlib request, query and form body (the query
    read as leniently as oauthlib reads its parameters)."""
    pairs = list(request.decoded_body or [])
    pairs += parse_qsl(urlsplit(request.uri).query, keep_blank_values=True)
    return [str(value) for name, value in pairs if name == "resource"]


def requested_resources(request: Any) -> list[str]:
    """The resources an oauthlib request names, each once, in order.

    :raises InvalidTarget: for more than :data:`MAX_RESOURCES` different ones (or twice
        as many values), or one that is not an absolute URI without a fragment.
    """
    values = _parameters(request)
    if len(values) > 2 * MAX_RESOURCES or len(set(values)) > MAX_RESOURCES:
        raise InvalidTarget(
            request=request, description=f"At most {MAX_RESOURCES} resource parameters."
        )
    for value in values:
        if "#" in value:
            raise InvalidTarget(request=request, description="A resource has no fragment.")
        if not is_resource_uri(value):
            raise InvalidTarget(
                request=request,
                description=f"A resource must be an absolute URI of at most {MAX_LENGTH}"
                " characters.",
            )
    return list(dict.fromkeys(values))


def _as_list(value: Any) -> list[str]:
    """Resources given as a list (or tuple, set) or as space-separated text."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list | tuple | set | frozenset):
        return [str(item) for item in value]
    return []


def stored_resources(obj: Any) -> list[str] | None:
    """The ``resources`` of a stored grant or token (a list, or their space-separated
    text); ``None`` when the object has no such attribute (storage that keeps none)."""
    if isinstance(obj, dict):
        value = obj.get("resources", _MISSING)
    else:
        value = getattr(obj, "resources", _MISSING)
    return None if value is _MISSING else _as_list(value)


def _client_resources(client: Any) -> list[str] | None:
    """The client's ``allowed_resources`` (``None``: any)."""
    allowed = getattr(client, "allowed_resources", None)
    return None if allowed is None else _as_list(allowed)


def _check_allowed(resources: Iterable[str], client: Any, settings: Any, request: Any) -> None:
    """Refuse resources the server (``OAUTH2_PROVIDER_ALLOWED_RESOURCES``) or the client
    (``allowed_resources``) does not allow."""
    server_list = getattr(settings, "allowed_resources", None)
    client_list = _client_resources(client) if client is not None else None
    for resource in resources:
        if server_list is not None and resource not in server_list:
            raise InvalidTarget(
                request=request, description="A requested resource is unknown to this server."
            )
        if client_list is not None and resource not in client_list:
            raise InvalidTarget(
                request=request, description="A requested resource is not allowed to this client."
            )


def identifier_of(url: str, identifiers: Iterable[str]) -> str | None:
    """Of the resource ``identifiers``, the longest whose URL ``url`` falls under (same
    scheme and host, its path or below), or ``None``."""
    here = urlsplit(url)
    found, length = None, -1
    for identifier in identifiers:
        parts = urlsplit(identifier)
        same_origin = (parts.scheme.lower(), parts.netloc.lower()) == (
            here.scheme.lower(),
            here.netloc.lower(),
        )
        base = parts.path.rstrip("/")
        under = here.path == base or here.path.startswith(base + "/")
        if same_origin and under and len(base) > length:
            found, length = identifier, len(base)
    return found


def accepts_audience(token: Any, settings: OAuth2Settings, url: str | None = None) -> bool:
    """Whether a protected resource of this app accepts ``token``: always unless
    ``OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS`` names it; then the token's ``resources``
    must include the identifier the request's ``url`` falls under (:func:`identifier_of`:
    an API refuses a token meant for another API of the same app), or one of them for a
    URL under none, and a token without any is accepted only while
    ``OAUTH2_PROVIDER_ALLOW_TOKENS_WITHOUT_AUDIENCE`` is on."""
    identifiers = settings.resource_identifiers
    if not identifiers:
        return True
    audience = stored_resources(token) or []
    if not audience:
        return settings.allow_tokens_without_audience
    target = identifier_of(url, identifiers) if url else None
    if target is not None:
        return target in audience
    return any(identifier in audience for identifier in identifiers)


# -- a consent form that does not re-post the resources ----------------------------------


def _session_key(request: Any) -> str:
    return f"{request.client_id or ''}\x00{request.state or ''}"


def _session_usable() -> bool:
    return has_request_context() and not current_app.session_interface.is_null_session(session)


def _remember(request: Any, resources: list[str]) -> None:
    """On the request's first visit (GET), keep its resources in the session (or forget
    what an earlier request of the same client and ``state`` kept)."""
    if not _session_usable() or flask_request.method != "GET":
        return
    kept = dict(session.get(SESSION_KEY) or {})
    if kept.pop(_session_key(request), None) is None and not resources:
        return
    if resources:
        kept[_session_key(request)] = resources
    session[SESSION_KEY] = dict(list(kept.items())[-REMEMBERED:])


def _restored(request: Any) -> list[str]:
    """On a consent POST that re-posts no ``resource``, what its GET asked for."""
    if not _session_usable() or flask_request.method != "POST":
        return []
    return list((session.get(SESSION_KEY) or {}).get(_session_key(request)) or [])


class ResourceIndicatorsMixin(TokenMixin):
    """The validator's part: confirming that storage kept the resources it was given."""

    def keeps_resources(self) -> bool:
        """Whether this validator confirms that storage keeps resources (it reads codes
        and tokens back); a validator that cannot is never given any.

        .. versionadded:: 1.1
        """
        return True

    def confirm_code_resources(self, client_id: str, code: dict[str, Any], request: Any) -> None:
        """After the grantsetter saved a code with ``request.resources``: read it back,
        and withdraw it (``delete()``) and refuse when its ``resources`` differ.

        :raises InvalidTarget: when the grant lost them.
        """
        resources = getattr(request, "resources", None)
        if not resources:
            return
        grant = self._grantgetter(client_id=client_id, code=code["code"])
        kept = stored_resources(grant) if grant is not None else None
        if kept is None or set(kept) != set(resources):
            log.error(NOT_KEPT_LOG, "grantsetter")
            if grant is not None:
                call_optional(grant, "delete")
            raise InvalidTarget(request=request, description=NOT_KEPT)

    def save_bearer_token(
        self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        """Save the token (:meth:`.TokenMixin.save_bearer_token`); one with resources is
        read back, and revoked and refused when its ``resources`` differ.

        :raises InvalidTarget: when the token lost them.
        """
        answer = super().save_bearer_token(token, request, *args, **kwargs)
        resources = getattr(request, "resources", None)
        if resources:
            tok = self._tokengetter(access_token=token["access_token"])
            kept = stored_resources(tok) if tok else None
            if kept is None or set(kept) != set(resources):
                log.error(NOT_KEPT_LOG, "tokensetter")
                if tok:
                    call_optional(tok, "revoke" if hasattr(tok, "revoke") else "delete")
                raise InvalidTarget(request=request, description=NOT_KEPT)
        return answer


class ResourceIndicators(Feature):
    """The ``resource`` parameter at the authorization and token endpoints (RFC 8707
    adds nothing to the metadata document: ``protected_resources`` is RFC 9728's,
    :class:`~.rfc9728.ResourceMetadata`).

    .. versionadded:: 1.1
    """

    def install(self, server: Server) -> None:
        settings = server.settings
        validator = server.request_validator
        keeps = getattr(validator, "keeps_resources", None)
        trusted = keeps is not None and bool(keeps())

        def refuse_untrusted(resources: list[str], request: Any) -> None:
            if resources and not trusted:
                log.error("refused resource indicators: the validator cannot confirm them")
                raise InvalidTarget(request=request, description=NOT_KEPT)

        def at_authorization(request: Any) -> dict[str, Any]:
            asked = requested_resources(request) or _restored(request)
            resources = asked or _client_resources(request.client) or []
            _check_allowed(resources, request.client, settings, request)
            refuse_untrusted(resources, request)
            request.resources = resources
            _remember(request, asked)
            return {"resources": resources} if resources else {}

        def before_token(request: Any) -> dict[str, Any]:
            asked = requested_resources(request)
            _check_allowed(asked, None, settings, request)
            request.requested_resources = asked
            request.resources = []
            return {}

        def after_token(request: Any) -> dict[str, Any]:
            asked = list(getattr(request, "requested_resources", None) or [])
            client = request.client
            bound: list[str] = []
            if request.grant_type == "authorization_code":
                bound = stored_resources(getattr(request, "grant", None)) or []
            elif request.grant_type == "refresh_token":
                bound = stored_resources(getattr(request, "refresh_token_object", None)) or []
            if bound and not set(asked).issubset(bound):
                raise InvalidTarget(
                    request=request, description="A requested resource was not granted."
                )
            resources = asked or bound or _client_resources(client) or []
            _check_allowed(resources, client, settings, request)  # still allowed
            refuse_untrusted(resources, request)
            request.resources = resources
            return {}

        for grant in (server.auth_grant, server.implicit_grant):
            if grant is not None:
                grant.custom_validators.post_auth.append(at_authorization)
        for grant in server.token_grants():
            grant.custom_validators.pre_token.append(before_token)
            grant.custom_validators.post_token.append(after_token)
