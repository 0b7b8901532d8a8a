#!/usr/bin/env bash
# Set up and start Calldesk on this machine: SQLite under var/, the demo data, the production
# server (granian) on http://127.0.0.1:8000. Only Python 3.11+ is needed. Safe to run again.
# Arguments go to `calldesk serve` (e.g. --port 8765); PORT, WEB_CONCURRENCY and the settings in
# README.md apply.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/_venv.sh

# The demo's URLs name the address the server will listen on: `--port`/`--host` (as given to
# `calldesk serve`, e.g. `scripts/run.sh --port 8765`), else $PORT/$HOST, else 127.0.0.1:8000.
port="${PORT:-8000}"
host="${HOST:-127.0.0.1}"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[i]}" in
        --port) port="${args[i + 1]:-$port}" ;;
        --port=*) port="${args[i]#--port=}" ;;
        --host) host="${args[i + 1]:-$host}" ;;
        --host=*) host="${args[i]#--host=}" ;;
    esac
done
# Listening on every address: the URLs for this machine's own browser.
case "$host" in 0.0.0.0 | "::" | "[::]") host="127.0.0.1" ;; esac
case "$host" in *:*) host="[${host#[}"; host="${host%]}]" ;; esac

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
.venv/bin/calldesk demo --base-url "http://${host}:${port}"
echo "==> Starting Calldesk (Ctrl-C stops it)"
exec .venv/bin/calldesk serve "$@"
