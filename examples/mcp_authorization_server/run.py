"""Start the MCP example: its authorization server and MCP server on 127.0.0.1.

Then an MCP client calls the MCP server's tool once (your browser signs in), and both
servers go on serving other MCP clients until Ctrl-C.

    python examples/mcp_authorization_server/run.py [--as-port 9000] [--mcp-port 8000]
        [--database-url URL] [--no-client]

``bash examples/mcp_authorization_server/run.sh`` installs what it needs first. The
database defaults to a SQLite file next to this script.
"""

from __future__ import annotations

import argparse
import secrets
import signal
import sys
import threading
from pathlib import Path

import anyio
from werkzeug.serving import make_server

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the folder is the package mcp_authorization_server

from mcp_authorization_server.authorization_server import (  # noqa: E402
    RESOURCE_SERVER_ID,
    create_app,
)
from mcp_authorization_server.mcp_client import call_tool  # noqa: E402
from mcp_authorization_server.mcp_server import McpServerThread  # noqa: E402
from mcp_authorization_server.mcp_server import create_app as create_mcp_app  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--as-port", type=int, default=9000, help="authorization server port")
    parser.add_argument("--mcp-port", type=int, default=8000, help="MCP server port")
    parser.add_argument(
        "--database-url",
        default="sqlite:///" + str(HERE / "mcp_example.sqlite"),
        help="the authorization server's database (SQLAlchemy URL; a SQLite file here)",
    )
    parser.add_argument(
        "--no-client", action="store_true", help="only serve: connect your own MCP client"
    )
    args = parser.parse_args(argv)

    issuer = f"http://127.0.0.1:{args.as_port}"
    mcp_url = f"http://127.0.0.1:{args.mcp_port}/mcp"
    # the MCP server's client at the authorization server, for introspection
    secret = secrets.token_urlsafe(32)
    authorization_server = create_app(issuer, mcp_url, secret, args.database_url)
    try:
        http = make_server("127.0.0.1", args.as_port, authorization_server, threaded=True)
    except OSError as exc:
        sys.exit(
            f"Cannot listen on port {args.as_port} ({exc.strerror}); pick another with --as-port."
        )
    threading.Thread(target=http.serve_forever, daemon=True).start()
    mcp = McpServerThread(
        create_mcp_app(mcp_url, issuer, RESOURCE_SERVER_ID, secret), args.mcp_port
    )
    try:
        mcp.start()
    except RuntimeError as exc:
        http.shutdown()
        sys.exit(f"{exc}; pick another with --mcp-port.")
    print(f"Authorization server: {issuer}  (sign in as alice / wonderland)")
    print(f"MCP server:           {mcp_url}  (tool: whoami)", flush=True)
    try:
        if not args.no_client:
            print("\nAn MCP client calls whoami: it registers, then needs you to sign in.")
            try:
                answer = anyio.run(call_tool, mcp_url, "whoami")
            except Exception as exc:  # a denied sign-in, say: the servers go on serving
                print(f"The MCP client failed: {exc}")
            else:
                print("Tool answer:", answer)
        print("\nServing until Ctrl-C; connect any MCP client to the MCP server's URL.", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        mcp.stop()
        http.shutdown()
    print("Stopped.")


if __name__ == "__main__":
    main()
