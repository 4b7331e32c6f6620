#!/usr/bin/env bash
# Every check of the repository, from a fresh clone, with only Python 3.11 and pip:
# lint, types, all suites on the newest and the lowest supported versions, each
# distribution alone, the meta distribution with one provider, and the packaging tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# PostgreSQL, Redis and memcached: scripts/services.py starts throwaway ones on free ports
# (when the Debian packages postgresql, redis-server, memcached are installed), runs this
# script again inside them, and stops them at the end, also on failure or Ctrl-C.
if [ -z "${TEST_SERVICES_UP:-}" ]; then
    exec python3 scripts/services.py -- bash scripts/test.sh "$@"
fi

tools=.venv-tools
if [ ! -x "$tools/bin/hatch" ] || [ ! -x "$tools/bin/uv" ]; then
    python3 -m venv "$tools"
    "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "hatch==1.18.*" "uv>=0.5"
fi
export PATH="$PWD/$tools/bin:$PATH"
# hatch environments live inside the clone, so a fresh clone never reuses stale ones
export HATCH_DATA_DIR="$PWD/.hatch"

step() { printf '\n==> %s\n' "$*"; "$@"; }

step hatch run lint:check
step hatch run types:check
# the newest allowed versions (oauthlib 4.x) with every distribution, packaging included
step hatch run all
# the lowest allowed versions (oauthlib 3.2.2, Flask 3.0, ...)
step hatch run min:fast
# each distribution alone, and the meta distribution with a single provider
for env in core client oauth1 oauth2 sqla cache apps meta-oauth1 meta-oauth2; do
    step hatch run "$env:all"
done
# the official MCP Python SDK against our provider, and the MCP example with its one
# command (an env of its own: the SDK needs a newer PyJWT than min pins)
step hatch run mcp:all
printf '\nAll checks passed.\n'
