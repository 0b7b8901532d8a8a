#!/usr/bin/env bash
# Builds calldesk-connector as one file a desktop runs with its own Python 3.10+, nothing to install:
#   python3 calldesk-connector.pyz check      (Windows: py calldesk-connector.pyz check)
# Output: dist/calldesk-connector.pyz (or the path given as the first argument).
set -euo pipefail
out="$(realpath -m "${1:-$(dirname "${BASH_SOURCE[0]}")/../dist/calldesk-connector.pyz}")"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
python="${PYTHON:-python3}"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
mkdir -p "$(dirname "$out")"
cp -r connector/calldesk_connector "$build/"
find "$build" -name __pycache__ -prune -exec rm -rf {} +
"$python" -m zipapp "$build" --compress --main "calldesk_connector.cli:exit_with_main" \
    --python "/usr/bin/env python3" --output "$out"
echo "Built $out ($(wc -c < "$out") bytes)"
