"""Hashing strings from records needs NumPy only: recording to a store on the lean install
(no pyarrow) builds the same minute profiles as with it."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa

from telltale.profile.hashing import hash_strings


def test_lists_hash_without_importing_pyarrow() -> None:
    code = ("import sys\nfrom telltale.profile.hashing import hash_strings\n"
            "print(hash_strings(['', 'Lyon', '日本語', 'x' * 2000]).tolist(), 'pyarrow' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    arrow = hash_strings(pa.array(["", "Lyon", "日本語", "x" * 2000], pa.string())).tolist()
    assert out == f"{arrow} False"
    assert arrow[:3] == [12926068078055799312, 18314832822446881264, 10315551322123244378]  # pinned in test_hashing.py


def test_empty_inputs() -> None:
    assert hash_strings([]).tolist() == []
    assert hash_strings(pa.array([], pa.string())).tolist() == []
    assert hash_strings(pa.array(["a", "b"], pa.large_string()).slice(2)).tolist() == []
