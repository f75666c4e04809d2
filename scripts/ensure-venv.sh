#!/usr/bin/env bash
# Create or refresh the project's virtual environment, doing nothing when it is up to date.
# Usage: scripts/ensure-venv.sh [EXTRAS]    (EXTRAS: "", "dev", "dev,app", ...)
# Environment: PYTHON (default python3), VENV (default .venv), TORCH_SPEC (default torch==2.13.0,
# the CPU build; point it at another build, e.g. a CUDA wheel, for a GPU).
set -euo pipefail
extras="${1:-}"
python="${PYTHON:-python3}"
venv="${VENV:-.venv}"
torch_spec="${TORCH_SPEC:-torch==2.13.0}"

if ! command -v "$python" >/dev/null 2>&1; then
    echo "setup: '$python' not found; install Python 3.11 or newer (e.g. 'apt-get install python3 python3-venv') or pass PYTHON=/path/to/python3.11" >&2
    exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup: $("$python" --version 2>&1) is too old; Python 3.11 or newer is needed (pass PYTHON=/path/to/python3.11)" >&2
    exit 1
fi

# A venv whose interpreter no longer runs (moved folder, removed Python) is stale: rebuild it.
if [ -d "$venv" ] && ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "setup: $venv is stale; recreating it"
    rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
    echo "setup: creating $venv with $("$python" --version 2>&1)"
    "$python" -m venv "$venv"
fi

# The stamp records what was installed: the torch spec, the extras and the pyproject.toml hash.
hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
want="$torch_spec|$extras|$hash"
stamp="$venv/.momo-setup"
have=""
if [ -f "$stamp" ]; then
    # extras installed so far with this torch spec and this pyproject.toml
    have="$(awk -F'|' -v t="$torch_spec" -v h="$hash" '$1 == t && $3 == h { print "," $2 "," }' "$stamp" | tr -d '\n')"
fi
missing=""
if [ -z "$have" ]; then
    missing="all"
else
    for extra in ${extras//,/ }; do
        case "$have" in *",$extra,"*) ;; *) missing="$missing $extra" ;; esac
    done
fi
if [ -z "$missing" ]; then
    echo "setup: $venv is up to date (extras: ${extras:-none})"
    exit 0
fi
echo "setup: installing $torch_spec, then momo-motion${extras:+[$extras]} (editable) into $venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check $torch_spec  # may carry pip options
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e ".${extras:+[$extras]}"
# Keep every extras set installed so far, so "make demo" after "make test" does not reinstall.
{ [ -f "$stamp" ] && cat "$stamp"; echo "$want"; } | sort -u > "$stamp.tmp" && mv "$stamp.tmp" "$stamp"
echo "setup: done"
