"""Reference profiling on each engine: rows per second at 10M rows, and what 100M and 1B would cost.

    .venv/bin/python bench/profile_engines.py --rows 10000000     # ~5 min on 2 cores

Writes one Parquet file (15 numeric and 5 categorical columns, row groups of 500,000
rows), then runs ``telltale profile --engine E`` in a subprocess for each engine (local,
dask with 2 worker processes, spark in local mode with 2 cores), so the wall time counts
everything a user waits for: start-up, the cluster, reading, profiling, merging, writing.
Each engine runs twice; the table gives the better run and whether the two profiles'
exact parts agree (counts, distinct-count registers, frequent items: they must) and how
far their medians differ (KLL's compaction is randomised, within its stated error).
The projection is linear in rows at the measured rate on the same cores: profiling is
per piece with a merge of a few KiB per piece, so more rows cost proportionally more
pieces, and more cores divide it (Dask and Spark spread pieces over every worker).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
TELLTALE = ROOT / ".venv" / "bin" / "telltale"
SPEC = "service: bench\nowner: me\ninputs:\n" + "".join(f"  num_{i:02d}: {{type: float}}\n" for i in range(15)) + \
    "".join(f"  cat_{j}: {{type: category}}\n" for j in range(5))


def write_data(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    group = 500_000
    schema = None
    with pq.ParquetWriter(path, pa.schema([(f"num_{i:02d}", pa.float64()) for i in range(15)]
                                          + [(f"cat_{j}", pa.dictionary(pa.int32(), pa.string())) for j in range(5)])) as w:
        for start in range(0, rows, group):
            n = min(group, rows - start)
            cols = {f"num_{i:02d}": rng.normal(10 * (i + 1), 1 + i, n) for i in range(15)}
            for j in range(5):
                k = 6 + 2 * j
                values = pa.array([f"cat_{j}_v{v}" for v in range(k)])
                cols[f"cat_{j}"] = pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, k, n).astype(np.int32)), values)
            w.write_table(pa.table(cols, schema=schema or w.schema))


def run(engine: str, data: Path, spec: Path, out: Path) -> tuple[float, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(TELLTALE), "profile", str(data), "--spec", str(spec), "--out", str(out), "--engine", engine,
                             "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{engine} failed:\n{proc.stderr.read().decode()[-3000:] if proc.stderr else ''}")
    return wall, usage.ru_maxrss / 1024.0


def agree(a: Path, b: Path) -> tuple[bool, float]:
    from telltale.profile import Profile
    from telltale.profile.column import COUNTS

    pa_, pb = Profile.from_bytes(a.read_bytes()), Profile.from_bytes(b.read_bytes())
    exact = pa_.n == pb.n and all(
        [getattr(pa_.fields[k], c) for c in COUNTS] == [getattr(pb.fields[k], c) for c in COUNTS]
        and np.array_equal(pa_.fields[k].distinct.registers, pb.fields[k].distinct.registers)
        for k in pa_.fields)
    gap = max(abs(pa_.fields[k].numeric.quantile(0.5) - pb.fields[k].numeric.quantile(0.5)) / pb.fields[k].numeric.std
              for k in pa_.fields if k.startswith("num_"))
    return exact, gap


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--engines", default="local,dask,spark")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        data, spec = d / "data.parquet", d / "telltale.yaml"
        spec.write_text(SPEC)
        t0 = time.perf_counter()
        write_data(data, args.rows)
        print(f"data: {args.rows:,} rows x 20 columns, {data.stat().st_size / 2**20:.0f} MiB Parquet, "
              f"written in {time.perf_counter() - t0:.0f} s; load average {os.getloadavg()[0]:.1f}")
        rows = []
        for engine in args.engines.split(","):
            walls = []
            for i in range(2):
                wall, rss = run(engine, data, spec, d / f"{engine}{i}.profile")
                walls.append((wall, rss))
                print(f"  {engine} run {i + 1}: {wall:.1f} s, peak RSS {rss:.0f} MiB", flush=True)
            exact, gap = agree(d / f"{engine}0.profile", d / f"{engine}1.profile")
            wall, rss = min(walls)
            rows.append((engine, wall, rss, exact, gap))
        print()
        print("| engine | wall (s) | rows/s | peak RSS (MiB) | 100M rows (projected) | 1B rows (projected) | exact parts agree run to run | median gap run to run (sd) |")
        print("|---|---:|---:|---:|---:|---:|---|---:|")
        for engine, wall, rss, exact, gap in rows:
            rate = args.rows / wall
            print(f"| {engine} | {wall:.1f} | {rate:,.0f} | {rss:.0f} | {1e8 / rate / 60:.0f} min | {1e9 / rate / 3600:.1f} h | "
                  f"{'yes' if exact else 'NO'} | {gap:.4f} |")


if __name__ == "__main__":
    main()
