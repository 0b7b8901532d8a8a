#!/usr/bin/env bash
# Set up and start Calldesk on this machine: SQLite under var/, the demo data, the production
# server (granian) on http://127.0.0.1:8000. Only Python 3.11+ is needed. Safe to run again.
# PORT, WEB_CONCURRENCY and the settings in README.md apply.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/_venv.sh

ensure_venv ""
mkdir -p var
if [ -z "${SECRET_KEY:-}" ]; then
    # `calldesk serve` refuses the public default key: make this machine's own, once.
    if [ ! -s var/secret_key ]; then
        (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' > var/secret_key)
    fi
    SECRET_KEY="$(cat var/secret_key)"
    export SECRET_KEY
fi
echo "==> Migrating the database"
.venv/bin/calldesk migrate --noinput --verbosity 0
echo "==> Loading the demo organization"
.venv/bin/calldesk demo --base-url "http://127.0.0.1:${PORT:-8000}"
echo "==> Starting Calldesk (Ctrl-C stops it)"
exec .venv/bin/calldesk serve "$@"
