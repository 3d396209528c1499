"""How long a profile takes to build from columns, and how big it is.

Run: .venv/bin/python bench/profile_build.py [--rows 10000000]

Generates ``rows`` rows of 10 float, 2 int and 3 string columns (strings as Arrow arrays,
as Parquet gives them), profiles them with ``Profile.from_columns``, and prints wall
time, throughput, the process's peak resident memory, and the serialised size. The
point: 10 million rows never become 10 million Python objects, so the time is a few
array passes and the memory is the input columns plus a few temporaries.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pyarrow as pa

from telltale.profile import Profile


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    args = ap.parse_args()
    n = args.rows
    rng = np.random.default_rng(0)
    cols: dict[str, object] = {f"x{i}": rng.normal(i, 1 + i, n) for i in range(10)}
    cols.update({f"k{i}": rng.integers(0, 50 * (i + 1), n) for i in range(2)})
    words = np.array([f"value-{j}" for j in range(40)], dtype=object)
    cols.update({f"s{i}": pa.array(words[rng.integers(0, 10 + 10 * i, n)]) for i in range(3)})
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    p = Profile.from_columns(None, cols)
    dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t1 = time.perf_counter()
    data = p.to_bytes()
    back = Profile.from_bytes(data)
    dt_codec = time.perf_counter() - t1
    assert back.n == n
    print(f"rows                 {n:,} x {len(cols)} columns")
    print(f"profile build        {dt:.2f} s ({n * len(cols) / dt / 1e6:.0f} M values/s)")
    print(f"peak RSS             {rss:.0f} MiB (input data alone: {rss_before:.0f} MiB)")
    print(f"serialised profile   {len(data) / 1024:.1f} KiB, encode+decode {dt_codec * 1000:.0f} ms")


if __name__ == "__main__":
    main()
