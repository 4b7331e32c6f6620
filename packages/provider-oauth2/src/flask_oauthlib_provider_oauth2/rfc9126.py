"""RFC 9126: pushed authorization requests (PAR), as one feature.

A client POSTs its authorization request to the PAR endpoint (the view decorated with
``oauth.par_handler``), authenticating as at the token endpoint (the validator's
``authenticate_client``, so every registered method works; a public client names
itself with ``client_id``). The parameters, or those of a signed request object sent as
``request`` (:mod:`.rfc9101`), are checked as the authorization endpoint checks them
before anything is kept (a push holds at most :data:`MAX_PUSH_SIZE` bytes); the answer
is ``201`` with a one-time ``request_uri``
(``urn:ietf:params:oauth:request_uri:`` and 256 random bits) that lives
``OAUTH2_PROVIDER_PAR_EXPIRES_IN`` seconds. A ``request_uri`` inside a push is refused.

The browser then brings ``client_id`` and ``request_uri`` to the authorization endpoint,
where :func:`resolve_authorization_request` puts the pushed parameters in place of the
request's: a ``request_uri`` of another client, unknown, expired or used is refused
(``invalid_request_uri``), and so is a query parameter that differs from the pushed one
(RFC 9126 4).

Single use: the consent page (``GET``) and the decision (``POST``) both read the pushed
request without using it up (:meth:`~.PushedRequestStore.peek`); the record is taken
atomically (:meth:`~.PushedRequestStore.take`) when the authorization response is
created, just before the code is issued, so one ``request_uri`` yields at most one
code, and a second decision with it is refused. A failure after the take (storage down
while saving the code) leaves the ``request_uri`` used up: the client pushes again.

``OAUTH2_PROVIDER_REQUIRE_PUSHED_AUTHORIZATION_REQUESTS`` (every client) or a client's
``require_pushed_authorization_requests`` refuses authorization requests that were not
pushed.

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
import weakref
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import has_request_context
from flask import request as flask_request
from oauthlib.common import Request
from oauthlib.oauth2.rfc6749 import errors

from flask_oauthlib_core import StorageUnavailable

from .features import Feature
from .pushed_requests import (
    URN_PREFIX,
    MemoryPushedRequestStore,
    PushedRequestStore,
    pushed_request_key,
)
from .rfc8414 import on_issuer
from .rfc9101 import (
    InvalidRequestObject,
    InvalidRequestURI,
    Params,
    RequestURINotSupported,
    client_setting,
    request_object_params,
    requires_signed_request_object,
)

if TYPE_CHECKING:
    from .config import OAuth2Settings
    from .server import Server

__all__ = [
    "PushedAuthorizationRequests",
    "SignedRequestObjectRequired",
    "check_request_rules",
    "requires_pushed_authorization_requests",
    "resolve_authorization_request",
    "store_of",
]

log = logging.getLogger(__name__)

#: parameters of client authentication: never kept with a pushed request
CLIENT_AUTH_PARAMS = frozenset({"client_secret", "client_assertion", "client_assertion_type"})
#: the longest ``request_uri`` looked up
MAX_REQUEST_URI_LENGTH = 256
#: the largest pushed request body (a browser's URL used to bound the request; a signed
#: request object with many claims stays well below)
MAX_PUSH_SIZE = 16384
FORM = "application/x-www-form-urlencoded"
#: the WSGI environ key noting whether the authorization request was pushed or signed
RESOLVED = "flask_oauthlib.authorization_request"

_DEFAULT_STORES: weakref.WeakKeyDictionary[Server, PushedRequestStore] = weakref.WeakKeyDictionary()
_DEFAULT_STORES_LOCK = threading.Lock()


def store_of(server: Server) -> PushedRequestStore:
    """The pushed request store of ``server``: its validator's ``pushed_request_store``
    (the provider sets it), else a memory store of the server's own."""
    store = getattr(server.request_validator, "pushed_request_store", None)
    if store is not None:
        return store  # type: ignore[no-any-return]
    with _DEFAULT_STORES_LOCK:
        found = _DEFAULT_STORES.get(server)
        if found is None:
            found = _DEFAULT_STORES[server] = MemoryPushedRequestStore()
        return found


def requires_pushed_authorization_requests(client: Any, settings: OAuth2Settings) -> bool:
    """Whether ``client`` must push its authorization requests: the app says so for
    every client, or the client for itself."""
    return settings.require_pushed_authorization_requests or (
        client_setting(client, "require_pushed_authorization_requests") is True
    )


def _issuer(settings: OAuth2Settings) -> str:
    return settings.issuer or flask_request.host_url.rstrip("/")


def _invalid(description: str) -> errors.OAuth2Error:
    return errors.InvalidRequestFatalError(description=description)


def _with_params(uri: str, params: Params) -> str:
    return urlunsplit(urlsplit(uri)._replace(query=urlencode(params, doseq=True)))


# -- the PAR endpoint -----------------------------------------------------------------------


