#!/usr/bin/env bash
# Run Calldesk's whole test suite: ruff, mypy, then pytest on SQLite and, when it can be reached,
# on PostgreSQL (DATABASE_URL=postgres://..., else the local server on 127.0.0.1:5432).
# Browser tests need /usr/bin/chromium (Debian package `chromium`).
# Extra arguments go to pytest, e.g. scripts/test.sh -x tests/test_telephony_url.py
# With CI=true nothing may be left out: no PostgreSQL or no Chromium is a failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/_venv.sh

ensure_venv "[test]"
ci="${CI:-false}"
left_out=()

# Every step runs even when an earlier one fails, so one run shows everything; the script
# fails at the end if any step failed.
failed=()
step() {
    local label="$1"
    shift
    echo "==> $label"
    "$@" || failed+=("$label")
}

step "ruff check" .venv/bin/ruff check .
# The import contract ([tool.importlinter] in pyproject.toml): layers inside and between apps, no cycles.
step "lint-imports" .venv/bin/lint-imports
step "mypy calldesk/" .venv/bin/mypy calldesk/
# The connector is its own package (Python 3.10+, standard library only), checked with its own settings.
step "mypy connector/" bash -c 'cd connector && ../.venv/bin/mypy calldesk_connector'
# Security lint; every finding is fixed or explained ([tool.bandit] in pyproject.toml, `# nosec` lines).
step "bandit" .venv/bin/bandit -c pyproject.toml -r calldesk -q
# Known vulnerabilities in the installed packages fail; an unreachable data source only warns
# (the policy is in scripts/dependency_audit.py).
step "pip-audit" .venv/bin/python scripts/dependency_audit.py .venv/bin/pip-audit

pytest_args=()
if [ -x /usr/bin/chromium ]; then
    : # the browser tests launch /usr/bin/chromium themselves
else
    if [ "$ci" = "true" ]; then
        echo "FAIL: /usr/bin/chromium is missing; CI must run the browser tests (apt-get install chromium)." >&2
        exit 1
    fi
    pytest_args+=(-m "not browser")
    left_out+=("browser tests (marked 'browser'): /usr/bin/chromium is missing - apt-get install chromium")
fi

# The accessibility test runs axe-core, from npm, in the browser (the version is pinned so a new
# rule does not fail a run by surprise; raise it on purpose).
axe=".cache/axe/node_modules/axe-core/axe.min.js"
if [ ! -f "$axe" ] && command -v npm >/dev/null 2>&1; then
    echo "==> Installing axe-core (npm) for the accessibility test"
    npm install --silent --no-audit --no-fund --prefix .cache/axe axe-core@4.14.1 >/dev/null || true
fi
if [ ! -f "$axe" ]; then
    if [ "$ci" = "true" ]; then
        echo "FAIL: axe-core could not be installed with npm; CI must run the accessibility test." >&2
        exit 1
    fi
    pytest_args+=(--ignore tests/browser/test_accessibility.py)
    left_out+=("the accessibility test (axe-core): install Node.js's npm, then run this again")
fi

# The connector's SIP tests need real SIP peers: sipp (Debian `sip-tester`) and kamailio.
if [ ! -x /usr/bin/sipp ] || [ ! -x /usr/sbin/kamailio ]; then
    if [ "$ci" = "true" ]; then
        echo "FAIL: sipp or kamailio is missing; CI must run the SIP tests (apt-get install sip-tester kamailio)." >&2
        exit 1
    fi
    for file in tests/connector/test_connector_sip.py tests/connector/test_connector_kamailio_fork.py \
        tests/connector/test_connector_end_to_end.py tests/connector/test_connector_api_end_to_end.py \
        tests/browser/test_connector_console.py; do
        pytest_args+=(--ignore "$file")
    done
    left_out+=("the connector's SIP tests (sipp and kamailio): apt-get install sip-tester kamailio")
fi

pg_url="${DATABASE_URL:-}"
case "$pg_url" in
    postgres://* | postgresql://*) ;;
    *) pg_url="postgres://postgres@127.0.0.1:5432/calldesk" ;;
esac
# Strip any password before printing the address.
pg_shown="$(echo "$pg_url" | sed -E 's#//([^:@/]+):[^@/]*@#//\1:***@#')"
if .venv/bin/python - "$pg_url" <<'PY'
import sys
import psycopg

url = sys.argv[1].rsplit("/", 1)[0] + "/postgres"  # the test database is created from here
try:
    psycopg.connect(url, connect_timeout=3).close()
except psycopg.Error:
    sys.exit(1)
PY
then
    pg_ok=true
else
    pg_ok=false
fi

# Any non-zero pytest status is a failure, including 5 ("no tests collected").
sqlite_run=(env -u DATABASE_URL .venv/bin/pytest "${pytest_args[@]}" "$@")
pg_run=(env DATABASE_URL="$pg_url" .venv/bin/pytest "${pytest_args[@]}" "$@")
if [ "$pg_ok" = "true" ] && [ "${CALLDESK_TEST_SERIAL:-false}" != "true" ]; then
    # Both databases side by side: most of a run waits on servers, browsers and SIP peers rather
    # than on the processor, so two runs take little longer than one. Each writes its own log,
    # shown whole when both are done. CALLDESK_TEST_SERIAL=true runs them one after the other.
    logs="$(mktemp -d)"
    echo "==> pytest on SQLite and on PostgreSQL ($pg_shown), side by side"
    # `a && b || c`: c sees a's status (set -e would end a plain subshell before writing it).
    ("${sqlite_run[@]}" >"$logs/sqlite.log" 2>&1 && echo 0 >"$logs/sqlite.rc" || echo $? >"$logs/sqlite.rc") &
    ("${pg_run[@]}" >"$logs/postgres.log" 2>&1 && echo 0 >"$logs/postgres.rc" || echo $? >"$logs/postgres.rc") &
    wait
    for run in sqlite postgres; do
        label="pytest on SQLite"
        [ "$run" = "postgres" ] && label="pytest on PostgreSQL ($pg_shown)"
        echo "==> $label"
        cat "$logs/$run.log"
        [ "$(cat "$logs/$run.rc")" = "0" ] || failed+=("$label")
    done
    rm -rf "$logs"
else
    step "pytest on SQLite" "${sqlite_run[@]}"
    if [ "$pg_ok" = "true" ]; then
        step "pytest on PostgreSQL ($pg_shown)" "${pg_run[@]}"
    fi
fi
if [ "$pg_ok" != "true" ]; then
    if [ "$ci" = "true" ]; then
        echo "FAIL: PostgreSQL at $pg_shown cannot be reached; CI must run the suite on PostgreSQL." >&2
        exit 1
    fi
    left_out+=("the PostgreSQL run: no server at $pg_shown (set DATABASE_URL=postgres://...)")
fi

echo
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED:"
    printf '  - %s\n' "${failed[@]}"
fi
if [ ${#left_out[@]} -gt 0 ]; then
    echo "NOT RUN - this run left out:"
    printf '  - %s\n' "${left_out[@]}"
elif [ ${#failed[@]} -eq 0 ]; then
    echo "All checks ran: ruff, lint-imports, mypy, bandit, pip-audit, pytest on SQLite and on PostgreSQL, browser tests included."
fi
[ ${#failed[@]} -eq 0 ]
