#!/usr/bin/env bash
# Build the anchor's own virtualenv for bench/detectors.py: river (for its ADWIN), never a
# telltale dependency. Telltale's detectors run from the project venv (.venv); the
# benchmark runs ADWIN in a subprocess of this venv on the same streams (saved as .npy).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv-detectors"
py="${PYTHON:-python3.11}"
if [ ! -x "$venv/bin/python" ]; then
  "$py" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "river==0.26.1"
"$venv/bin/python" -m pip check
"$venv/bin/python" -c "import river, numpy; print('river', river.__version__, 'numpy', numpy.__version__)"
