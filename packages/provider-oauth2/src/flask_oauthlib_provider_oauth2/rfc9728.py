"""RFC 9728: OAuth 2.0 Protected Resource Metadata, as one feature.

A protected resource describes itself in a JSON document, found from its resource
identifier by inserting ``/.well-known/oauth-protected-resource`` between the host and
the path (RFC 9728 3.1): the resource ``https://api.example.com/mcp`` at
``https://api.example.com/.well-known/oauth-protected-resource/mcp``. A client that gets a
401 from a resource learns that URL from the challenge's ``resource_metadata``
parameter (RFC 9728 5.1), then the authorization server from the document.

- The view decorated with ``oauth.resource_metadata_handler`` serves the document of
  each resource this app is (``OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS``; without it the
  app is one resource, its host URL): ``resource``, ``authorization_servers`` (this
  provider's issuer), ``scopes_supported`` (those its ``require_oauth`` decorators need)
  and ``bearer_methods_supported``, with what the view returns merged in. A URL that is
  no resource's metadata URL is answered 404.
- While such a view is routed, refusals of ``require_oauth`` and of the userinfo
  endpoint carry ``resource_metadata``: the metadata URL of the resource the request
  falls under (:func:`challenge_url`).
- The authorization server metadata lists ``protected_resources`` (RFC 9728 4) when the
  resources are known (``OAUTH2_PROVIDER_ALLOWED_RESOURCES``, else
  ``OAUTH2_PROVIDER_RESOURCE_IDENTIFIERS``).

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Callable, Mapping
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import unquote, urlsplit, urlunsplit

from flask import Flask, Response, current_app, has_request_context, request
from werkzeug.exceptions import HTTPException

from .config import OAuth2Settings, current_state
from .endpoints import ENDPOINT_MARK, mark_endpoint
from .features import Feature
from .rfc8707 import identifier_of

if TYPE_CHECKING:
    from .provider import OAuth2Provider
    from .server import Server

__all__ = [
    "KIND",
    "WELL_KNOWN",
    "ResourceMetadata",
    "challenge_url",
    "metadata_url",
    "resource_metadata",
    "resource_metadata_view",
]

F = TypeVar("F", bound=Callable[..., Any])

#: the well-known URI suffix of protected resource metadata (RFC 9728 3)
WELL_KNOWN = "/.well-known/oauth-protected-resource"
#: the endpoint kind marking the metadata view
KIND = "resource_metadata"
NOT_FOUND = json.dumps(
    {"error": "not_found", "error_description": "No protected resource has this metadata URL."}
)


def metadata_url(identifier: str) -> str:
    """The metadata URL of the resource ``identifier`` (RFC 9728 3.1): the well-known
    suffix inserted between the host and the path and query, the slash of an empty
    path dropped."""
    parts = urlsplit(identifier)
    path = "" if parts.path == "/" else parts.path
    return urlunsplit((parts.scheme, parts.netloc, WELL_KNOWN + path, parts.query, ""))


def _origin() -> str:
    return request.host_url.rstrip("/")


def _identifiers(settings: OAuth2Settings) -> list[str]:
    """The resources this app is: the configured identifiers, or its host URL."""
    return list(settings.resource_identifiers) or [_origin()]


def resource_for_request(settings: OAuth2Settings) -> str | None:
    """The identifier of the resource the current request is for: of the configured
    ones, the longest whose URL the request's URL falls under (``None`` when it falls
    under none: its challenge names no metadata rather than another API's); without
    any configured, the app's host URL."""
    if not settings.resource_identifiers:
        return _origin()
    return identifier_of(request.url, settings.resource_identifiers)


def _settings_of_current_app() -> OAuth2Settings | None:
    """The resolved settings of the current app's OAuth 2 provider (``None`` before its
    first request)."""
    state = current_state()
    return state.settings if state is not None else None


def _served(url: str) -> bool:
    """Whether ``url`` reaches a view decorated with ``resource_metadata_handler``."""
    parts = urlsplit(url)
    path, script = unquote(parts.path), request.script_root
    if script:
        if not path.startswith(script + "/"):
            return False
        path = path[len(script) :]
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, _ = adapter.match(path, method="GET", query_args=parts.query)
    except HTTPException:  # not found, another method, a redirect
        return False
    view = current_app.view_functions.get(str(endpoint))
    return getattr(view, ENDPOINT_MARK, None) == KIND


#: per app: whether a view serves resource metadata (views are all added before an
#: app's first request, so the answer of its first refusal holds)
_SERVES: weakref.WeakKeyDictionary[Flask, bool] = weakref.WeakKeyDictionary()


def _serves_metadata() -> bool:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = _SERVES.get(app)
    if found is None:
        views = app.view_functions.values()
        found = _SERVES[app] = any(getattr(v, ENDPOINT_MARK, None) == KIND for v in views)
    return found


def challenge_url() -> str | None:
    """The ``resource_metadata`` of a refusal of the current request: the metadata URL
    of its resource (:func:`resource_for_request`) when the app serves it, else
    ``None``."""
    if not has_request_context() or not _serves_metadata():
        return None
    settings = _settings_of_current_app()
    if settings is None:
        return None
    resource = resource_for_request(settings)
    if resource is None:
        return None
    url = metadata_url(resource)
    return url if _served(url) else None


def resource_metadata(
    settings: OAuth2Settings, scopes: set[str], extra: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The metadata document the current request's URL names, or ``None`` when it names
    no resource of this app.

    :param settings: the app's settings.
    :param scopes: the scopes the app's protected views need (``scopes_supported``).
    :param extra: what the view returned, merged in; a ``resource`` there is the only
        resource served by the view.
    """
    candidates = [str(extra["resource"])] if "resource" in extra else _identifiers(settings)
    here_path = request.script_root + request.path
    here_query = request.query_string.decode("latin-1")
    for identifier in candidates:
        parts = urlsplit(metadata_url(identifier))
        if unquote(parts.path) == here_path and parts.query == here_query:
            break
    else:
        return None
    methods = ["header", "body", "query"] if settings.allow_token_in_query else ["header"]
    document: dict[str, Any] = {
        "resource": identifier,
        "authorization_servers": [settings.issuer or _origin()],
        "bearer_methods_supported": methods,
    }
    if scopes:
        document["scopes_supported"] = sorted(scopes)
    document.update(extra)
    return document


def resource_metadata_view(provider: OAuth2Provider, f: F) -> F:
    """The view of :meth:`~.provider.OAuth2Provider.resource_metadata_handler`."""

    @wraps(f)
    def decorated(*args: Any, **kwargs: Any) -> Any:
        _, settings = provider._built()
        extra = f(*args, **kwargs)
        if extra is None:
            extra = {}
        if not isinstance(extra, Mapping):
            raise TypeError("a resource metadata view returns a dict (or None)")
        document = resource_metadata(settings, provider.protector.protected_scopes, extra)
        if document is None:
            return Response(NOT_FOUND, status=404, mimetype="application/json")
        return Response(json.dumps(document), mimetype="application/json")

    return mark_endpoint(cast(F, decorated), KIND)


class ResourceMetadata(Feature):
    """``protected_resources`` in the authorization server metadata (RFC 9728 4); the
    resource metadata itself is served by ``oauth.resource_metadata_handler``.

    .. versionadded:: 1.1
    """

    def metadata(self, server: Server, urls: Mapping[str, str]) -> dict[str, Any]:
        settings = server.settings
        listed = settings.allowed_resources
        if listed is None:
            listed = settings.resource_identifiers
        return {"protected_resources": list(listed)} if listed else {}
