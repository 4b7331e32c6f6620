"""Start the demo provider and the demo client on 127.0.0.1; Ctrl-C stops both.

    python examples/run_demo.py [--database-url URL] [--provider-port 5000] [--client-port 5001]

The database defaults to a SQLite file next to this script; any SQLAlchemy URL works
(``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
import threading
from pathlib import Path

from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_client import create_client  # noqa: E402
from demo_provider import (  # noqa: E402
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    OutdatedDatabase,
    create_provider,
)


def port_number(text: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port number (1-65535)")
    return port


def listen(port: int, option: str) -> socket.socket:
    """A socket listening on 127.0.0.1:``port``; a taken port ends the program with one
    line that names the ``option`` choosing another."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            macos = sys.platform == "darwin" and port == 5000
            hint = " (AirPlay Receiver uses it on macOS)" if macos else ""
            sys.exit(f"Port {port} is in use{hint}; pick another with {option} PORT.")
        sys.exit(f"Cannot listen on port {port} ({exc.strerror}); pick another with {option} PORT.")
    return sock


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_db = "sqlite:///" + str(Path(__file__).resolve().parent / "demo.sqlite")
    parser.add_argument("--database-url", default=os.environ.get("DEMO_DATABASE_URL", default_db))
    parser.add_argument("--provider-port", type=port_number, default=5000)
    parser.add_argument("--client-port", type=port_number, default=5001)
    parser.add_argument(
        "--initial-access-token",
        default=os.environ.get("DEMO_INITIAL_ACCESS_TOKEN"),
        help="lets clients with redirect URIs that are not loopback register"
        " (default: $DEMO_INITIAL_ACCESS_TOKEN; without it only loopback clients can)",
    )
    args = parser.parse_args(argv)
    if args.provider_port == args.client_port:
        parser.error("--provider-port and --client-port must differ")
    # the ports first: a taken port stops us before anything else happens
    sockets = [
        listen(args.provider_port, "--provider-port"),
        listen(args.client_port, "--client-port"),
    ]

    # local development over plain HTTP: oauthlib logs that it is insecure
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    provider_url = f"http://127.0.0.1:{args.provider_port}"
    client_url = f"http://127.0.0.1:{args.client_port}"
    setup = (args.database_url, client_url + "/authorized", provider_url, args.initial_access_token)
    try:
        provider = create_provider(*setup)
    except OutdatedDatabase as exc:
        if args.database_url != default_db:
            sys.exit(f"{exc} Drop the demo's tables or use another --database-url.")
        # the demo's own SQLite file holds only seed data and tokens: start it afresh
        print(f"{exc} Starting it afresh.", flush=True)
        Path(default_db.removeprefix("sqlite:///")).unlink()
        provider = create_provider(*setup)
    client = create_client(provider_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)

    servers = [
        make_server("127.0.0.1", sock.getsockname()[1], app, threaded=True, fd=sock.fileno())
        for sock, app in zip(sockets, (provider, client), strict=True)
    ]
    for sock in sockets:
        sock.close()  # each server holds its own copy
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    print(f"Demo provider: {provider_url}  (sign in as alice / wonderland)", flush=True)
    print(f"Demo client:   {client_url}", flush=True)
    print(f"Open {client_url} and click 'Log in with Demo'. Ctrl-C stops both.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nStopping.", flush=True)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


if __name__ == "__main__":
    main()