def _authenticate(server: Server, req: Request) -> Any:
    """The client of ``req``, authenticated as at the token endpoint."""
    validator = server.request_validator
    if validator.client_authentication_required(req):
        if not validator.authenticate_client(req):
            raise errors.InvalidClientError(request=req)
    elif not validator.authenticate_client_id(req.client_id, req):
        raise errors.InvalidClientError(request=req)
    return req.client


def _pushed_params(server: Server, uri: str, req: Request, client: Any) -> tuple[Params, bool]:
    """The authorization parameters of a push, and whether a signed object gave them."""
    client_id = str(client.client_id)
    sent = dict(req.decoded_body or ())
    if sent.get("client_id", client_id) != client_id:
        raise _invalid("The client_id is not the authenticated client's.")
    params: Params = {k: v for k, v in sent.items() if k not in CLIENT_AUTH_PARAMS}
    params["client_id"] = client_id
    settings = server.settings
    if "request" in params:
        endpoint = urlunsplit(urlsplit(uri)._replace(query=""))
        audience = [_issuer(settings), on_issuer(settings, endpoint)]
        return request_object_params(
            client, params["request"], client_id=client_id, audience=audience, settings=settings
        )
    if requires_signed_request_object(client, settings):
        raise InvalidRequestObject(description="The client must send a signed request object.")
    return params, False


def push(server: Server, uri: str, method: str, body: str | None, headers: dict[str, str]) -> Any:
    """Answer one request to the PAR endpoint (an :data:`~.features.EndpointCall`)."""
    json_type = {"Content-Type": "application/json"}
    if method != "POST":
        error = {"error": "invalid_request", "error_description": "Use POST."}
        return {**json_type, "Allow": "POST"}, json.dumps(error), 405
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if content_type.partition(";")[0].strip().lower() != FORM:
        raise _invalid(f"The request body must be {FORM}.")
    if body is not None and len(body) > MAX_PUSH_SIZE:
        raise _invalid(f"A pushed request holds at most {MAX_PUSH_SIZE} bytes.")
    try:
        req = Request(uri, method, body, headers)
    except ValueError as exc:
        raise _invalid("The request body is malformed.") from exc
    if req.duplicate_params:
        raise _invalid("A parameter is repeated.")
    if "request_uri" in dict(req.decoded_body or ()):
        raise _invalid("A pushed request cannot carry a request_uri.")
    client = _authenticate(server, req)
    params, signed = _pushed_params(server, uri, req, client)
    _mark(pushed=True, signed=signed)
    # checked as the authorization endpoint checks it, before anything is kept
    server.validate_authorization_request(_with_params(uri, params), "GET", None, {})
    expires_in = server.settings.par_expires_in
    request_uri = URN_PREFIX + secrets.token_urlsafe(32)
    record = {
        "client_id": params["client_id"],
        "params": params,
        "expires_at": int(time.time()) + expires_in,
        "signed": signed,
    }
    try:
        store_of(server).save(pushed_request_key(request_uri), record, expires_in)
    except OverflowError as exc:
        raise StorageUnavailable("the pushed request store is full") from exc
    log.debug("pushed an authorization request")
    answer = {"request_uri": request_uri, "expires_in": expires_in}
    return json_type, json.dumps(answer), 201


# -- the authorization endpoint -------------------------------------------------------------


def _find_client(server: Server, uri: str, client_id: str) -> Any:
    validator = server.request_validator
    find = getattr(validator, "_client", None)
    if find is not None:
        return find(client_id, Request(uri))
    return validator._clientgetter(client_id)


def _single(sources: tuple[list[tuple[str, str]], ...], name: str) -> str | None:
    """The one value of ``name`` in the query and the form: a source may hold it once,
    and both the same value (a consent form re-posting the request)."""
    values: set[str] = set()
    for pairs in sources:
        found = [value for key, value in pairs if key == name]
        if len(found) > 1:
            raise _invalid(f"Duplicate {name} parameter.")
        values.update(found)
    if len(values) > 1:
        raise _invalid(f"Duplicate {name} parameter.")
    return values.pop() if values else None


def _matches(pushed: Any, value: str) -> bool:
    return value in pushed if isinstance(pushed, list) else bool(pushed == value)


