"""Drift of a ``text`` field between reference and current texts, with no model download.

Two parts. Language-agnostic statistics (length in characters, shares of letters,
digits, whitespace, punctuation and non-ASCII characters; :mod:`telltale.profile.text`)
are numbers, tested like any numeric field: these are what the monitor tests per window,
from profiles. And a domain classifier over hashed character n-grams: scikit-learn's
``HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4))`` (2**18 buckets, no
vocabulary to fit or store, any script) feeding a logistic regression that tries to tell
current texts from reference ones. Its cross-validated ROC AUC is the drift statistic,
gated by the same Mann-Whitney significance and thresholds as the multivariate check
(:mod:`telltale.drift.multivariate`): 0.5 is indistinguishable.

When it fires, the n-grams that moved are named: the hashed features the classifier
weighs most, mapped back to the n-grams of the sampled texts that hash to them, each
with the share of reference and current texts containing it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from telltale.drift.distribution import NumericDist
from telltale.drift.feature import DriftResult, compare
from telltale.drift.methods import ALPHA, severity
from telltale.drift.multivariate import AUC_CRITICAL, AUC_WARNING
from telltale.profile.text import TEXT_STATS, text_stats

#: Texts sampled a side for the classifier: the AUC's standard error under "no drift" is
#: then 0.0065, a tenth of the warning margin (as the multivariate check).
MAX_TEXTS = 4000
#: Hash buckets of the n-gram vectorizer.
N_FEATURES = 2**18
#: N-gram lengths, in characters, inside word boundaries (``char_wb``).
NGRAMS = (2, 4)
#: At most about this many texts (those holding a named feature) are split into n-grams to name them.
NAMING_TEXTS = 1000
#: The moved n-grams a finding names.
TOP_NGRAMS = 8


@dataclass(frozen=True, slots=True)
class MovedNgram:
    """One hashed feature the classifier leans on: its n-gram(s), the share of texts
    holding it on each side, and its weight (positive: a sign of current text)."""

    ngram: str
    reference_share: float
    current_share: float
    weight: float

    def describe(self) -> str:
        return f"{self.ngram!r} {self.reference_share:.1%} -> {self.current_share:.1%}"


@dataclass(frozen=True, slots=True)
class TextDrift:
    """A text field's drift: the classifier's verdict, the statistics' verdicts, and
    the n-grams that moved (empty unless the classifier fired)."""

    classifier: DriftResult
    statistics: list[DriftResult]
    moved: list[MovedNgram] = field(default_factory=list)

    @property
    def results(self) -> list[DriftResult]:
        return [self.classifier, *self.statistics]


def text_drift(name: str, reference: Any, current: Any, *, threshold: float | None = None, max_texts: int = MAX_TEXTS,
               folds: int = 3, seed: int = 0, alpha: float = ALPHA) -> TextDrift:
    """Drift of text field ``name`` from ``reference`` to ``current`` (lists, NumPy or
    pyarrow arrays of strings; nulls and non-strings are left out). ``threshold`` is the
    critical AUC (the spec's ``drift.threshold``); the statistics are tested at ``alpha``."""
    ref_stats, cur_stats = text_stats(reference), text_stats(current)
    stats = [compare(f"{name}:{s}", NumericDist.from_array(ref_stats[s]), NumericDist.from_array(cur_stats[s]), alpha=alpha)
             for s in TEXT_STATS]
    ref, cur = _sample(reference, max_texts, seed), _sample(current, max_texts, seed + 1)
    clf, moved = _classifier(name, ref, cur, threshold=threshold, folds=folds, seed=seed)
    return TextDrift(clf, stats, moved)


def _sample(values: Any, k: int, seed: int) -> list[str]:
    """A seeded uniform sample of at most ``k`` of the strings in ``values``, in order."""
    from telltale.profile.text import _strings

    a = _strings(values)
    if len(a) > k:
        import pyarrow as pa

        idx = np.sort(np.random.default_rng(seed).choice(len(a), size=k, replace=False))
        a = a.take(pa.array(idx))
    return [str(s) for s in a.to_pylist()]


def _classifier(name: str, ref: list[str], cur: list[str], *, threshold: float | None, folds: int,
                seed: int) -> tuple[DriftResult, list[MovedNgram]]:
    crit = threshold if threshold is not None else AUC_CRITICAL
    warn = min(AUC_WARNING, crit)
    base: dict[str, Any] = dict(feature=name, kind="drift", method="domain_classifier", statistic="domain_classifier_auc", warning=warn,
                threshold=crit, missing_reference=0.0, missing_current=0.0, n_reference=len(ref), n_current=len(cur))
    if min(len(ref), len(cur)) < 2 * folds:
        return DriftResult(value=float("nan"), p_value=None, severity=None,
                           message=f"{name}: too few texts ({len(ref)} reference, {len(cur)} current) for the n-gram classifier",
                           **base), []
    from scipy.special import ndtr
    from sklearn.feature_extraction.text import HashingVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    vec = HashingVectorizer(analyzer="char_wb", ngram_range=NGRAMS, n_features=N_FEATURES, alternate_sign=False,
                            lowercase=False, dtype=np.float32)
    hashed = vec.transform(ref + cur)
    used = np.unique(hashed.indices)  # buckets some text fills: liblinear's cost follows the column count
    x = hashed[:, used]
    y = np.concatenate([np.zeros(len(ref)), np.ones(len(cur))])
    model = LogisticRegression(C=1.0, solver="liblinear", max_iter=200)
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    proba = cross_val_predict(model, x, y, cv=cv, method="predict_proba")[:, 1]
    auc = float(roc_auc_score(y, proba))
    se = float(np.sqrt((len(ref) + len(cur) + 1) / (12.0 * len(ref) * len(cur))))
    p = float(ndtr(-(auc - 0.5) / se))
    sev = severity(auc, warn, crit) if p < ALPHA else None
    head = (f"{name}: a classifier on character n-grams tells current texts from reference ones with cross-validated "
            f"ROC AUC {auc:.3f}, p={p:.2g} (0.5 = indistinguishable; warning at {warn:g}, critical at {crit:g})")
    if sev is None:
        return DriftResult(value=auc, p_value=p, severity=None, message=head, **base), []
    moved = _moved(vec, np.asarray(model.fit(x, y).coef_).ravel(), used, x, ref, cur)
    more = [m.describe() for m in moved if m.current_share > m.reference_share][:5]
    less = [m.describe() for m in moved if m.current_share < m.reference_share][:5]
    parts = ([f"more in current: {', '.join(more)}"] if more else []) + ([f"less in current: {', '.join(less)}"] if less else [])
    msg = (f"{head}; n-grams that moved (share of texts containing them, reference -> current): {'; '.join(parts)}; "
           f"check what changed upstream (a new source, language or template), and refresh the reference only if intended")
    return DriftResult(value=auc, p_value=p, severity=sev, message=msg, **base), moved


def _moved(vec: Any, coef: np.ndarray, used: np.ndarray, x: Any, ref: list[str], cur: list[str],
           top: int = TOP_NGRAMS) -> list[MovedNgram]:
    """The ``top`` hashed features that weigh most in telling the sides apart, named by
    the sampled n-grams that hash to them (the most frequent first; two when two collide).

    A feature's weight is the classifier's coefficient times the change in the share of
    texts holding it, in units of that share's spread (so an n-gram going from none to 5%
    of texts outranks one going from 40% to 45%): a large coefficient on an n-gram every
    text has moved nothing. Of
    features with identical shares on both sides (``d.`` and ``d. `` always together),
    the first is kept."""
    from sklearn.feature_extraction import FeatureHasher

    n_ref = len(ref)
    xb = (x > 0).astype(np.float64)
    ref_all = np.asarray(xb[:n_ref].mean(axis=0)).ravel()
    cur_all = np.asarray(xb[n_ref:].mean(axis=0)).ravel()
    pooled = (ref_all * n_ref + cur_all * len(cur)) / (n_ref + len(cur))
    score = coef * (cur_all - ref_all) / np.sqrt(np.maximum(pooled * (1 - pooled), 1e-12))
    order: list[int] = []
    seen: set[tuple[float, float]] = set()
    for k in np.argsort(-score, kind="stable").tolist():
        if score[k] <= 0 or len(order) == top:
            break
        key = (round(float(ref_all[k]), 6), round(float(cur_all[k]), 6))
        if key not in seen:
            seen.add(key)
            order.append(int(k))
    if not order:
        return []
    analyzer = vec.build_analyzer()
    counts: Counter[str] = Counter()
    texts = ref + cur
    holding = np.flatnonzero(np.asarray((x[:, order] > 0).sum(axis=1)).ravel())  # texts holding a named feature
    for i in holding[:: max(1, holding.size // NAMING_TEXTS)].tolist():
        counts.update(set(analyzer(texts[i])))
    grams = list(counts)
    hasher = FeatureHasher(n_features=N_FEATURES, input_type="string", alternate_sign=False)
    index = hasher.transform([[g] for g in grams]).indices  # one bucket per n-gram: sklearn's own hashing
    wanted = {int(used[k]): k for k in order}
    names: dict[int, list[str]] = {}
    for g, j in zip(grams, index.tolist()):
        if j in wanted:
            names.setdefault(wanted[j], []).append(g)
    out = []
    for k in order:
        label = " | ".join(sorted(names.get(k, ["?"]), key=lambda g: (-counts[g], g))[:2])
        out.append(MovedNgram(label, float(ref_all[k]), float(cur_all[k]), float(coef[k])))
    return out
