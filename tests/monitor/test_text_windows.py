"""The monitor on text and vector fields: minute profiles from stored records, drift per window."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from telltale.monitor import findings_for
from telltale.profile import Profile
from telltale.spec import parse_spec
from telltale.store import Store
from telltale.types import PredictionRecord
from tests.drift._reviews import reviews

T0 = 1_767_225_600.0
SPEC = parse_spec("""service: shop
owner: me
inputs:
  review: {type: text, max_length: 400}
  emb: {type: vector, dim: 8}
""")


@pytest.fixture
def store(db_url):
    s = Store.open(db_url)
    s.put_service("p", SPEC)
    rng = np.random.default_rng(0)
    s.put_reference("p", "shop", Profile.from_columns(SPEC, {"review": pa.array(reviews(2000, 0)),
                                                             "emb": list(rng.standard_normal((2000, 8)))}))
    yield s
    s.close()


def _records(texts: list[str], vectors: np.ndarray, t0: float) -> list[PredictionRecord]:
    return [PredictionRecord(id=f"r{t0}-{i}", service="shop", ts=t0 + 0.5 * i, inputs={"review": t, "emb": v.tolist()})
            for i, (t, v) in enumerate(zip(texts, vectors))]


def test_longer_texts_and_a_moved_embedding_are_found_per_window(store):
    rng = np.random.default_rng(1)
    store.write_predictions("p", _records(reviews(600, 1), rng.standard_normal((600, 8)), T0))  # window 1: as the reference
    doubled = [" ".join([r] * 5) for r in reviews(600, 2)]  # window 2: five times as long, some over max_length
    store.write_predictions("p", _records(doubled, rng.standard_normal((600, 8)) + 0.5, T0 + 600))
    result = findings_for(store, "p", SPEC, T0, T0 + 1200, 600)
    by_window = {w: sorted((f.kind, f.feature, f.severity) for f in result.findings if f.window.start.timestamp() == w)
                 for w in (T0, T0 + 600)}
    assert by_window[T0] == []
    found = by_window[T0 + 600]
    assert ("drift", "review:length", "critical") in found
    assert ("drift", "emb:mean", "critical") in found
    assert ("range", "review:length", "critical") in found
    assert all(f[1].startswith(("review", "emb")) for f in found)
