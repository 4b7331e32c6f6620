#!/usr/bin/env bash
# Set up and start the demo: an OAuth 2 provider and a client on 127.0.0.1, SQLite by
# default. Options go to examples/run_demo.py (--database-url, --provider-port,
# --client-port). Ctrl-C stops both apps.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-demo
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
# the local distributions, installed as a user would (not editable)
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    ./packages/core ./packages/client ./packages/provider-oauth2 ./packages/contrib-sqla \
    "psycopg[binary]>=3.1" .
exec "$venv/bin/python" examples/run_demo.py "$@"
