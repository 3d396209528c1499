"""Text drift: hashed character n-grams and a real scikit-learn classifier, on generated reviews."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from sklearn.feature_extraction.text import HashingVectorizer

from telltale.drift.text import NGRAMS, text_drift
from tests.drift._reviews import reviews


def _share(texts: list[str], gram: str) -> float:
    """Share of ``texts`` whose char_wb n-grams include ``gram``, computed independently of telltale."""
    analyze = HashingVectorizer(analyzer="char_wb", ngram_range=NGRAMS, lowercase=False).build_analyzer()
    return float(np.mean([gram in set(analyze(t)) for t in texts]))


def test_a_vocabulary_shift_is_critical_and_names_the_ngrams_that_moved():
    ref, cur = reviews(1500, 1), reviews(1500, 2, shifted=0.6)  # 60% of reviews now about delivery and refunds
    d = text_drift("review", ref, cur)
    assert d.classifier.severity == "critical" and d.classifier.value > 0.75
    assert d.classifier.feature == "review" and d.classifier.statistic == "domain_classifier_auc"
    grams = [m.ngram for m in d.moved]
    assert len(grams) == 8
    # every named n-gram is real: its shares, recomputed from the texts, are the ones reported
    for m in d.moved:
        assert (_share(ref, m.ngram), _share(cur, m.ngram)) == pytest.approx((m.reference_share, m.current_share), abs=1e-9)
    # and most of them come from the new vocabulary: absent from every reference text
    assert sum(m.reference_share == 0 and m.current_share > 0.1 for m in d.moved) >= 5
    assert f"{d.moved[0].ngram!r} 0.0% -> {d.moved[0].current_share:.1%}" in d.classifier.message
    assert "more in current:" in d.classifier.message


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_two_samples_of_the_same_reviews_raise_nothing(seed):
    d = text_drift("review", reviews(1000, seed), reviews(1000, seed + 50))
    assert d.classifier.severity is None and abs(d.classifier.value - 0.5) < 0.05
    assert [r.feature for r in d.statistics if r.severity] == []
    assert d.moved == []


def test_longer_texts_drift_on_length_not_vocabulary():
    ref = reviews(1000, 6)
    cur = [r + " " + r for r in reviews(1000, 7)]  # the same words, twice as long
    d = text_drift("review", pa.array(ref), pa.chunked_array([pa.array(cur)]))
    length = next(r for r in d.statistics if r.feature == "review:length")
    assert length.severity == "critical"
    assert np.median([len(t) for t in cur]) == pytest.approx(2 * np.median([len(t) for t in ref]) + 1, rel=0.1)
    assert d.classifier.severity is None  # the same n-grams in the same shares


def test_nulls_and_too_few_texts_are_said_so():
    d = text_drift("review", ["a b", None, "c d"], ["e f", "g h", None])
    assert d.classifier.severity is None and d.classifier.value != d.classifier.value
    assert d.classifier.message == "review: too few texts (2 reference, 2 current) for the n-gram classifier"
