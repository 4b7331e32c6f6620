"""RFC 9207: the ``iss`` parameter on authorization responses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .features import Feature

if TYPE_CHECKING:
    from .server import Server

__all__ = ["IssuerParameter", "add_issuer"]


def add_issuer(location: str, issuer: str) -> str:
    """Add ``iss=issuer`` where the response parameters are: the fragment if they are
    there (implicit grant), the query otherwise."""
    parts = urlsplit(location)
    if parts.fragment and "=" in parts.fragment:
        params = parse_qsl(parts.fragment, keep_blank_values=True) + [("iss", issuer)]
        return urlunsplit(parts._replace(fragment=urlencode(params)))
    params = parse_qsl(parts.query, keep_blank_values=True) + [("iss", issuer)]
    return urlunsplit(parts._replace(query=urlencode(params)))


class IssuerParameter(Feature):
    """Says in the metadata whether authorization responses carry ``iss``: they do when
    ``OAUTH2_PROVIDER_ISSUER`` is set.

    .. versionadded:: 1.1
    """

    def metadata(self, server: Server, urls: Mapping[str, str]) -> dict[str, Any]:
        return {"authorization_response_iss_parameter_supported": bool(server.settings.issuer)}
