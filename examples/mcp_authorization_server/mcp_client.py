"""An MCP client that signs in as the MCP authorization spec has it, with the official MCP
Python SDK: it knows only the MCP server's URL.

The SDK's ``OAuthClientProvider`` does the rest on the server's first ``401``: it reads
the protected resource metadata the answer points at (RFC 9728), then the authorization
server's metadata (RFC 8414), registers a client (RFC 7591) with a loopback redirect URI,
sends the user's browser to the authorization URL (PKCE ``S256``, ``resource``: the MCP
server's URL, RFC 8707), receives the code on that loopback URI, trades it for a token
and calls again. Run it against ``run.py``'s servers::

    python examples/mcp_authorization_server/mcp_client.py http://127.0.0.1:8000/mcp
"""

from __future__ import annotations

import argparse
import sys
import threading
import webbrowser
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

import anyio
import anyio.to_thread
import httpx2
from mcp import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider, OAuthFlowError
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup

__all__ = ["LoopbackCallback", "MemoryStorage", "call_tool", "open_in_browser"]

#: seconds the client waits for the user to sign in and allow
SIGN_IN_TIMEOUT = 300


class MemoryStorage:
    """Where ``OAuthClientProvider`` keeps its registration and tokens (its
    ``TokenStorage``): in memory, so each run registers again. A real client keeps them
    in a file or the system's keyring."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class LoopbackCallback:
    """The client's redirect URI: a one-shot HTTP server on ``127.0.0.1`` (RFC 8252 7.3)
    that receives the authorization response from the user's browser::

        with LoopbackCallback() as callback:
            callback.redirect_uri  # http://127.0.0.1:<free port>/callback
            result = await callback.wait()
    """

    def __init__(self) -> None:
        self.params: dict[str, str] | None = None
        self._received = threading.Event()
        callback = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's name)
                url = urlsplit(self.path)
                if url.path != "/callback" or callback._received.is_set():
                    self.send_error(404)
                    return
                query = parse_qs(url.query)
                callback.params = {name: values[0] for name, values in query.items()}
                callback._received.set()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(b"<p>Done: you may close this tab.</p>")

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the query holds the code."""

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_port}/callback"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))

    async def wait(self) -> AuthorizationCodeResult:
        """The code, ``state`` and ``iss`` of the authorization response (the SDK's
        ``callback_handler``); :class:`OAuthFlowError` when the user denied or the
        server refused."""
        received = await anyio.to_thread.run_sync(
            self._received.wait, SIGN_IN_TIMEOUT, abandon_on_cancel=True
        )
        params = self.params or {}
        if not received or "code" not in params:
            message = "sign-in failed: " + params.get("error", "no answer in time")
            if params.get("error_description"):
                message += f" ({params['error_description']})"
            raise OAuthFlowError(message)
        return AuthorizationCodeResult(
            code=params["code"], state=params.get("state"), iss=params.get("iss")
        )

    def __enter__(self) -> LoopbackCallback:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def only_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The one error ``group`` holds (in groups within groups), else ``group`` itself."""
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


async def open_in_browser(authorization_url: str) -> None:
    """The SDK's ``redirect_handler``: send the user to the authorization URL, in the
    browser the ``webbrowser`` module finds (the ``BROWSER`` environment variable names
    one), and print it for a machine without one."""
    print(f"Sign in and allow access (alice / wonderland) at:\n  {authorization_url}", flush=True)
    await anyio.to_thread.run_sync(webbrowser.open, authorization_url)


async def call_tool(
    server_url: str,
    name: str,
    *,
    redirect_handler: Callable[[str], Awaitable[None]] = open_in_browser,
    storage: MemoryStorage | None = None,
) -> str:
    """Call the tool ``name`` (without arguments) of the MCP server at ``server_url``,
    signing in first if the server asks; return the text the tool answered.

    :param redirect_handler: sends the user to the authorization URL it is given (the
        browser by default); the answer comes back to this client's loopback redirect URI.
    :param storage: keeps the registration and tokens between calls (new by default).
    """
    with LoopbackCallback() as callback:
        auth = OAuthClientProvider(
            server_url,
            client_metadata=OAuthClientMetadata(
                client_name="flask-oauthlib MCP example client",
                redirect_uris=[callback.redirect_uri],  # type: ignore[list-item]
            ),
            storage=storage if storage is not None else MemoryStorage(),
            redirect_handler=redirect_handler,
            callback_handler=callback.wait,
        )
        try:
            async with (
                httpx2.AsyncClient(auth=auth, timeout=30) as http,
                Client(streamable_http_client(server_url, http_client=http)) as client,
            ):
                result = await client.call_tool(name)
        except BaseExceptionGroup as group:
            # the SDK's transport runs in a task group, which wraps what went wrong
            raise only_error(group) from None
    if result.is_error:
        raise RuntimeError(f"the tool {name!r} failed: {result.content}")
    return "\n".join(getattr(part, "text", "") for part in result.content)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Call the example MCP server's whoami tool.")
    parser.add_argument("server_url", help="the MCP server's URL (http://127.0.0.1:8000/mcp)")
    args = parser.parse_args(argv)
    print(anyio.run(call_tool, args.server_url, "whoami"))


if __name__ == "__main__":
    main()
