"""Telltale's batch drift report against Evidently and NannyML on the same data.

    bench/setup_anchors.sh                       # once: Evidently + NannyML in bench/.venv-anchors
    .venv/bin/python bench/drift_vs_anchors.py --rows 1000000

Generates a reference and a current set (15 numeric and 5 categorical columns; five
columns carry a known fault: a 0.1 sd mean shift, a 1.5x scale, a x1000 unit change,
nulls from 0 to 20%, a shift in a category mix), then runs, each in a subprocess of its
own so wall time and peak memory are the tool's alone:

- telltale: ``telltale report --reference --current --json`` (no spec: it infers one),
  as shipped and with ``--no-multivariate`` (the anchors run no multivariate check),
- Evidently: ``Report([DataDriftPreset()])`` with its default per-column tests,
- NannyML: ``UnivariateDriftCalculator`` with its default methods, 10 chunks a side.

and prints for each: wall time, peak RSS, drifted columns found (x/5) and stable columns
flagged (x/15; for telltale also how many of those were critical). Peak memory is the
child's ``ru_maxrss`` from ``os.wait4``: the largest resident set among the tool's
processes, not their sum (``telltale report`` trains its domain classifier in a helper
process of about 200 MiB next to the main one; the anchors run in one process). Anchors
run from ``bench/.venv-anchors`` so they never become telltale dependencies.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TELLTALE = ROOT / ".venv" / "bin" / "telltale"
ANCHORS_PY = HERE / ".venv-anchors" / "bin" / "python"

NUMERIC = [f"num_{i:02d}" for i in range(15)]
CATEGORICAL = [f"cat_{i}" for i in range(5)]
FAULTS = {
    "num_00": "mean shift 0.1 sd",
    "num_01": "scale 1.5x",
    "num_02": "unit x1000",
    "num_03": "nulls 0% -> 20%",
    "cat_0": "category mix shift",
}
STABLE = [c for c in NUMERIC + CATEGORICAL if c not in FAULTS]
#: telltale runs twice: as shipped (with the multivariate domain classifier, which the
#: anchors' presets do not run) and univariate only, like for like with the anchors.
#: ``telltale-saved`` reads the reference profile ``telltale init`` wrote (init timed apart):
#: only the current data is read and profiled, as in a daily job against a fixed reference.
TOOLS = ("telltale", "telltale-univariate", "telltale-saved", "evidently", "nannyml")
_MIX_REF = [0.40, 0.25, 0.15, 0.10, 0.06, 0.04]
_MIX_CUR = [0.28, 0.25, 0.15, 0.16, 0.10, 0.06]


def generate(n: int, seed: int, faulty: bool, levels: tuple[int, ...] = ()) -> pa.Table:
    """One set: numeric columns of varied shapes and scales, categoricals of 6 to 12 levels;
    ``levels`` replaces the level counts of the last categoricals (e.g. 200 and 1000)."""
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i, name in enumerate(NUMERIC):
        shape = i % 3
        loc, scale = 10.0 * (i + 1), 1.0 + i
        if shape == 0:
            x = rng.normal(loc, scale, n)
        elif shape == 1:
            x = loc + scale * rng.lognormal(0.0, 0.5, n)
        else:
            x = loc + scale * rng.gamma(2.0, 1.0, n)
        cols[name] = x
    for j, name in enumerate(CATEGORICAL):
        k = 6 if j == 0 else 4 + 2 * j  # 6, 6, 8, 10, 12 levels
        if levels and j >= len(CATEGORICAL) - len(levels):
            k = levels[j - (len(CATEGORICAL) - len(levels))]
        p = np.asarray(_MIX_REF) if j == 0 else _levels(k)
        if faulty and name == "cat_0":
            p = np.asarray(_MIX_CUR)
        values = np.asarray([f"{name}_v{v}" for v in range(len(p))])
        cols[name] = pa.array(values[rng.choice(len(p), n, p=p)]).dictionary_encode()
    if faulty:
        sd0 = _ref_sd("num_00")
        cols["num_00"] = cols["num_00"] + 0.1 * sd0  # type: ignore[operator]
        x1 = cols["num_01"]
        cols["num_01"] = x1.mean() + 1.5 * (x1 - x1.mean())  # type: ignore[union-attr]
        cols["num_02"] = cols["num_02"] * 1000.0  # type: ignore[operator]
        x3 = cols["num_03"].copy()  # type: ignore[union-attr]
        x3[rng.random(n) < 0.20] = np.nan
        cols["num_03"] = x3
    table = {k: (pa.array(v, from_pandas=True) if isinstance(v, np.ndarray) else v) for k, v in cols.items()}
    return pa.table(table)


def _levels(k: int) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1)
    return w / w.sum()


def _ref_sd(name: str) -> float:
    i = NUMERIC.index(name)
    return 1.0 + i  # num_00 is normal with sd = scale


# -- runners -------------------------------------------------------------------------------

_EVIDENTLY = textwrap.dedent('''
    import json, sys
    import pandas as pd
    from evidently import Report
    from evidently.presets import DataDriftPreset
    ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
    for c in ref.columns:
        if str(ref[c].dtype) == "category":
            ref[c] = ref[c].astype(str); cur[c] = cur[c].astype(str)
    snap = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
    drifted = []
    for m in snap.dict()["metrics"]:
        cfg = m.get("config", {})
        if cfg.get("type", "").endswith("ValueDrift"):
            col = cfg.get("column")
            thr = cfg.get("threshold")
            method = cfg.get("method", "")
            v = m["value"]
            # Evidently: p-value tests drift when below the threshold, distances when above it
            is_p = "p_value" in method or "test" in method.lower()
            hit = (v < thr) if is_p else (v >= thr)
            if hit:
                drifted.append(col)
    json.dump({"drifted": drifted}, open(sys.argv[3], "w"))
''')

_NANNYML = textwrap.dedent('''
    import json, sys
    import pandas as pd
    import nannyml as nml
    ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
    cats = [c for c in ref.columns if str(ref[c].dtype) in ("category", "object")]
    calc = nml.UnivariateDriftCalculator(column_names=list(ref.columns), treat_as_categorical=cats, chunk_number=10)
    calc.fit(ref)
    res = calc.calculate(cur).filter(period="analysis").to_df()
    drifted = []
    for col in ref.columns:
        alerts = [c for c in res.columns if c[0] == col and c[-1] == "alert"]
        if any(bool(res[a].any()) for a in alerts):
            drifted.append(col)
    json.dump({"drifted": drifted}, open(sys.argv[3], "w"))
''')


#: CPU seconds (user + system) of the last child ``_measure`` waited for: on a machine
#: shared with other jobs, wall time stretches with their load while CPU time mostly does not.
LAST_CPU = [0.0]


def _measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, exit code) of one child process (its CPU in ``LAST_CPU``)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    LAST_CPU[0] = usage.ru_utime + usage.ru_stime
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.stderr.write(f"{cmd[0]} exited {code}:\n{err[-3000:]}\n")
    return wall, usage.ru_maxrss / 1024.0, code


def run_telltale(ref: Path, cur: Path, out: Path, *extra: str) -> tuple[float, float, list[str], list[str]]:
    wall, rss, code = _measure([str(TELLTALE), "report", "--reference", str(ref), "--current", str(cur), "--json", str(out), *extra])
    if code not in (0, 1):
        return wall, rss, [], []
    findings = json.loads(out.read_text())["findings"]
    flagged = sorted({f["feature"] for f in findings if f["feature"]})
    critical = sorted({f["feature"] for f in findings if f["feature"] and f["severity"] == "critical"})
    return wall, rss, flagged, critical


def run_saved(ref: Path, cur: Path, out: Path) -> tuple[float, float, list[str], list[str], float]:
    """``telltale init`` once (timed apart), then the report against the saved profile."""
    spec = out.with_name("saved.yaml")
    for stale in (spec, out.with_name("saved.reference.profile")):
        stale.unlink(missing_ok=True)
    t_init, _rss, code = _measure([str(TELLTALE), "init", "--reference", str(ref), "--out", str(spec)])
    if code != 0:
        return t_init, 0.0, [], [], t_init
    wall, rss, code = _measure([str(TELLTALE), "report", "--spec", str(spec), "--current", str(cur), "--json", str(out)])
    if code not in (0, 1):
        return wall, rss, [], [], t_init
    findings = json.loads(out.read_text())["findings"]
    flagged = sorted({f["feature"] for f in findings if f["feature"]})
    critical = sorted({f["feature"] for f in findings if f["feature"] and f["severity"] == "critical"})
    return wall, rss, flagged, critical, t_init


def run_anchor(script: str, ref: Path, cur: Path, out: Path) -> tuple[float, float, list[str]]:
    path = out.with_name(f"run_{out.stem}.py")  # not evidently.py: it would shadow the package
    path.write_text(script)
    env = {**os.environ, "NML_DISABLE_USAGE_LOGGING": "1", "DO_NOT_TRACK": "1"}  # no telemetry calls out
    wall, rss, code = _measure([str(ANCHORS_PY), str(path), str(ref), str(cur), str(out)], env=env)
    if code != 0:
        return wall, rss, []
    return wall, rss, json.loads(out.read_text())["drifted"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000, help="rows in each of reference and current")
    ap.add_argument("--only", choices=TOOLS, action="append")
    ap.add_argument("--keep", type=Path, help="write the data and outputs here instead of a temporary directory")
    ap.add_argument("--repeat", type=int, default=1, help="run each tool this many times; the median is shown")
    ap.add_argument("--levels", default="", help="level counts for the last categoricals, e.g. 200,1000")
    args = ap.parse_args()
    tools = args.only or list(TOOLS)
    if any(not t.startswith("telltale") for t in tools) and not ANCHORS_PY.exists():
        sys.exit("bench/.venv-anchors is missing: run bench/setup_anchors.sh first")
    with tempfile.TemporaryDirectory() as tmp:
        d = args.keep or Path(tmp)
        d.mkdir(parents=True, exist_ok=True)
        ref, cur = d / "reference.parquet", d / "current.parquet"
        t0 = time.perf_counter()
        levels = tuple(int(x) for x in args.levels.split(",") if x)
        pq.write_table(generate(args.rows, 1, faulty=False, levels=levels), ref)
        pq.write_table(generate(args.rows, 2, faulty=True, levels=levels), cur)
        print(f"data: {args.rows:,} reference and {args.rows:,} current rows, 20 columns"
              f"{f' (categorical levels {args.levels})' if levels else ''}, generated in {time.perf_counter() - t0:.1f}s")
        # A regular install compiles every module at install time; an editable checkout may
        # not have (PYTHONDONTWRITEBYTECODE), and compiling 60 modules costs 0.1 s a run.
        compileall.compile_dir(ROOT / "src" / "telltale", quiet=1)
        rows = []
        cpu: dict[str, float] = {}
        for tool in tools:
            walls, cpus, rsss = [], [], []
            for _ in range(args.repeat):
                if tool == "telltale-saved":
                    wall, rss, flagged, critical, t_init = run_saved(ref, cur, d / f"{tool}.json")
                    print(f"  telltale init (writes the reference profile, once): {t_init:.1f}s", flush=True)
                elif tool.startswith("telltale"):
                    extra = ("--no-multivariate",) if tool == "telltale-univariate" else ()
                    wall, rss, flagged, critical = run_telltale(ref, cur, d / f"{tool}.json", *extra)
                else:
                    wall, rss, flagged = run_anchor(_EVIDENTLY if tool == "evidently" else _NANNYML, ref, cur, d / f"{tool}.json")
                    critical = None
                walls.append(wall)
                cpus.append(LAST_CPU[0])
                rsss.append(rss)
            wall, rss = statistics.median(walls), max(rsss)
            found = [c for c in FAULTS if c in flagged]
            stable_flagged = [c for c in STABLE if c in flagged]
            stable_critical = None if critical is None else [c for c in STABLE if c in critical]
            rows.append((tool, wall, rss, found, stable_flagged, stable_critical))
            cpu[tool] = statistics.median(cpus)
            runs = f" (median of {', '.join(f'{w:.1f}' for w in walls)})" if args.repeat > 1 else ""
            print(f"  {tool}: {wall:.1f}s{runs}, {cpu[tool]:.1f}s CPU, {rss:.0f} MiB", flush=True)
    print()
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print("| tool | wall time (s) | CPU time (s) | peak RSS (MiB) | drifted found | stable flagged | stable flagged critical |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for tool, wall, rss, found, sf, sc in rows:
        crit = "n/a" if sc is None else f"{len(sc)}/15"
        print(f"| {tool} | {wall:.1f} | {cpu[tool]:.1f} | {rss:.0f} | {len(found)}/5 | {len(sf)}/15 | {crit} |")
    for tool, _w, _r, found, sf, _sc in rows:
        missed = [c for c in FAULTS if c not in found]
        if missed or sf:
            print(f"{tool}: missed {missed or 'none'}; stable flagged {sf or 'none'}")
    anchors = [r for r in rows if not r[0].startswith("telltale")]
    for tt in (r for r in rows if r[0].startswith("telltale")):
        if anchors:
            fastest = min(anchors, key=lambda r: r[1])
            print(f"{tt[0]} is {fastest[1] / tt[1]:.1f}x faster than the faster anchor ({fastest[0]}) "
                  f"({cpu[fastest[0]] / cpu[tt[0]]:.1f}x in CPU time) and uses {tt[2] / min(r[2] for r in anchors):.2f}x the smaller anchor peak memory")


if __name__ == "__main__":
    main()
