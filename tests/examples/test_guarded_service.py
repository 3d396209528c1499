"""The example script runs as documented and leaves its decisions in the store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from telltale.store import Store

from ..conftest import ROOT


def test_example_script_serves_model_then_rules_and_records_all(tmp_path: Path):
    db = f"sqlite:///{tmp_path / 'ex.db'}"
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "eta" / "guarded_service.py"), "--db", db],
                       capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert "from model" in lines[0]
    assert "from rules" in lines[1] and "prep_time_s" in lines[1] and "above the maximum 7200" in lines[1]
    assert "from rules" in lines[2] and "unseen category 'Bordeaux'" in lines[2]
    store = Store.open(db)
    try:
        assert store.count_predictions("default", "eta") == 3
    finally:
        store.close()
