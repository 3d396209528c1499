"""The domain classifier's fit, standalone: NumPy, scikit-learn and scipy.special only.

:func:`telltale.drift.multivariate.multivariate_drift` calls :func:`fit_and_explain` in
process. ``telltale report`` also runs this file as a helper process (``serve()``, fed a
pickle on stdin): started before the data is read, it imports scikit-learn (about a
second) and trains the classifier on the second core while the report process profiles
the data. It imports nothing from telltale, so the helper pays for no package import,
and its result is the same numbers as the in-process call (same code, same seeds).
"""

from __future__ import annotations

import pickle
import sys
from typing import Any

import numpy as np


def fit_and_explain(x: np.ndarray, y: np.ndarray, categorical: np.ndarray, *, folds: int, seed: int,
                    warning: float, alpha: float) -> dict[str, Any]:
    """Cross-validated ROC AUC of a gradient-boosted classifier telling ``y == 1`` rows
    from ``y == 0`` ones, its one-sided p-value against 0.5 (Mann-Whitney standard
    error), and, when the AUC is significant and at least ``warning``, permutation
    importances (AUC lost per shuffled column) on a held-out 30%."""
    from scipy.special import ndtr
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
    from threadpoolctl import threadpool_limits

    def model() -> Any:
        return HistGradientBoostingClassifier(max_iter=40, learning_rate=0.15, max_leaf_nodes=15, early_stopping=False,
                                              categorical_features=categorical, random_state=seed)

    size_cur = int(np.count_nonzero(y))
    size_ref = int(y.size - size_cur)
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    with threadpool_limits(limits=1):  # OpenMP on a small, shared machine is 5x slower, not faster
        proba = cross_val_predict(model(), x, y, cv=cv, method="predict_proba")[:, 1]
        auc = float(roc_auc_score(y, proba))
        se = float(np.sqrt((size_ref + size_cur + 1) / (12.0 * size_ref * size_cur)))
        p = float(ndtr(-(auc - 0.5) / se))  # scipy.stats.norm.sf, without importing scipy.stats
        importances: list[float] | None = None
        if p < alpha and auc >= warning:
            xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.3, stratify=y, random_state=seed)
            fitted = model().fit(xtr, ytr)
            imp = permutation_importance(fitted, xte, yte, scoring="roc_auc", n_repeats=2, random_state=seed)
            importances = [float(v) for v in imp.importances_mean]
    return {"auc": auc, "p": p, "importances": importances}


def warm_up() -> None:
    """Import what :func:`fit_and_explain` needs (most of the helper's start-up cost)."""
    import scipy.special  # noqa: F401
    import sklearn.ensemble  # noqa: F401
    import sklearn.inspection  # noqa: F401
    import sklearn.metrics  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import threadpoolctl  # noqa: F401


def serve() -> None:
    """The helper process: warm up, then read one pickled job from stdin and write the
    pickled result (or the error's text) to stdout."""
    warm_up()
    try:
        job = pickle.load(sys.stdin.buffer)
    except EOFError:  # the report closed the pipe: it no longer needs a fit
        return
    try:
        out: dict[str, Any] = {"ok": fit_and_explain(**job)}
    except Exception as e:  # reported to the parent, which falls back to fitting in process
        out = {"error": f"{type(e).__name__}: {e}"}
    pickle.dump(out, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    serve()
