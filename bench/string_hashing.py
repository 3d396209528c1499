"""String hashing cost (issue 10, item 4): one long string, and columns of short and
medium strings, through ``telltale.profile.hashing.hash_strings`` and through a whole
``Profile.from_records`` (the in-process recorder's path), beside the per-byte-position
loop it replaced (kept here, for the comparison only). Run:

    .venv/bin/python bench/string_hashing.py
"""

from __future__ import annotations

import time

import numpy as np
import pyarrow as pa

from telltale.profile import Profile
from telltale.profile.hashing import _FNV_OFFSET, _FNV_PRIME, _STRING_SALT, _U, hash_strings, splitmix64
from telltale.spec import parse_spec
from telltale.types import PredictionRecord


def _old(arr: pa.Array) -> np.ndarray:
    """The loop before: every string of a chunk, for every byte position of the longest."""
    n = len(arr)
    h = np.full(n, _FNV_OFFSET, dtype=_U)
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int64)[: n + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8)
    starts, lengths = offsets[:-1], offsets[1:] - offsets[:-1]
    last = len(data) - 1
    with np.errstate(over="ignore"):
        for lo in range(0, n, 1 << 15):
            st, ln, hc = starts[lo:lo + (1 << 15)], lengths[lo:lo + (1 << 15)], h[lo:lo + (1 << 15)]
            for j in range(int(ln.max())):
                byte = data[np.minimum(st + j, last)].astype(_U)
                hc[:] = np.where(ln > j, (hc ^ byte) * _U(_FNV_PRIME), hc)
    return splitmix64(h ^ _U(_STRING_SALT))


def _time(fn, *args) -> float:
    t = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t


def main() -> None:
    rng = np.random.default_rng(0)
    def col(values: list[str]) -> pa.Array:  # hashing is timed on Arrow arrays: both read the same buffers
        return pa.array(values, pa.large_string())

    one_mb = col(["w" * 1_000_000, "short"])
    nine_mb = col(["w" * 9_000_000, "short"])
    short = col([f"city-{i % 5000}" for i in range(1_000_000)])
    medium = col(["".join(map(chr, rng.integers(97, 123, 300))) for _ in range(20_000)])
    rows = [
        ("one 1 MB string + 1 short", _time(hash_strings, one_mb), _time(_old, one_mb)),
        ("one 9 MB string + 1 short", _time(hash_strings, nine_mb), None),
        ("1,000,000 short strings (9-10 bytes)", _time(hash_strings, short), _time(_old, short)),
        ("20,000 strings of 300 bytes", _time(hash_strings, medium), _time(_old, medium)),
    ]
    spec = parse_spec("service: s\nowner: me\ninputs:\n  note: {type: string}\n")
    recs = [PredictionRecord(f"r{i}", "s", 0.0, {"note": "w" * (1_000_000 if i == 0 else 20)}) for i in range(500)]
    rows.append(("Profile.from_records, 500 records, one 1 MB string", _time(Profile.from_records, spec, recs), None))
    print(f"{'case':<55} {'now s':>9} {'before s':>9}")
    for name, now, before in rows:
        print(f"{name:<55} {now:>9.4f} {'-' if before is None else format(before, '.3f'):>9}")


if __name__ == "__main__":
    main()
