"""The store refuses, before writing anything, a record it could not read back: the
in-process path (a guard recording straight into SQLite) meets the same limits as HTTP."""

from __future__ import annotations

import pytest

from telltale.record import BackgroundRecorder, StoreSink
from telltale.store import Store
from telltale.types import PredictionRecord

T0 = 1_767_225_600.0


def _nest(levels: int) -> object:
    v: object = 1
    for _ in range(levels):
        v = [v]
    return v


@pytest.mark.parametrize(("inputs", "extra", "message"), [
    ({"x": _nest(900)}, {}, "inputs.x nests deeper than 32 levels (max_depth)"),
    ({"city": "a\ud800"}, {}, "inputs.city holds a lone UTF-16 surrogate"),
    ({"n": 10**400}, {}, "inputs.n is an integer of 401 digits; the most is 20 (max_int_digits)"),
    ({"s": "x" * 70_000}, {}, "inputs.s is a string of 70000 characters; the most is 65536 (max_string_len)"),
    ({}, {"ts": 9.3e18}, "ts must be a finite number of epoch seconds"),
    ({}, {"tags": {f"t{i}": "v" for i in range(17)}}, "tags must be at most 16 string pairs"),
])
def test_the_store_refuses_what_it_could_not_read_back(tmp_path, inputs: dict, extra: dict, message: str) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 't.db'}")
    try:
        bad = PredictionRecord(**{"id": "bad", "service": "eta", "ts": T0, "inputs": inputs, **extra})
        with pytest.raises(ValueError, match="record 'bad': " + message.replace("(", r"\(").replace(")", r"\)")):
            store.write_predictions("p", [bad])
        # through a recorder: refused alone, the good records beside it stored, the window readable
        rec = BackgroundRecorder(StoreSink(store, "p"), spill_dir=tmp_path / "spill")
        for r in (PredictionRecord("a", "eta", T0, {"x": 1.0}), bad, PredictionRecord("b", "eta", T0 + 1, {"x": 2.0})):
            rec.submit(r)
        assert rec.wait_idle(20.0)
        rec.close()
        assert rec.stats.dropped == {"rejected": 1} and rec.stats.dead_lettered == 1
        assert [r.id for r in store.read_predictions("p", "eta", 0, 4e9)] == ["a", "b"]
    finally:
        store.close()
