"""The labelled reference's summary as ``telltale init`` saves it: the same figures as from its rows, byte for byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

from telltale.performance.metrics import compute
from telltale.report.reference_performance import (
    PerformanceUsageError,
    ReferencePerformance,
    performance_path,
    read_beside,
    spec_for,
)
from telltale.spec import parse_spec

SPEC = parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float}\n")


def _table(n: int = 2000) -> pa.Table:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, n)
    p1 = np.clip(np.where(y == 1, rng.beta(4, 2, n), rng.beta(2, 4, n)), 0, 1)
    pred = (p1 >= 0.5).astype(np.int64)
    return pa.table({"x": rng.normal(0, 1, n), "y": y, "pred": pred, "conf": np.where(pred == 1, p1, 1 - p1), "p1": p1})


def test_round_trip_and_figures(tmp_path: Path) -> None:
    t = _table()
    ref = ReferencePerformance.from_table(t, SPEC, "y", "pred", "conf")
    assert (ref.kind, ref.labels, ref.positive, ref.rows) == ("classification", ("0", "1"), "1", 2000)  # 0 and 1: binary, 1 positive
    m = compute(ref.summary, ref.positive)
    assert m["accuracy"].value == accuracy_score(t.column("y").to_numpy(), t.column("pred").to_numpy())
    assert m["roc_auc"].value == pytest.approx(roc_auc_score(t.column("y").to_numpy(), t.column("p1").to_numpy()), abs=1e-3)
    path = performance_path(tmp_path / "telltale.reference.profile")
    assert path.name == "telltale.reference.performance"
    ref.write(path)
    back = read_beside(tmp_path / "telltale.reference.profile")
    assert back is not None and back.to_bytes() == ref.to_bytes()
    assert read_beside(tmp_path / "other.profile") is None


def test_unreadable_file_names_itself_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "r.performance").write_bytes(b"TTPF junk")
    with pytest.raises(PerformanceUsageError) as e:
        read_beside(tmp_path / "r.profile")
    assert str(e.value) == (f"{tmp_path / 'r.performance'}: not a telltale reference performance file: the bytes do not start with "
                            "the TTRP marker; write it again with `telltale init --target ... --prediction ...`")


def test_only_zero_one_or_false_true_labels_make_an_unnamed_binary() -> None:
    assert spec_for(SPEC, ("0", "1"), "classification").output.classes == [0, 1]
    assert spec_for(SPEC, ("false", "true"), "classification").output.classes == [False, True]
    assert spec_for(SPEC, ("no", "yes"), "classification").output.classes is None  # which is positive is the spec's to say
    assert spec_for(SPEC, ("0", "1"), "regression").output.classes is None
