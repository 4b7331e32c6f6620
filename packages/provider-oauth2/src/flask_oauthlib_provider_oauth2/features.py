"""Extension points: the OAuth 2 server is assembled from features.

A feature contributes grant types and response types while a server is built
(:meth:`Feature.install`), answers the endpoint kinds it names (:attr:`Feature.endpoints`,
served by views decorated with :meth:`OAuth2Provider.endpoint_handler`), and adds entries
to the metadata document (:meth:`Feature.metadata`). The default features are listed in
:data:`~.server.DEFAULT_FEATURES`; an app adds its own with
:meth:`OAuth2Provider.add_feature`. The device flow (:mod:`.rfc8628`) is one module and
one line of that list.

.. versionadded:: 1.1
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from .server import Server

__all__ = ["EndpointCall", "Feature"]

#: an oauthlib-style endpoint call: ``(uri, method, body, headers)`` to
#: ``(headers, body, status)``
EndpointCall = Callable[[str, str, "str | None", dict[str, str]], tuple[dict[str, str], Any, int]]


class Feature:
    """A part of the protocol the server is assembled from.

    Subclass it and override what the feature contributes::

        class Echo(Feature):
            endpoints = {"echo": "echo_endpoint"}

            def endpoint(self, kind, server, view_result):
                return lambda uri, method, body, headers: ({}, body or "", 200)

        oauth.add_feature(Echo())

        @app.route("/oauth/echo", methods=["POST"])
        @oauth.endpoint_handler("echo")
        def echo():
            return None
    """

    #: the endpoint kinds this feature answers, each with the metadata field that
    #: carries its URL (``{"revocation": "revocation_endpoint"}``; ``""`` for an endpoint
    #: the metadata does not list, such as RFC 7592's client configuration endpoint)
    endpoints: ClassVar[Mapping[str, str]] = {}

    def install(self, server: Server) -> None:
        """Add grant types and response types to ``server`` while it is being built
        (:meth:`Server.add_grant_type`, :meth:`Server.add_response_type`); features
        installed earlier are there already."""

    def serves(self, kind: str, server: Server) -> bool:
        """Whether ``server`` answers the endpoint ``kind`` (the metadata lists its URL
        only then); a feature whose storage or settings are missing says no."""
        return kind in self.endpoints

    def endpoint(self, kind: str, server: Server, view_result: Any) -> EndpointCall:
        """The call answering a request to the endpoint ``kind``; ``view_result`` is what
        the decorated view returned."""
        raise LookupError(f"{type(self).__name__} serves no {kind!r} endpoint")

    def metadata(self, server: Server, urls: Mapping[str, str]) -> dict[str, Any]:
        """Entries of the metadata document (RFC 8414); ``urls`` holds the endpoint URLs
        found, keyed by metadata field."""
        return {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
