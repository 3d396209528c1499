"""What a service pays at start for telltale: import time and the heavy modules loaded.

Each scenario runs in a fresh interpreter, ``--runs`` times; the figure is the median
wall time of the scenario minus that of ``python -c pass``, and the modules are those of
HEAVY found in ``sys.modules`` at the end. ``--src DIR`` runs another checkout's
``src/`` (e.g. the main branch's, for a before/after comparison).

    .venv/bin/python bench/import_cost.py [--runs 7] [--src ../main]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HEAVY = ("numpy", "scipy", "pandas", "pyarrow", "sklearn", "matplotlib", "fastapi", "uvicorn", "sqlalchemy", "alembic",
         "datasketches", "httpx", "psycopg")

SPEC = """
import telltale
spec = telltale.parse_spec('''
service: eta
owner: ml@example.com
inputs:
  distance_km: {type: float, range: [0, 60]}
  city: {type: category, categories: [Lyon, Paris]}
output: {type: float, range: [0, 240]}
fallback: [{default: 30.0}]
''')
def model(r):
    return 5.0 + 2.0 * r["distance_km"]
"""

SCENARIOS = {
    "import telltale": "import telltale",
    "guard + record to SQLite (3 decisions, stored)": SPEC + """
import sys, tempfile
g = telltale.Guard(spec, model, record_to=f"sqlite:///{tempfile.mkdtemp()}/g.db", control=False)
for _ in range(3):
    g.predict({"distance_km": 3.0, "city": "Lyon"})
g.close()
""",
    "guard + record over HTTP (3 decisions, nothing listening)": SPEC + """
import tempfile
from telltale.record import recorder_for
rec = recorder_for("http://127.0.0.1:9", token="t", spill_dir=tempfile.mkdtemp())
g = telltale.Guard(spec, model, recorder=rec)
for _ in range(3):
    g.predict({"distance_km": 3.0, "city": "Lyon"})
g.close(); rec.close(timeout=0.5)
""",
}

REPORT = "\nimport sys, json\nprint(json.dumps(sorted(m for m in %r if m in sys.modules)))\n" % (HEAVY,)


def _time(code: str, env: dict[str, str]) -> tuple[float, list[str]]:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code + REPORT], capture_output=True, text=True, env=env, check=True)
    return time.perf_counter() - t0, json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--src", default=None, help="a checkout whose src/ to import instead of the installed telltale")
    args = ap.parse_args()
    env = {**os.environ, "TELLTALE_SPILL_DIR": tempfile.mkdtemp()}
    if args.src:
        env["PYTHONPATH"] = os.path.join(os.path.abspath(args.src), "src")
    base = statistics.median(_time("pass", env)[0] for _ in range(args.runs))
    print(f"python {sys.version.split()[0]}, {args.runs} runs each, median minus `python -c pass` ({base * 1000:.0f} ms)")
    for name, code in SCENARIOS.items():
        runs = [_time(code, env) for _ in range(args.runs)]
        ms = (statistics.median(t for t, _ in runs) - base) * 1000
        print(f"{name:58s} {ms:7.0f} ms   loads: {', '.join(runs[-1][1]) or '-'}")


if __name__ == "__main__":
    main()
