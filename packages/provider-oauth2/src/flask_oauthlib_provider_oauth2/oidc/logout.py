"""RP-Initiated Logout (OpenID Connect RP-Initiated Logout 1.0), as a feature.

A relying party sends the end-user's browser to the provider's ``end_session_endpoint``
(``GET``, or a form ``POST``) with ``id_token_hint``, ``client_id``,
``post_logout_redirect_uri``, ``state``, ``logout_hint`` and ``ui_locales``. A view
decorated with :meth:`~..provider.OAuth2Provider.logout_handler` receives the checked
request as keyword arguments and logs the user out itself (it owns the session):

* ``id_token_hint`` must be an ID token of this provider, expired or not (its ``iss``
  ours, its signature by one of our keys); its claims are ``id_token_claims``;
* ``client_id``, when sent with a hint, must be one of the hint's audiences;
* ``post_logout_redirect_uri`` must be one of the client's ``post_logout_redirect_uris``
  exactly, and needs the client to be named (by the hint or ``client_id``); the view gets
  it with ``state`` added, and only when an ``id_token_hint`` proves the relying party
  sent the request (``None`` otherwise: a ``client_id`` anyone can name is no proof);
* ``confirmation_required`` is true when a user is logged in and the request does not
  prove it comes from their relying party: no hint, or a hint about someone else. Ask
  them then (with the ``csrf_token`` in the form: a ``POST`` carrying ``confirm`` is a
  decision, refused like a forged consent form when it comes from another site).

A request that fails a check is sent to the provider's error page (``error_uri``) with
``invalid_request``, never to a redirect URI.

.. versionadded:: 1.1
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from flask import Response, redirect, request
from oauthlib.common import Request as OAuthlibRequest
from oauthlib.common import add_params_to_uri

from flask_oauthlib_core import (
    StorageUnavailable,
    consent_csrf_token,
    log_unavailable,
    refuse_forged_consent,
)

from ..endpoints import mark_endpoint, unavailable
from ..features import EndpointCall, Feature
from .claims import subject
from .context import OpenIDContext
from .validator import OpenIDMixin

if TYPE_CHECKING:
    from ..provider import OAuth2Provider
    from ..server import Server

__all__ = ["EndSession", "LogoutRequest", "logout_view"]

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: the parameters of a logout request (RP-Initiated Logout 1.0, 2)
PARAMETERS = (
    "id_token_hint",
    "logout_hint",
    "client_id",
    "post_logout_redirect_uri",
    "state",
    "ui_locales",
)
#: the longest parameter value read (an ID token is the longest)
MAX_LENGTH = 8192


class LogoutRefused(ValueError):
    """A logout request that fails a check; the message is its ``error_description``."""


@dataclass(frozen=True)
class LogoutRequest:
    """A checked logout request, as the logout view receives it (keyword arguments).

    .. versionadded:: 1.1
    """

    #: the end-user logged in at the provider (the ``logingetter``'s), or ``None``
    user: Any
    #: the relying party, named by the hint or ``client_id``, or ``None``
    client: Any
    client_id: str | None
    #: the verified claims of ``id_token_hint``, or ``None``
    id_token_claims: dict[str, Any] | None
    #: where to send the browser once logged out: a registered URI with ``state``, only
    #: with an ``id_token_hint``
    post_logout_redirect_uri: str | None
    state: str | None
    logout_hint: str | None
    ui_locales: str | None
    #: a user is logged in and the request does not prove it comes from their RP
    confirmation_required: bool
    #: the request's parameters, for hidden fields of a confirmation form
    params: dict[str, str] = field(default_factory=dict)

    def as_kwargs(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _params() -> dict[str, str]:
    """The logout parameters of the query and, for a ``POST``, of the form (a
    confirmation form may post back to the URL that carries them); each at most once."""
    params: dict[str, str] = {}
    for name in PARAMETERS:
        given = request.values.getlist(name)
        if len(given) > 1:
            raise LogoutRefused(f"The {name} parameter is repeated.")
        if given and given[0]:
            if len(given[0]) > MAX_LENGTH or "\x00" in given[0]:
                raise LogoutRefused(f"The {name} parameter is malformed.")
            params[name] = given[0]
    return params


def _hint_claims(hint: str, context: OpenIDContext) -> dict[str, Any]:
    try:
        claims = context.keys.verify(hint, expired_ok=True)
    except (ValueError, ImportError) as exc:
        raise LogoutRefused("The id_token_hint is not an ID token of this provider.") from exc
    if claims.get("iss") != context.issuer:
        raise LogoutRefused("The id_token_hint has another issuer.")
    return dict(claims)


def _audiences(claims: Mapping[str, Any]) -> list[str]:
    """The ``aud`` of a hint as a list of client ids.

    :raises LogoutRefused: when it names none (ours always name the client).
    """
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not audiences or not all(isinstance(a, str) and a for a in audiences):
        raise LogoutRefused("The id_token_hint names no client.")
    return list(audiences)


def _registered(client: Any) -> list[str]:
    """The client's ``post_logout_redirect_uris`` as a list (a string holds them
    space-separated, as the SQLAlchemy models store them)."""
    uris = getattr(client, "post_logout_redirect_uris", None) or ()
    if isinstance(uris, str):
        return uris.split()
    return [uri for uri in uris if isinstance(uri, str)]


def read_logout_request(validator: OpenIDMixin, context: OpenIDContext) -> LogoutRequest:
    """Check the current Flask request as a logout request.

    :raises LogoutRefused: for a request that fails a check.
    """
    params = _params()
    # the parameters are read above: oauthlib's request (for the clientgetter) needs no
    # query, which it would refuse for a "<", ">" or '"' in a relying party's state
    oauthlib_request = OAuthlibRequest(
        request.base_url, request.method, None, dict(request.headers)
    )
    claims = _hint_claims(params["id_token_hint"], context) if "id_token_hint" in params else None
    client_id = params.get("client_id")
    if claims is not None:
        audiences = _audiences(claims)
        if client_id is None and len(audiences) == 1:
            client_id = audiences[0]
        elif client_id is None:
            client_id = claims.get("azp") if claims.get("azp") in audiences else None
        elif client_id not in audiences:
            raise LogoutRefused("The client_id is not an audience of the id_token_hint.")
    client = validator._client(client_id, oauthlib_request) if client_id else None
    if client_id and client is None:
        raise LogoutRefused("The client is not known.")
    redirect_uri = params.get("post_logout_redirect_uri")
    if redirect_uri is not None:
        if client is None:
            raise LogoutRefused("A post_logout_redirect_uri needs id_token_hint or client_id.")
        if redirect_uri not in _registered(client):
            raise LogoutRefused("The post_logout_redirect_uri is not registered.")
        if claims is None:
            # only an ID token proves the relying party sent the user: a client_id names
            # a client anyone may have registered (with open registration), so without
            # a hint the provider does not redirect (RP-Initiated Logout 1.0, 3)
            redirect_uri = None
        elif "state" in params:
            redirect_uri = add_params_to_uri(redirect_uri, [("state", params["state"])])
    login = validator.current_login(oauthlib_request)
    user = login[0] if login else None
    proven = False
    if user is not None and claims is not None:
        proven = str(claims.get("sub")) == subject(validator.user_claims(user, oauthlib_request))
    return LogoutRequest(
        user=user,
        client=client,
        client_id=client_id,
        id_token_claims=claims,
        post_logout_redirect_uri=redirect_uri,
        state=params.get("state"),
        logout_hint=params.get("logout_hint"),
        ui_locales=params.get("ui_locales"),
        confirmation_required=user is not None and not proven,
        params=params,
    )


def logout_view(provider: OAuth2Provider, view: F) -> F:
    """The view of :meth:`~..provider.OAuth2Provider.logout_handler`."""

    @wraps(view)
    def decorated(*args: Any, **kwargs: Any) -> Any:
        server, settings = provider._built()
        validator = server.request_validator
        if not server.feature("end_session").serves("end_session", server):
            return Response('{"error": "not_found"}', 404, mimetype="application/json")
        if request.method == "POST" and "confirm" in request.form:
            refused = refuse_forged_consent(csrf_required=True)
            if refused is not None:
                return refused
        try:
            logout = read_logout_request(cast(OpenIDMixin, validator), OpenIDContext(settings))
        except LogoutRefused as exc:
            log.info("refused a logout request: %s", exc)
            error = [("error", "invalid_request"), ("error_description", str(exc))]
            return redirect(add_params_to_uri(provider.error_uri, error))
        except StorageUnavailable as exc:
            log_unavailable(log, "at the end_session endpoint", exc)
            return unavailable()
        kwargs.update(logout.as_kwargs(), csrf_token=consent_csrf_token())
        return view(*args, **kwargs)

    return mark_endpoint(cast(F, decorated), "end_session")


class EndSession(Feature):
    """The ``end_session_endpoint`` of RP-Initiated Logout while OpenID Connect is on;
    served by a view decorated with ``oauth.logout_handler``.

    .. versionadded:: 1.1
    """

    endpoints: ClassVar[Mapping[str, str]] = {"end_session": "end_session_endpoint"}

    def serves(self, kind: str, server: Server) -> bool:
        return (
            kind == "end_session"
            and server.settings.oidc_enabled
            and isinstance(server.request_validator, OpenIDMixin)
        )

    def endpoint(self, kind: str, server: Server, view_result: Any) -> EndpointCall:
        raise LookupError("decorate the logout view with oauth.logout_handler")
