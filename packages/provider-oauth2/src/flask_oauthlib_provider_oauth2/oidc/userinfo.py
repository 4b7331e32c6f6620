"""The UserInfo endpoint (OpenID Connect Core 1.0, 5.3), as a feature.

``GET`` or ``POST`` with an access token carrying ``openid`` in the ``Authorization``
header (``Bearer``, or ``DPoP`` with its proof for a DPoP-bound token; or as
``access_token`` in the query or form when ``OAUTH2_PROVIDER_ALLOW_TOKEN_IN_QUERY`` is
on) answers the claims of the token's user for its scopes
(:meth:`~.validator.OpenIDMixin.get_userinfo_claims`); a refused token gets the RFC
6750 challenge. Served by a view decorated with
``oauth.endpoint_handler("userinfo")`` while OpenID Connect is on.

.. versionadded:: 1.1
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from flask import request as flask_request

from ..features import EndpointCall, Feature
from ..rfc6750 import BearerRequest, ResourceProtector, refusal
from .validator import OpenIDMixin

if TYPE_CHECKING:
    from ..server import Server

__all__ = ["UserInfo"]

#: the scope a token needs at the userinfo endpoint
SCOPES = ["openid"]
#: the token types of a server built without a provider
BEARER_ONLY = ResourceProtector()


def _answer(response: Any) -> tuple[dict[str, str], str, int]:
    return dict(response.headers), response.get_data(as_text=True), response.status_code


class UserInfo(Feature):
    """The userinfo endpoint of OpenID Connect.

    .. versionadded:: 1.1
    """

    endpoints: ClassVar[Mapping[str, str]] = {"userinfo": "userinfo_endpoint"}

    def serves(self, kind: str, server: Server) -> bool:
        return server.settings.oidc_enabled and isinstance(server.request_validator, OpenIDMixin)

    def endpoint(self, kind: str, server: Server, view_result: Any) -> EndpointCall:
        validator = server.request_validator
        settings = server.settings
        offered = self.serves(kind, server)

        def answer(uri: str, method: str, body: str | None, headers: dict[str, str]) -> Any:
            if not offered:
                return {"Content-Type": "application/json"}, '{"error": "not_found"}', 404
            realm = settings.issuer or flask_request.host
            protector = server.protector or BEARER_ONLY
            req = BearerRequest(flask_request._get_current_object(), list(SCOPES))  # type: ignore[attr-defined]
            if not protector.check(req, flask_request, list(SCOPES), validator, settings):
                return _answer(protector.refusal(req, realm, SCOPES))
            if getattr(req, "user", None) is None:  # client credentials: no end-user
                req.error_message = "The access token is not about an end-user."
                return _answer(refusal(req, realm, SCOPES))
            claims = validator.get_userinfo_claims(req)
            return {"Content-Type": "application/json"}, json.dumps(claims), 200

        return answer