def _pushed(
    server: Server,
    client_id: str,
    request_uri: str,
    query: list[tuple[str, str]],
    form: list[tuple[str, str]],
    consume: bool,
) -> tuple[Params, bool]:
    """The pushed parameters ``request_uri`` stands for (taken when ``consume``)."""
    if not request_uri.startswith(URN_PREFIX) or len(request_uri) > MAX_REQUEST_URI_LENGTH:
        raise RequestURINotSupported(
            description="Only request_uri values of pushed authorization requests are accepted."
        )
    store = store_of(server)
    key = pushed_request_key(request_uri)
    record = store.peek(key)
    if (
        not isinstance(record, Mapping)
        or record.get("client_id") != client_id
        or not isinstance(record.get("params"), Mapping)
        or not isinstance(record.get("expires_at"), int | float)
        or record["expires_at"] <= time.time()
    ):
        raise InvalidRequestURI(description="The request_uri is unknown, expired or used.")
    pushed: Params = dict(record["params"])
    for name, value in query:  # RFC 9126 4: the query may not change the pushed request
        if name not in ("client_id", "request_uri") and not _matches(pushed.get(name), value):
            raise _invalid(f"The {name} parameter differs from the pushed request.")
    for name, value in form:  # a consent form re-posting the request
        if name in pushed and not _matches(pushed[name], value):
            raise _invalid(f"The {name} parameter differs from the pushed request.")
    if consume:
        taken = store.take(key)
        if not isinstance(taken, Mapping) or taken.get("client_id") != client_id:
            raise InvalidRequestURI(description="The request_uri is unknown, expired or used.")
    return pushed, bool(record.get("signed"))


def resolve_authorization_request(
    server: Server,
    uri: str,
    method: str,
    body: str | None,
    headers: Mapping[str, str],
    *,
    consume: bool,
) -> tuple[str, str | None, Params | None]:
    """The authorization request ``(uri, body)`` with a pushed request or a request
    object put in place of its parameters: ``(uri, body, params)``, ``params`` the
    resolved parameters (``None``, and ``uri`` and ``body`` unchanged, for a plain
    request). ``consume`` takes the pushed request (when the response is created).

    :raises errors.FatalClientError: for a ``request_uri`` or request object that is
        not acceptable, or a parameter differing from the pushed one.

    .. versionadded:: 1.1
    """
    query = parse_qsl(urlsplit(uri).query, keep_blank_values=True)
    form: list[tuple[str, str]] = []
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if method == "POST" and body and content_type.partition(";")[0].strip().lower() == FORM:
        form = parse_qsl(body, keep_blank_values=True)
    sources = (query, form)
    request_uri, request_object = _single(sources, "request_uri"), _single(sources, "request")
    client_id = _single(sources, "client_id")
    settings = server.settings
    _mark(pushed=False, signed=False)
    if request_uri is None and request_object is None:
        return uri, body, None  # the client's rules: check_request_rules
    if request_uri is not None and request_object is not None:
        raise _invalid("A request cannot carry both request and request_uri.")
    if not client_id:
        raise errors.MissingClientIdError(description="Missing client_id parameter.")
    client = _find_client(server, uri, client_id)
    if client is None:
        raise errors.InvalidClientIdError(description="Invalid client_id parameter value.")
    if request_uri is not None:
        params, signed = _pushed(server, client_id, request_uri, query, form, consume)
        _mark(pushed=True, signed=signed)
    else:
        params, _ = request_object_params(
            client,
            request_object,
            client_id=client_id,
            audience=_issuer(settings),
            settings=settings,
        )
        _mark(pushed=False, signed=True)
    return _with_params(uri, params), None, params


def _mark(*, pushed: bool, signed: bool) -> None:
    """Note on the Flask request how its authorization request came (for
    :func:`check_request_rules`); a client cannot set it (it is no header)."""
    if has_request_context():
        flask_request.environ[RESOLVED] = (pushed, signed)


class SignedRequestObjectRequired(errors.OAuth2Error):
    """``invalid_request_object``: the client must send a signed request object."""

    error = "invalid_request_object"
    description = "The client must send a signed request object."


def check_request_rules(settings: OAuth2Settings, request: Any) -> dict[str, Any]:
    """Refuse a request not pushed from a client that must push, or not signed from one
    that must sign (the app's settings or the client's). An oauthlib ``pre_auth``
    validator: the client and its redirect URI are checked, so the error goes there."""
    pushed, signed = (
        flask_request.environ.get(RESOLVED, (False, False))
        if has_request_context()
        else (False, False)
    )
    client = request.client
    if not pushed and requires_pushed_authorization_requests(client, settings):
        raise errors.InvalidRequestError(
            request=request, description="The client must push its authorization requests."
        )
    if not signed and requires_signed_request_object(client, settings):
        raise SignedRequestObjectRequired(request=request)
    return {}


class PushedAuthorizationRequests(Feature):
    """The PAR endpoint (``oauth.par_handler``) and its metadata.

    .. versionadded:: 1.1
    """

    endpoints: ClassVar[Mapping[str, str]] = {"par": "pushed_authorization_request_endpoint"}

    def install(self, server: Server) -> None:
        check = partial(check_request_rules, server.settings)
        for grant in (server.auth_grant, server.implicit_grant):
            if grant is not None:
                grant.custom_validators.pre_auth.append(check)

    def endpoint(self, kind: str, server: Server, view_result: Any) -> Any:
        return partial(push, server)

    def metadata(self, server: Server, urls: Mapping[str, str]) -> dict[str, Any]:
        if "pushed_authorization_request_endpoint" not in urls:
            return {}
        required = server.settings.require_pushed_authorization_requests
        return {"require_pushed_authorization_requests": required}
