"""RFC 8707 resource indicators for the client: which APIs a token is for.

A remote app names the APIs (resource servers, MCP servers) it wants a token for with
``resource``, one URI or several: the remote app's ``resource`` setting
(``remote_app(..., resource=...)`` or the config's ``<APP_KEY>_RESOURCE``),
``request_token_params={"resource": ...}``, or one login's
``authorize(callback, resource=[...])``, each over the one before. The authorization
request carries one ``resource`` parameter per URI; the pending login keeps them with
its ``state`` and PKCE verifier (:mod:`~flask_oauthlib_client.pending`), so the code
exchange asks the token endpoint for the same ones, and the token keeps them as
``token["resource"]``, so a refresh asks for them again. An authorization server that
knows resource indicators issues a token whose audience is those APIs only.

.. versionadded:: 1.1
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from oauthlib.common import add_params_to_qs, add_params_to_uri

from .exceptions import OAuthException

__all__ = [
    "MAX_RESOURCES",
    "RESOURCE_KEY",
    "ResourceIndicators",
    "add_resources",
    "resource_list",
]

#: the parameter (RFC 8707 2), the key of the pending login and of the token data
RESOURCE_KEY = "resource"
#: the most resource indicators one request may carry
MAX_RESOURCES = 16


def resource_list(value: Any, name: str = "remote app") -> list[str]:
    """``value`` as a list of resource indicators, each once, in order.

    :param value: ``None`` (none), one URI as a string, or an iterable of URIs.
    :param name: the remote app's name, for the error message.
    :raises OAuthException: ``invalid_configuration`` unless each is an absolute URI
        without a fragment (RFC 8707 2), without spaces or control characters; or for
        more than :data:`MAX_RESOURCES`.
    """
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Iterable) or isinstance(items, bytes | Mapping):
        items = [items]
    found: list[str] = []
    for item in items:
        if not _is_resource(item):
            raise OAuthException(
                f"{name}: a resource indicator must be an absolute URI without a fragment"
                f" (RFC 8707), not {item!r}",
                type="invalid_configuration",
            )
        if item not in found:
            found.append(item)
    if len(found) > MAX_RESOURCES:
        raise OAuthException(
            f"{name}: at most {MAX_RESOURCES} resource indicators per request",
            type="invalid_configuration",
        )
    return found


def _legacy(value: Any) -> bool:
    """Whether ``value`` is a 0.9.6 app's ``resource`` parameter rather than RFC 8707
    indicators: one string that is no URI at all (no scheme), such as Azure AD v1's
    application ids. Lists and URIs are indicators, checked by :func:`resource_list`."""
    return isinstance(value, str) and ":" not in value


def _is_resource(value: Any) -> bool:
    """Whether ``value`` is an absolute URI without a fragment, spaces or controls."""
    if not isinstance(value, str) or not value or len(value) > 2048:
        return False
    if "#" in value or any(char.isspace() or ord(char) < 0x20 for char in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


def add_resources(body: str, resources: Iterable[str], uri: bool = False) -> str:
    """Add one ``resource`` parameter per indicator to a form body or, with ``uri``, to
    a URL's query."""
    pairs = [(RESOURCE_KEY, resource) for resource in resources]
    if not pairs:
        return body
    return str(add_params_to_uri(body, pairs) if uri else add_params_to_qs(body, pairs))


class ResourceIndicators:
    """The resource indicators of :class:`~flask_oauthlib_client.OAuthRemoteApp`'s
    OAuth 2 requests, through :class:`~flask_oauthlib_client.oauth2.OAuth2Flow`: which
    resources a login, its code exchange and a refresh ask for.

    .. versionadded:: 1.1
    """

    if TYPE_CHECKING:  # provided by OAuthRemoteApp
        name: str
        request_token_params: dict[str, Any]
        resource: list[str]

    def _authorization_resources(self, query: dict[str, Any]) -> list[str]:
        """Take ``resource`` out of an authorization request's parameters (a call's over
        :attr:`request_token_params`); the ``resource`` setting's when they have none.

        :raises OAuthException: ``invalid_configuration`` (see :func:`resource_list`),
            before the user is sent away.
        """
        given = query.get(RESOURCE_KEY)
        if given is None:
            return self.resource
        if _legacy(given):
            # not RFC 8707: a 0.9.6 app's parameter (Azure AD v1's resource names an
            # app, not a URI) is sent as it is, as 0.9.6 did, and not carried further
            return []
        query.pop(RESOURCE_KEY)
        return resource_list(given, self.name)

    def _configured_resources(self) -> list[str]:
        """What a login asks for unless told otherwise."""
        return self._authorization_resources(dict(self.request_token_params))

    def _exchange_resources(self, params: dict[str, Any], login: Mapping[str, str]) -> list[str]:
        """The resources of a code exchange: a ``resource`` of ``access_token_params``
        (taken out of ``params``), else the login's; the configured ones when the
        callback matched no pending login (``enforce_state`` off)."""
        given = params.get(RESOURCE_KEY)
        if given is not None:
            if _legacy(given):
                return []  # a 0.9.6 app's access_token_params parameter, sent as it is
            params.pop(RESOURCE_KEY)
            return resource_list(given, self.name)
        if login:
            return login.get(RESOURCE_KEY, "").split()
        return self._configured_resources()

    def _refresh_resources(self, token: Mapping[str, Any]) -> list[str]:
        """The resources of a refresh: the token's (``token["resource"]``), else the
        configured ones (also when a server answered a ``resource`` of its own that is
        no URI)."""
        kept = token.get(RESOURCE_KEY)
        if kept is not None:
            try:
                return resource_list(kept, self.name)
            except OAuthException:
                pass
        return self._configured_resources()
