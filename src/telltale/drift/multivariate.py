"""Multivariate drift from a domain classifier: can a model tell current rows from reference?

Per-feature tests miss changes in how features move together (a correlation that flips
leaves every marginal unchanged). A gradient-boosted classifier is trained to separate a
bounded sample of reference rows from current ones; its cross-validated ROC AUC is the
statistic. 0.5 means the two sets are indistinguishable. Permutation importance on a
held-out part names the features that let it tell them apart.

Thresholds: AUC 0.55 is a warning and 0.65 critical, and only when the AUC is also
significantly above 0.5 (its standard error under "no drift" is the Mann-Whitney one,
sqrt((n1 + n2 + 1) / (12 n1 n2))). With the default 4,000 rows a side that error is
0.0065, so noise never reaches 0.55.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from telltale.drift.methods import ALPHA, severity
from telltale.types import Finding, Severity, Window

AUC_WARNING = 0.55
AUC_CRITICAL = 0.65
#: High-cardinality categoricals keep their most frequent values; the rest share one code.
_MAX_CATEGORIES = 250


@dataclass(frozen=True, slots=True)
class MultivariateResult:
    auc: float
    p_value: float
    n_reference: int
    n_current: int
    importances: dict[str, float] = field(default_factory=dict)
    severity: Severity | None = None
    message: str = ""

    @property
    def drivers(self) -> list[str]:
        """Features whose shuffling costs the classifier AUC, largest first."""
        return [k for k, v in sorted(self.importances.items(), key=lambda kv: -kv[1]) if v > 0.01]

    def to_finding(self, window: Window | None = None) -> Finding | None:
        if self.severity is None:
            return None
        return Finding("multivariate_drift", None, self.severity, "domain_classifier_auc", self.auc, AUC_CRITICAL, window, self.message)


@dataclass(frozen=True)
class Design:
    """The domain classifier's input: sampled rows of both sides as one matrix."""

    x: np.ndarray
    y: np.ndarray
    categorical: np.ndarray
    names: list[str]
    n_reference: int
    n_current: int
    folds: int
    seed: int

    def job(self) -> dict[str, Any]:
        """Keyword arguments of :func:`telltale.drift._classifier.fit_and_explain`."""
        return {"x": self.x, "y": self.y, "categorical": self.categorical, "folds": self.folds, "seed": self.seed,
                "warning": AUC_WARNING, "alpha": ALPHA}

    def result(self, fitted: Mapping[str, Any]) -> MultivariateResult:
        """The verdict from :func:`~telltale.drift._classifier.fit_and_explain`'s output."""
        auc, p = float(fitted["auc"]), float(fitted["p"])
        sev = severity(auc, AUC_WARNING, AUC_CRITICAL) if p < ALPHA else None
        imp = fitted.get("importances")
        importances = {n: float(v) for n, v in zip(self.names, imp)} if sev is not None and imp is not None else {}
        result = MultivariateResult(auc, p, self.n_reference, self.n_current, importances, sev)
        return replace(result, message=_message(result))


def multivariate_drift(
    reference: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    features: Sequence[str] | None = None,
    max_rows: int = 4000,
    folds: int = 3,
    seed: int = 0,
) -> MultivariateResult:
    """Domain-classifier drift over the columns both sides share (or ``features``).

    Columns are numpy or pyarrow arrays; numeric ones stay numeric (NaN for null), the rest
    are encoded as categories. At most ``max_rows`` rows a side are sampled, so the cost is
    bounded whatever the data size.
    """
    from telltale.drift._classifier import fit_and_explain

    design = design_matrix(reference, current, features=features, max_rows=max_rows, folds=folds, seed=seed)
    if isinstance(design, MultivariateResult):
        return design
    return design.result(fit_and_explain(**design.job()))


