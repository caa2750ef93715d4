#!/usr/bin/env bash
# Create .venv with Python 3.10 and install the locked dependencies.
# Python is found through $PYTHON, pyenv (version from .python-version), or python3.10 on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

want="$(cat .python-version 2>/dev/null || echo 3.10)"
is_py310() { "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; }

pick_python() {
  if [ -n "${PYTHON:-}" ]; then
    is_py310 "$PYTHON" && { echo "$PYTHON"; return 0; }
    echo "install: PYTHON=$PYTHON is not Python 3.10." >&2
    return 1
  fi
  if command -v pyenv >/dev/null 2>&1; then
    local p
    p="$(pyenv root)/versions/$want/bin/python"
    if [ -x "$p" ] && is_py310 "$p"; then echo "$p"; return 0; fi
  fi
  if command -v python3.10 >/dev/null 2>&1 && is_py310 python3.10; then
    command -v python3.10
    return 0
  fi
  return 1
}

if ! py="$(pick_python)"; then
  cat >&2 <<MSG
install: Python 3.10 was not found. Rasa 3.6 runs only on Python 3.8-3.10; Stand-in uses 3.10.
Do one of these, then run the command again:
  - pyenv install $want        (pyenv picks it up from .python-version)
  - install python3.10 so that it is on PATH
  - PYTHON=/path/to/python3.10 make demo
MSG
  exit 1
fi

if [ ! -x .venv/bin/python ] || ! is_py310 .venv/bin/python; then
  echo "install: creating .venv with $py"
  rm -rf .venv
  "$py" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.0"
echo "install: installing requirements.lock (first time takes a few minutes)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
.venv/bin/python -m pip check
