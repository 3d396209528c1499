#!/usr/bin/env bash
# The hand-assembled comparison stack for bench/guard_overhead.py: pybreaker and tenacity,
# installed for the benchmark only, never telltale dependencies. Both are pure Python;
# the benchmark runs under the project venv (.venv) and adds this venv's site-packages
# after its own, so pydantic and everything else are the project's pinned versions.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-guard"
py="${PYTHON:-python3.11}"
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet "pybreaker==1.4.1" "tenacity==9.2.1"
"$venv/bin/python" -c "import pybreaker, tenacity; print('pybreaker', pybreaker.__version__ if hasattr(pybreaker, '__version__') else '1.4.1', 'tenacity ok')"
