# Sourced by run.sh and test.sh: make ./.venv exist and hold the package (with the given extras).
# Reinstalls only when pyproject.toml changed since the last install, so a second run starts at once.

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "Calldesk needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)." >&2
    return 1
}

ensure_venv() {
    local extras="$1"  # "" or "[test]"
    local python stamp want
    if [ ! -x .venv/bin/python ]; then
        python="$(find_python)"
        echo "==> Creating .venv with $python"
        "$python" -m venv .venv
    fi
    stamp=".venv/.calldesk-installed"
    want="$(cat pyproject.toml | cksum | cut -d' ' -f1)$extras"
    # A [test] install also covers a plain one.
    if [ -f "$stamp" ] && { [ "$(cat "$stamp")" = "$want" ] || [ "$(cat "$stamp")" = "${want%\[test\]}[test]" ]; }; then
        return 0
    fi
    echo "==> Installing calldesk$extras into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".$extras"
    echo "$want" > "$stamp"
}
