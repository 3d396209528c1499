"""Profiles of text and vector fields: hand-counted statistics, both build paths alike, exact merges, bytes round trip."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from telltale.profile import Profile
from telltale.profile.text import text_column, text_stats
from telltale.profile.vectors import norm_column
from telltale.spec import parse_spec
from telltale.types import PredictionRecord

SPEC = parse_spec("service: s\nowner: me\ninputs:\n  review: {type: text, max_length: 12}\n  emb: {type: vector, dim: 2}\n")


def test_character_classes_are_counted_by_unicode_class():
    s = text_stats(["Ça va? 12 €", "", None, 7, "日本 語"])
    # "Ça va? 12 €": 11 characters: letters Ç a v a, digits 1 2, 3 spaces, ? and € as punctuation/symbols, Ç and € non-ASCII
    assert s["length"].tolist() == [11.0, 0.0, 4.0]
    assert s["letters"].tolist() == pytest.approx([4 / 11, 0.0, 3 / 4])
    assert s["digits"].tolist() == pytest.approx([2 / 11, 0.0, 0.0])
    assert s["whitespace"].tolist() == pytest.approx([3 / 11, 0.0, 1 / 4])
    assert s["punctuation"].tolist() == pytest.approx([2 / 11, 0.0, 0.0])
    assert s["non_ascii"].tolist() == pytest.approx([2 / 11, 0.0, 3 / 4])


def _records(texts: list[object], vectors: list[object]) -> list[PredictionRecord]:
    return [PredictionRecord(id=str(i), service="s", ts=float(i), inputs={"review": t, "emb": v}) for i, (t, v) in enumerate(zip(texts, vectors))]


def test_records_and_columns_profile_alike_and_merge_exactly():
    texts = ["short", "a much longer text", None, "mid text"]
    vectors = [[3.0, 4.0], [0.0, 1.0], [1.0, 1.0], "oops"]
    by_rec = Profile.from_records(SPEC, _records(texts, vectors))
    by_col = Profile.from_columns(SPEC, {"review": pa.array(texts), "emb": np.array(vectors[:3] + [[np.nan, 1.0]])})
    for p in (by_rec, by_col):
        length = p.fields[text_column("review", "length")]
        assert (length.numeric.count, length.missing, length.above) == (3, 1, 1)  # "a much longer text" is over max_length 12
        emb = p.fields["emb"]
        assert (emb.mismatches, emb.vector.count) == (1, 3)  # "oops" / a NaN element is no vector
        assert emb.vector.mean.tolist() == pytest.approx([4 / 3, 2.0])
        assert p.fields[norm_column("emb")].numeric.mean == pytest.approx((5 + 1 + 2 ** 0.5) / 3)
        assert set(p.inputs) == {"review", "emb"}  # the derived columns are not inputs
    both = Profile.merge_all([by_rec, Profile.from_bytes(by_col.to_bytes())])
    assert both.fields["emb"].vector.count == 6 and both.fields["emb"].vector.total.tolist() == pytest.approx([8.0, 12.0])
    assert both.fields[text_column("review", "length")].numeric.count == 6


def test_a_text_columns_frequent_values_keep_prefixes_only():
    long = "x" * 5000
    p = Profile.from_records(SPEC, _records([long, long + "y"], [[0.0, 0.0]] * 2))
    assert p.fields["review"].categorical.items() == {"x" * 64: 2}
