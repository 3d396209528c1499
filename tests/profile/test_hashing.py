"""String hashing: unchanged values for strings up to 1 KiB (so new profiles stay
mergeable with old ones), and linear time in the total bytes (issue 10, item 4)."""

from __future__ import annotations

import time

import numpy as np
import pyarrow as pa

from telltale.profile import Profile
from telltale.profile.hashing import FNV_MAX_BYTES, hash_string, hash_strings
from telltale.spec import parse_spec
from telltale.types import PredictionRecord

_M = (1 << 64) - 1


def _reference(s: str) -> int:
    """FNV-1a over the UTF-8 bytes, the string salt, then splitmix64: by hand, one byte at a time."""
    h = 0xCBF29CE484222325
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & _M
    z = (h ^ 0x632BE59BD9B4E019) + 0x9E3779B97F4A7C15 & _M
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M
    return z ^ (z >> 31)


def test_strings_up_to_1_kib_hash_exactly_as_before():
    # values printed by the code before this change (main at 62cf966)
    assert [hash_string(s) for s in ("", "Lyon", "日本語", "x" * 1024)] == [
        12926068078055799312, 18314832822446881264, 10315551322123244378, 14572841519524748496]
    rng = np.random.default_rng(4)
    values = ["".join(chr(c) for c in rng.integers(32, 0x3000, rng.integers(0, 300))) for _ in range(500)]
    values = [v for v in values if len(v.encode()) <= FNV_MAX_BYTES] + ["a", "ab" * 512]
    assert hash_strings(values).tolist() == [_reference(v) for v in values]


def test_arrow_slices_and_lists_agree():
    values = ["p" * 2000, "q", "r" * 5, "s" * 3000]
    arr = pa.array(["pad"] + values, pa.string()).slice(1)
    assert hash_strings(arr).tolist() == hash_strings(values).tolist()


def test_long_strings_are_told_apart_and_equal_ones_agree():
    base = "z" * 5000
    h = hash_strings([base, base, base[:-1] + "y", base[:FNV_MAX_BYTES], base + "z"]).tolist()
    assert h[0] == h[1]
    assert len(set(h[1:])) == 4


def test_a_9_mb_string_costs_milliseconds_not_seconds():
    big = "é" * 4_500_000  # 9 MB of UTF-8
    t = time.perf_counter()
    hash_strings([big, "a", "b" * 50])
    elapsed = time.perf_counter() - t
    assert elapsed < 2.0, f"hashing a 9 MB string took {elapsed:.2f} s"  # about 0.1 s here; the old loop took over a minute


def test_a_record_holding_a_1_mb_string_profiles_quickly():
    spec = parse_spec("service: s\nowner: me\ninputs:\n  note: {type: string}\n")
    records = [PredictionRecord(f"r{i}", "s", 0.0, {"note": "w" * (1_000_000 if i == 0 else 10)}) for i in range(100)]
    t = time.perf_counter()
    p = Profile.from_records(spec, records)
    assert time.perf_counter() - t < 2.0  # 8 s before (issue 10, item 4)
    assert round(p.fields["note"].distinct_estimate) == 2 and p.fields["note"].categorical.items()["w" * 10] == 99
