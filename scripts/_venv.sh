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
    # The stamp records what was installed: pyproject.toml's checksum and the extras.
    stamp=".venv/.calldesk-installed"
    want="$(cksum < pyproject.toml | cut -d' ' -f1)"
    if [ -f "$stamp" ]; then
        case "$(cat "$stamp")" in
            "$want[test]") return 0 ;;            # a [test] install covers a plain one too
            "$want") [ -z "$extras" ] && return 0 ;;
        esac
    fi
    echo "==> Installing calldesk$extras into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".$extras"
    # setuptools leaves its build notes (calldesk.egg-info) in the source tree; the installed
    # package does not read them (its metadata is in .venv), so the tree is left as it was.
    rm -rf calldesk.egg-info
    echo "$want$extras" > "$stamp"
}
