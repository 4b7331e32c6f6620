#!/usr/bin/env bash
# Set up and start the demo: an OAuth 2 provider and a client on 127.0.0.1, SQLite by
# default. Options go to examples/run_demo.py (--database-url, --provider-port,
# --client-port). Ctrl-C stops both apps.
#
# The local distributions are installed into .venv-demo/ as a user would install them
# (not editable). The install is skipped when nothing changed since the last one: a stamp
# file in the venv holds a hash of their sources, pyproject files and the pip arguments;
# delete .venv-demo/.demo-install-stamp (or the venv) to force a reinstall.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-demo
stamp="$venv/.demo-install-stamp"
packages=(./packages/core ./packages/client ./packages/provider-oauth2 ./packages/contrib-sqla .)
requirements=("psycopg[binary]>=3.1")
# pip installs "." (the meta distribution) with the extra the demo uses: OpenID Connect
# on both sides (PyJWT with cryptography)
install=("${packages[@]/%./.[oidc]}")

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi

# sha256 over every file of the packages' src/ trees and their pyproject.toml (caches and
# build output left out), plus the pip arguments
fingerprint=$("$venv/bin/python" - "${packages[@]}" -- "${install[@]}" "${requirements[@]}" <<'EOF'
import hashlib
import sys
from pathlib import Path

args = sys.argv[1:]
split = args.index("--")
digest = hashlib.sha256("\0".join(args).encode())
skip = {"__pycache__", "build", "dist"}
for package in map(Path, args[:split]):
    files = [package / "pyproject.toml"]
    files += sorted(p for p in (package / "src").rglob("*") if p.is_file())
    for path in files:
        if skip.intersection(path.parts) or path.suffix in (".pyc", ".pyo"):
            continue
        if ".egg-info" in str(path):
            continue
        digest.update(b"\0" + str(path).encode() + b"\0" + path.read_bytes())
print(digest.hexdigest())
EOF
)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ]; then
    echo "Demo environment is up to date ($venv); skipping pip install."
else
    echo "Installing the demo into $venv (pip install; this takes a minute the first time)..."
    rm -f "$stamp"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        "${install[@]}" "${requirements[@]}"
    echo "$fingerprint" >"$stamp"
fi
exec "$venv/bin/python" examples/run_demo.py "$@"
