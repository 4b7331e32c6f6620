#!/usr/bin/env bash
# The MCP example in one command, from a fresh clone with Python 3.10+ and pip:
#
#   bash examples/mcp_authorization_server/run.sh [--as-port 9000] [--mcp-port 8000] [--no-client]
#
# sets up .venv-mcp-example/ (at the repository root) with the local distributions the
# example uses (editable: the checkout's code runs) and the MCP Python SDK, then starts
# run.py with the options given. The install runs again only when a pyproject.toml of
# those distributions or the list below changes (a hash in
# .venv-mcp-example/.install-stamp; delete it to force a reinstall).
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=.venv-mcp-example
stamp="$venv/.install-stamp"
packages=(packages/core packages/provider-oauth2 packages/contrib-sqla)
install=(
    -e ./packages/core
    -e ./packages/provider-oauth2
    -e "./packages/contrib-sqla[oauth2]"
    "mcp>=2"
    "uvicorn>=0.30"
)

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi

fingerprint=$("$venv/bin/python" - "${packages[@]/%//pyproject.toml}" -- "${install[@]}" <<'EOF'
import hashlib
import sys

args = sys.argv[1:]
split = args.index("--")
digest = hashlib.sha256("\0".join(args).encode())
for path in args[:split]:
    with open(path, "rb") as file:
        digest.update(file.read())
print(digest.hexdigest())
EOF
)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ]; then
    echo "The example's environment is up to date ($venv)."
else
    echo "Installing the example into $venv (pip install; a minute the first time)..."
    rm -f "$stamp"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${install[@]}"
    echo "$fingerprint" >"$stamp"
fi
exec "$venv/bin/python" examples/mcp_authorization_server/run.py "$@"
