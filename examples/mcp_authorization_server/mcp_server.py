"""The MCP server of the example, built with the official MCP Python SDK.

One tool, ``whoami``, behind the SDK's auth support: a request without a valid token is
answered ``401`` with the URL of the server's protected resource metadata (RFC 9728),
which names the flask-oauthlib authorization server. The token verifier asks that
server about each token (introspection, RFC 7662) and accepts only an active token whose
audience (``aud``, the resource indicator of RFC 8707) is this server's URL: a token the
same authorization server issued for another resource opens nothing here.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import httpx2
import uvicorn
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette

__all__ = ["IntrospectionVerifier", "McpServerThread", "create_app", "create_mcp_server"]

log = logging.getLogger(__name__)

#: seconds to wait for the authorization server's answer, and for uvicorn to start
TIMEOUT = 10


class IntrospectionVerifier:
    """A token verifier of the MCP SDK (``mcp.server.auth.provider.TokenVerifier``) that
    introspects each token at the authorization server (RFC 7662).

    :param introspection_endpoint: the authorization server's introspection URL.
    :param client_id: this server's client at the authorization server: a confidential
        client that may introspect every token (``is_resource_server``).
    :param client_secret: that client's secret.
    :param resource: this server's resource identifier (its URL): a token is accepted
        only when its ``aud`` names it.
    """

    def __init__(
        self, introspection_endpoint: str, client_id: str, client_secret: str, resource: str
    ) -> None:
        self.introspection_endpoint = introspection_endpoint
        self.client_id = client_id
        self.client_secret = client_secret
        self.resource = resource

    async def verify_token(self, token: str) -> AccessToken | None:
        """What the authorization server says of ``token``, or ``None`` when it is not
        an active bearer access token (a refresh token is not one), not meant for this
        server, or the server cannot be asked."""
        try:
            async with httpx2.AsyncClient(timeout=TIMEOUT) as http:
                answer = await http.post(
                    self.introspection_endpoint,
                    data={"token": token, "token_type_hint": "access_token"},
                    auth=(self.client_id, self.client_secret),
                )
        except httpx2.HTTPError as exc:
            log.warning("the authorization server cannot be asked: %s", exc)
            return None
        if answer.status_code != 200:
            log.warning("introspection answered %s", answer.status_code)
            return None
        claims: dict[str, Any] = answer.json()
        if claims.get("active") is not True or claims.get("token_type") != "Bearer":
            return None  # inactive, or no bearer access token (a refresh token has no type)
        audience = claims.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if self.resource not in audiences:
            log.info("refused a token of client %r meant for %r", claims.get("client_id"), audience)
            return None
        return AccessToken(
            token=token,
            client_id=str(claims["client_id"]),
            scopes=str(claims.get("scope") or "").split(),
            expires_at=claims.get("exp"),
            resource=self.resource,
            # the user (RFC 7662 ``sub``; this authorization server answers ``username``)
            subject=claims.get("sub") or claims.get("username"),
            claims=claims,
        )


def create_mcp_server(
    mcp_url: str, issuer: str, client_id: str, client_secret: str, scope: str = "tools"
) -> MCPServer:
    """The MCP server at ``mcp_url`` (``http://127.0.0.1:8000/mcp``) with its tool,
    protected by the authorization server ``issuer``.

    :param client_id: the client it introspects tokens as.
    :param client_secret: that client's secret.
    :param scope: the scope a token needs.
    """
    verifier = IntrospectionVerifier(
        issuer + "/oauth/introspect", client_id, client_secret, mcp_url
    )
    server: MCPServer = MCPServer(
        "flask-oauthlib example",
        token_verifier=verifier,
        log_level="WARNING",
        auth=AuthSettings(
            issuer_url=issuer,  # type: ignore[arg-type]  # pydantic parses the URL
            resource_server_url=mcp_url,  # type: ignore[arg-type]
            required_scopes=[scope],
            # the SDK checks the verifier's answer too: resource must be mcp_url
            validate_token_resource=True,
        ),
    )

    @server.tool()
    def whoami() -> str:
        """Who called: the user and the client the access token was issued to."""
        token = get_access_token()
        if token is None:  # the SDK let no request without a token reach the tool
            raise RuntimeError("no access token")
        user = (token.claims or {}).get("username", "nobody")
        return f"Hello {user}! Client {token.client_id} called with scopes {token.scopes}."

    return server


def create_app(mcp_url: str, issuer: str, client_id: str, client_secret: str) -> Starlette:
    """The ASGI app serving :func:`create_mcp_server` over streamable HTTP at the path
    of ``mcp_url``, with its protected resource metadata."""
    server = create_mcp_server(mcp_url, issuer, client_id, client_secret)
    path = urlsplit(mcp_url).path
    return server.streamable_http_app(streamable_http_path=path, host="127.0.0.1")


class McpServerThread:
    """Serve an ASGI app with uvicorn on 127.0.0.1 in a thread of its own::

        with McpServerThread(create_app(...), port=8000):
            ...

    :param app: the ASGI app.
    :param port: the port to listen on.
    """

    def __init__(self, app: Starlette, port: int) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"mcp-server-{port}")

    def start(self) -> None:
        """Start serving; return once uvicorn listens (:class:`RuntimeError` if it
        cannot, a taken port say)."""
        self.thread.start()
        deadline = time.monotonic() + TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the MCP server did not start (is its port taken?)")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop serving: open streams closed, the port released, the thread ended."""
        self.server.should_exit = True
        self.thread.join(TIMEOUT)

    def __enter__(self) -> McpServerThread:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
