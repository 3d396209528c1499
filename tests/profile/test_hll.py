"""The vectorised HyperLogLog: accurate within its stated error, and merged exactly."""

from __future__ import annotations

import numpy as np
import pytest

from telltale.profile.hashing import hash_floats, hash_string, hash_strings
from telltale.profile.hll import HLL


@pytest.mark.parametrize("n", [0, 1, 7, 100, 3000, 50_000, 1_000_000])
def test_estimate_within_four_standard_errors(n):
    h = HLL(12)
    h.update(hash_floats(np.arange(n, dtype=np.float64) * 1.37))
    assert abs(h.estimate() - n) <= 4 * h.relative_error * max(n, 1)


def test_repeats_do_not_count():
    h = HLL(12)
    h.update(hash_floats(np.repeat(np.arange(500.0), 40)))
    assert abs(h.estimate() - 500) <= 4 * h.relative_error * 500


def test_merge_of_parts_equals_sketch_of_whole():
    x = np.random.default_rng(0).normal(size=100_000)
    whole, a, b = HLL(12), HLL(12), HLL(12)
    whole.update(hash_floats(x))
    a.update(hash_floats(x[:30_000]))
    b.update(hash_floats(x[20_000:]))  # overlapping parts: a union, not a sum
    assert np.array_equal(a.merge(b).registers, whole.registers)


def test_small_batches_set_the_same_registers_as_one_large_one():
    x = hash_floats(np.random.default_rng(1).normal(size=20_000))
    whole, parts = HLL(12), HLL(12)
    whole.update(x)  # the grid path (above the small-batch size)
    for lo in range(0, len(x), 500):  # the scatter path, as minute batches take it
        parts.update(x[lo:lo + 500])
    assert np.array_equal(parts.registers, whole.registers)


def test_round_trip_and_precision_checks():
    h = HLL(10)
    h.update(hash_floats(np.arange(1000.0)))
    back = HLL.from_bytes(h.to_bytes())
    assert back.p == 10 and np.array_equal(back.registers, h.registers)
    with pytest.raises(ValueError, match="precision"):
        HLL(12).merge(HLL(10))
    with pytest.raises(ValueError, match="between 4 and 18"):
        HLL(30)


def test_hashes_agree_between_number_forms_and_separate_strings_from_numbers():
    assert hash_floats(np.array([3.0]))[0] == hash_floats(np.array([3], dtype=np.int64).astype(float))[0]
    assert hash_floats(np.array([-0.0]))[0] == hash_floats(np.array([0.0]))[0]
    assert hash_string("3") != hash_floats(np.array([3.0]))[0]
    assert len(set(hash_strings(["a", "ab", "ba", "", "é"]).tolist())) == 5
    assert hash_strings(["x"])[0] == hash_strings(np.array(["x", "y"], dtype=object))[0]


def test_string_hashes_agree_between_lists_and_arrow_arrays():
    import pyarrow as pa

    words = ["a", "bb", "", "é", "x" * 300]
    as_list = hash_strings(words)
    assert np.array_equal(as_list, hash_strings(pa.array(words)))
    assert np.array_equal(as_list[1:], hash_strings(pa.array(["zz", *words]).slice(2)))  # sliced arrays too
