#!/usr/bin/env bash
# Idempotent set-up shared by `make demo` and `make test`.
# Builds .venv-rasa (Python 3.10, Rasa only) and .venv (Python 3.11, everything else),
# each only when its dependency list changed since the last successful build.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

find_python() {  # find_python 3.10 -> path of an interpreter of that minor version
  local want=$1 candidate
  for candidate in "python$want" "$HOME/.pyenv/versions/$want"*/bin/python"$want" "/usr/bin/python$want" "/usr/local/bin/python$want"; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys' >/dev/null 2>&1; then
      command -v "$candidate"; return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    local prefix
    prefix=$(pyenv prefix "$want" 2>/dev/null | head -n1 || true)
    [ -n "$prefix" ] && [ -x "$prefix/bin/python$want" ] && { echo "$prefix/bin/python$want"; return 0; }
  fi
  return 1
}

# pip warns once per package about this machine's optional local index folders; hide only that noise.
quiet_pip() {
  local dir=$1; shift
  "$dir/bin/python" -m pip --quiet "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
}

build_venv() {  # build_venv DIR PYTHON_VERSION HASH_INPUTS... ; INSTALL_CMD passed via env
  local dir=$1 version=$2; shift 2
  local hash; hash=$(cat "$@" | sha256sum | cut -c1-16)
  if [ -f "$dir/.marquee-deps" ] && [ "$(cat "$dir/.marquee-deps")" = "$hash" ]; then
    log "$dir is up to date"
    return 1
  fi
  if ! [ -x "$dir/bin/python" ] || ! "$dir/bin/python" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$version'.split('.'))))"; then
    local py
    py=$(find_python "$version") || {
      echo "[setup] error: Python $version not found. Install it (e.g. 'pyenv install $version' or 'apt-get install python$version python$version-venv') and run again." >&2
      exit 2
    }
    log "creating $dir with $py"
    rm -rf "$dir"
    "$py" -m venv "$dir"
    quiet_pip "$dir" install --upgrade pip wheel setuptools
  fi
  log "installing dependencies into $dir (its dependency list changed)"
  echo "$hash" > "$dir/.marquee-deps.pending"
  return 0
}

if build_venv .venv-rasa 3.10 requirements/rasa.txt; then
  quiet_pip .venv-rasa install -r requirements/rasa.txt
  mv .venv-rasa/.marquee-deps.pending .venv-rasa/.marquee-deps
fi

if build_venv .venv 3.11 requirements/app.txt pyproject.toml; then
  quiet_pip .venv install -r requirements/app.txt
  quiet_pip .venv install --no-deps -e .
  mv .venv/.marquee-deps.pending .venv/.marquee-deps
fi
