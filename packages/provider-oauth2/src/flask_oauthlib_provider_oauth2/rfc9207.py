"""RFC 9207: the ``iss`` parameter on authorization responses."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["add_issuer"]


def add_issuer(location: str, issuer: str) -> str:
    """Add ``iss=issuer`` where the response parameters are: the fragment if they are
    there (implicit grant), the query otherwise."""
    parts = urlsplit(location)
    if parts.fragment and "=" in parts.fragment:
        params = parse_qsl(parts.fragment, keep_blank_values=True) + [("iss", issuer)]
        return urlunsplit(parts._replace(fragment=urlencode(params)))
    params = parse_qsl(parts.query, keep_blank_values=True) + [("iss", issuer)]
    return urlunsplit(parts._replace(query=urlencode(params)))
