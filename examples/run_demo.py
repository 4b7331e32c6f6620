"""Start the demo provider and the demo client on 127.0.0.1; Ctrl-C stops both.

    python examples/run_demo.py [--database-url URL] [--provider-port 5000] [--client-port 5001]

The database defaults to a SQLite file next to this script; any SQLAlchemy URL works
(``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parent))

from demo_client import create_client  # noqa: E402
from demo_provider import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, create_provider  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_db = "sqlite:///" + str(Path(__file__).resolve().parent / "demo.sqlite")
    parser.add_argument("--database-url", default=os.environ.get("DEMO_DATABASE_URL", default_db))
    parser.add_argument("--provider-port", type=int, default=5000)
    parser.add_argument("--client-port", type=int, default=5001)
    args = parser.parse_args(argv)

    # local development over plain HTTP: oauthlib logs that it is insecure
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    provider_url = f"http://127.0.0.1:{args.provider_port}"
    client_url = f"http://127.0.0.1:{args.client_port}"
    provider = create_provider(args.database_url, client_url + "/authorized", provider_url)
    client = create_client(provider_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET)

    servers = [
        make_server("127.0.0.1", args.provider_port, provider, threaded=True),
        make_server("127.0.0.1", args.client_port, client, threaded=True),
    ]
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


if __name__ == "__main__":
    main()