def design_matrix(
    reference: Mapping[str, Any],
    current: Mapping[str, Any],
    *,
    features: Sequence[str] | None = None,
    max_rows: int = 4000,
    folds: int = 3,
    seed: int = 0,
) -> Design | MultivariateResult:
    """The sampled rows :func:`multivariate_drift` trains on, or its verdict already when
    there is nothing to train on (too few rows, no informative column)."""
    names = list(features) if features is not None else [c for c in reference if c in current]
    if not names:
        raise ValueError("multivariate drift needs at least one column present in both reference and current")
    rng = np.random.default_rng(seed)
    n_ref, n_cur = _length(reference[names[0]]), _length(current[names[0]])
    if min(n_ref, n_cur) < 2 * folds:
        return MultivariateResult(float("nan"), 1.0, n_ref, n_cur, message=f"too few rows ({n_ref} reference, {n_cur} current) for a domain classifier")
    ir = np.sort(rng.choice(n_ref, size=min(n_ref, max_rows), replace=False))
    ic = np.sort(rng.choice(n_cur, size=min(n_cur, max_rows), replace=False))
    x, categorical, names = _design(names, reference, current, ir, ic)
    if not names:
        return MultivariateResult(float("nan"), 1.0, n_ref, n_cur, message="no column carries information (all empty or constant)")
    y = np.concatenate([np.zeros(ir.size), np.ones(ic.size)])
    return Design(x, y, categorical, names, n_ref, n_cur, folds, seed)


def _message(r: MultivariateResult) -> str:
    head = f"a classifier tells current rows from reference ones with cross-validated ROC AUC {r.auc:.3f} (0.5 = indistinguishable; warning at {AUC_WARNING}, critical at {AUC_CRITICAL})"
    if r.severity is None:
        return head
    drivers = r.drivers[:5]
    named = ", ".join(f"{d} ({r.importances[d]:.2f})" for d in drivers) if drivers else "no single feature (a joint change)"
    return f"{head}; driven by {named}: inspect these features together, their relationship changed"


def _length(col: Any) -> int:
    return len(col)


def _design(names: list[str], reference: Mapping[str, Any], current: Mapping[str, Any], ir: np.ndarray,
            ic: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The classifier's matrix, which columns are categorical, and the columns kept
    (a column empty or constant on both sides together tells the classifier nothing)."""
    cols, categorical, kept = [], [], []
    for n in names:
        a, b = _take(reference[n], ir), _take(current[n], ic)
        num_a, num_b = _as_numeric(a), _as_numeric(b)
        if num_a is not None and num_b is not None:
            col, is_cat = np.concatenate([num_a, num_b]), False
        else:
            col, is_cat = _codes(np.concatenate([_as_text(a), _as_text(b)])), True
        present = col[~np.isnan(col)]
        if present.size == 0 or (present.min() == present.max() and present.size == col.size):
            continue
        cols.append(col)
        categorical.append(is_cat)
        kept.append(n)
    if not cols:
        return np.empty((ir.size + ic.size, 0)), np.empty(0, dtype=bool), []
    return np.column_stack(cols), np.asarray(categorical), kept


def _take(col: Any, idx: np.ndarray) -> Any:
    import pyarrow as pa

    if isinstance(col, (pa.Array, pa.ChunkedArray)):
        from telltale.profile.arrow import from_numpy

        return col.take(from_numpy(idx.astype(np.int64)))
    return np.asarray(col)[idx]


def _as_numeric(col: Any) -> np.ndarray | None:
    import pyarrow as pa

    if isinstance(col, (pa.Array, pa.ChunkedArray)):
        t = col.type
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
            from telltale.profile.arrow import float64

            return np.array(float64(col), dtype=np.float64)
        return None
    arr = np.asarray(col)
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64)
    return None


def _as_text(col: Any) -> np.ndarray:
    import pyarrow as pa

    values = col.to_pylist() if isinstance(col, (pa.Array, pa.ChunkedArray)) else list(np.asarray(col, dtype=object))
    return np.asarray([None if v is None or (isinstance(v, float) and v != v) else str(v) for v in values], dtype=object)


def _codes(values: np.ndarray) -> np.ndarray:
    present = values != None  # noqa: E711 (elementwise on an object array)
    uniq, inverse, counts = np.unique(values[present].astype(str), return_inverse=True, return_counts=True)
    rank = np.empty(uniq.size, dtype=np.int64)
    rank[np.argsort(-counts, kind="stable")] = np.arange(uniq.size)
    codes = np.full(values.size, np.nan)
    codes[present] = np.minimum(rank[inverse], _MAX_CATEGORIES).astype(np.float64)
    return codes
