#!/usr/bin/env bash
# Build the anchors' own virtualenv for bench/drift_vs_anchors.py: Evidently and NannyML,
# never telltale dependencies. Telltale itself is run from the project venv (.venv).
# pandas<3: Evidently 0.7.23 imports a pandas internal that pandas 3 removed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-anchors"
py="${PYTHON:-python3.11}"
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "evidently==0.7.23" "nannyml==0.13.1" "pandas<3" pyarrow
"$venv/bin/python" -m pip check
"$venv/bin/python" -c "import evidently, nannyml; print('evidently', evidently.__version__, 'nannyml', nannyml.__version__)"
