#!/usr/bin/env bash
# Build the own virtualenv of bench/estimation_vs_nannyml.py: NannyML (pinned) and telltale
# installed side by side, so both estimators run in one process on the same arrays.
# pandas<3: NannyML 0.13.1 is built against pandas 2 (telltale's own pin is pandas 3, so telltale
# goes in with --no-deps: the estimator needs only NumPy, SciPy, scikit-learn and pydantic,
# which NannyML brings). statsmodels: NannyML imports it without declaring it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
venv="$here/.venv-nannyml"
py="${PYTHON:-python3.11}"
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "nannyml==0.13.1" "pandas<3" "statsmodels==0.15.0" "PyYAML"
"$venv/bin/python" -m pip install --quiet --no-deps --editable "$root"  # the checkout's code, as it is edited
# no pip check: telltale's pins (pandas 3) are knowingly not met here; the import below is the check
"$venv/bin/python" -c "import nannyml, sklearn, telltale, telltale.performance.estimate; print('nannyml', nannyml.__version__, 'scikit-learn', sklearn.__version__, 'telltale from', telltale.__file__)"
