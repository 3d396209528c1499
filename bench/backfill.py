"""Backfill cost: ``telltale backfill`` of a day of past traffic into a SQLite store.

    .venv/bin/python bench/backfill.py --rows 1000000            # local engine, ~1 min on 2 cores
    .venv/bin/python bench/backfill.py --rows 1000000 --engine dask

Writes one Parquet file of ``--rows`` rows spread over one day (1,440 minutes; 8 numeric
and 2 categorical columns, in time order as logs are, row groups of 100,000 rows),
registers its service in a fresh SQLite store, then runs ``telltale backfill`` in a
subprocess, so the wall time is what a user waits for: start-up, reading, grouping by
minute, one profile per minute per piece, the merge in piece order and the writes. It
prints the command's summary line, the wall time, rows/s and the peak RSS of the
largest process, and checks what the store
holds: one row per minute whose ``n`` add up to every row.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
TELLTALE = ROOT / ".venv" / "bin" / "telltale"
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
SPEC = "service: bench\nowner: me\ninputs:\n" + "".join(f"  num_{i}: {{type: float}}\n" for i in range(8)) + \
    "".join(f"  cat_{j}: {{type: category}}\n" for j in range(2))


def write_data(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    ts = np.sort(rng.uniform(T0, T0 + 86400, rows))
    group = 100_000
    with pq.ParquetWriter(path, pa.schema([("ts", pa.timestamp("us", tz="UTC"))] + [(f"num_{i}", pa.float64()) for i in range(8)]
                                          + [(f"cat_{j}", pa.string()) for j in range(2)])) as w:
        for start in range(0, rows, group):
            n = min(group, rows - start)
            cols: dict[str, object] = {"ts": pa.array((ts[start:start + n] * 1e6).astype(np.int64), pa.timestamp("us", tz="UTC"))}
            cols.update({f"num_{i}": rng.normal(10 * (i + 1), 1 + i, n) for i in range(8)})
            cols.update({f"cat_{j}": rng.choice([f"v{v}" for v in range(5 + 5 * j)], n) for j in range(2)})
            w.write_table(pa.table(cols, schema=w.schema))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--engine", default="local")
    args = ap.parse_args()
    from telltale.spec import parse_spec
    from telltale.store import Store

    with tempfile.TemporaryDirectory() as d:
        data, spec, db = Path(d) / "past.parquet", Path(d) / "telltale.yaml", f"sqlite:///{d}/telltale.db"
        write_data(data, args.rows)
        spec.write_text(SPEC)
        store = Store.open(db)
        store.put_service("default", parse_spec(SPEC))
        store.close()
        cmd = [str(TELLTALE), "backfill", str(data), "--spec", str(spec), "--store", db, "--ts-column", "ts",
               "--engine", args.engine, "--workers", "2"]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = proc.communicate()
        wall = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux: the largest process waited for
        if proc.returncode != 0:
            sys.exit(f"backfill failed:\n{err[-3000:]}")
        print(out.splitlines()[0])
        engine = sa.create_engine(db)
        with engine.connect() as conn:
            minutes, total = conn.execute(sa.text("SELECT count(*), sum(n) FROM tt_minute_profiles")).one()
        engine.dispose()
        size = Path(d, "telltale.db").stat().st_size
        print(f"{args.rows:,} rows over one day on {args.engine}: {wall:.1f} s wall ({args.rows / wall:,.0f} rows/s), "
              f"peak RSS {peak:,.0f} MiB; store holds {minutes:,} minutes with {total:,} rows, {size / 2**20:.0f} MiB")
        assert total == args.rows and minutes == 1440


if __name__ == "__main__":
    main()
