"""Realized and estimated performance on streams with a known shift.

Concept shift: River's Agrawal generator switches from classification function 0 to 2
(``ConceptDriftStream``); a real scikit-learn tree trained before the switch serves
600 decisions an hour, and each label arrives a fixed two hours late. The monitor ticks
each hour on an injected clock; the accuracy floor must be crossed, as a stored
``performance`` finding, within two windows of the first post-switch labels and never
on a window before the switch; the estimate-versus-realized finding fires too.

Covariate shift: the inputs move, the relation to the label does not; with the labels
withheld, the confidence-based estimate must land within 0.02 of the accuracy realized
once they are released.
"""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from river.datasets import synth
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score
from sklearn.tree import DecisionTreeClassifier

from telltale.clock import ManualClock
from telltale.feedback import FeedbackEvent
from telltale.monitor.tick import CLOSE_DELAY_S, tick_service
from telltale.performance.estimate import estimate, estimate_findings
from telltale.spec import parse_spec
from telltale.store import Store
from telltale.types import PredictionRecord, Window

T0 = 1_767_225_600.0
HOUR = 3600.0
SPEC = parse_spec("service: loans\nowner: me\ninputs:\n  x: {type: float}\noutput: {type: int, classes: [0, 1]}\n"
                  "performance: {metrics: {accuracy: {min: 0.8}}, min_labels: 100}\n")


def _rows(stream, n: int) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for x, y in stream.take(n):
        xs.append([x[k] for k in sorted(x)])
        ys.append(int(y))
    return np.array(xs, float), np.array(ys)


def _records(model, X: np.ndarray, start: float, step: float, prefix: str) -> list[PredictionRecord]:
    proba = model.predict_proba(X)
    return [PredictionRecord(id=f"{prefix}{i}", service="loans", ts=start + i * step, inputs={"x": float(X[i, 0])},
                             output=int(np.argmax(p)), confidence=float(np.max(p))) for i, p in enumerate(proba)]


def _judged(store: Store) -> list[tuple[str, str, str, float, float, list[float]]]:
    """What the monitor stored: (kind, feature, severity, opened, last seen, evidence windows) per finding."""
    return sorted((f.kind, f.feature or "", f.severity, f.opened, f.last_seen,
                   [e.window.start.timestamp() for e in store.finding_evidence("default", f.id)])
                  for f in store.findings("default", "loans", state="all"))


@pytest.mark.slow
def test_concept_switch_is_caught_by_the_monitor_within_two_windows_of_its_first_labels(db_url: str) -> None:
    """Through the monitor's tick on an injected clock: each hour's window closes before any
    of its labels exist (they are two hours late), so only re-judging windows when their
    labels arrive can raise the finding at all."""
    train_X, train_y = _rows(synth.Agrawal(classification_function=0, seed=11, perturbation=0.05), 3000)
    model = DecisionTreeClassifier(max_depth=6, min_samples_leaf=20, random_state=0).fit(train_X, train_y)
    hours, per_hour, switch_h, lag = 10, 600, 5, 2 * HOUR
    stream = synth.ConceptDriftStream(stream=synth.Agrawal(classification_function=0, seed=12, perturbation=0.05),
                                      drift_stream=synth.Agrawal(classification_function=2, seed=13, perturbation=0.05),
                                      position=switch_h * per_hour, width=50, seed=14)
    X, y = _rows(stream, hours * per_hour)
    recs = _records(model, X, T0, HOUR / per_hour, "a")
    clock = ManualClock(T0)
    store = Store.open(db_url, clock=clock)
    store.put_service("default", SPEC)
    first_finding_at = first_gap_at = None
    for h in range(1, hours + 1):  # at the end of hour h: that hour's decisions, and the labels due by then
        clock.set(T0 + h * HOUR)
        store.write_predictions("default", recs[(h - 1) * per_hour:h * per_hour])
        store.write_feedback("default", [FeedbackEvent(r.id, "loans", r.ts + lag, label=int(y[i]))
                                         for i, r in enumerate(recs) if clock.now() - HOUR < r.ts + lag <= clock.now()])
        clock.advance(CLOSE_DELAY_S)
        tick_service(store, "default", SPEC, clock.now(), window_s=HOUR)
        found = store.findings("default", "loans", state="all")
        critical = [f for f in found if f.kind == "performance" and f.severity == "critical"]
        if critical and first_finding_at is None:
            first_finding_at, opened = h, min(f.opened for f in critical)
        if any(f.kind == "estimated_performance" and f.feature == "estimate_gap" for f in found) and first_gap_at is None:
            first_gap_at = h
    first_labels_h = switch_h + 2  # post-switch decisions (hour 5 on) get labels from hour 7
    assert first_finding_at is not None and first_labels_h <= first_finding_at <= first_labels_h + 2
    assert opened >= T0 + switch_h * HOUR  # never a window from before the switch
    assert first_gap_at is not None and first_labels_h <= first_gap_at <= first_labels_h + 2
    assert store.label_marks("default", "loans", T0 + hours * HOUR) == []  # every labelled window judged again

    # same stored data, same verdict: a monitor starting afresh on the final data stores the same findings
    judged = _judged(store)
    assert judged and {k for k, *_ in judged} >= {"performance", "estimated_performance"}
    with store._engine.begin() as conn:
        for table in ("tt_finding_windows", "tt_findings", "tt_monitor_state"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
    tick_service(store, "default", SPEC, clock.now(), window_s=HOUR)
    assert _judged(store) == judged
    store.close()


def test_covariate_shift_estimate_within_two_points_of_realized(sqlite_url: str) -> None:
    rng = np.random.default_rng(3)

    def draw(n: int, mean: float) -> tuple[np.ndarray, np.ndarray]:
        x = rng.normal(mean, 1.0, (n, 1))
        y = (rng.random(n) < 1 / (1 + np.exp(-2.0 * x[:, 0]))).astype(int)  # the same concept throughout
        return x, y

    model = LogisticRegression().fit(*draw(4000, 0.0))
    ref_X, ref_y = draw(5000, 0.0)
    cur_X, cur_y = draw(5000, 0.9)  # inputs move towards where the model is surer
    store = Store.open(sqlite_url)
    store.put_service("default", SPEC)
    ref = _records(model, ref_X, T0, 0.5, "r")
    cur = _records(model, cur_X, T0 + 86400, 0.5, "c")
    store.write_predictions("default", ref + cur)
    store.write_feedback("default", [FeedbackEvent(r.id, "loans", r.ts + 60, label=int(ref_y[i])) for i, r in enumerate(ref)])
    win = Window.from_epoch(T0 + 86400, T0 + 86400 + 2500)
    before, _, _ = estimate(store, "default", SPEC, win)
    assert before.labels == 0 and before.predictions == 5000
    store.write_feedback("default", [FeedbackEvent(r.id, "loans", r.ts + 60, label=int(cur_y[i])) for i, r in enumerate(cur)])
    after, _, _ = estimate(store, "default", SPEC, win)
    pred = model.predict(cur_X)
    realized = float((pred == cur_y).mean())
    reference = float((model.predict(ref_X) == ref_y).mean())
    realized_auc = roc_auc_score(cur_y, model.predict_proba(cur_X)[:, 1])
    store.close()
    assert after.realized == pytest.approx(realized, abs=1e-12)
    assert after.realized_roc_auc == pytest.approx(realized_auc, abs=0.001)  # the summaries' binned AUC
    assert realized - reference > 0.03  # the shift did change accuracy
    assert abs(before.accuracy - realized) < 0.02
    assert abs(before.metrics["roc_auc"] - realized_auc) < 0.02
    assert abs(before.metrics["precision"] - precision_score(cur_y, pred)) < 0.02
    assert abs(before.metrics["recall"] - recall_score(cur_y, pred)) < 0.02
    assert abs(before.metrics["f1"] - f1_score(cur_y, pred)) < 0.02
    assert before.metrics == after.metrics  # labels arriving do not move the estimate over all served predictions
    assert [f.feature for f in estimate_findings(Store.open(sqlite_url), "default", SPEC, win)] == []  # no concept shift to flag


def test_the_stored_estimate_is_the_estimate_from_arrays(sqlite_url: str) -> None:
    """What the monitor reads from minute rows is what bench/estimation_vs_nannyml.py computes from arrays."""
    from telltale.performance.confidence import ConfHist
    from telltale.performance.estimate import Calibration, estimate_window
    from telltale.performance.estimate_metrics import ScoreCounts
    from telltale.performance.summary import Pair, Summary

    rng = np.random.default_rng(9)
    x = rng.normal(0, 1, (3000, 1))
    y = (rng.random(3000) < 1 / (1 + np.exp(-1.5 * x[:, 0]))).astype(int)
    model = LogisticRegression().fit(x, y)
    ref, cur = _records(model, x[:2000], T0, 1.0, "r"), _records(model, x[2000:], T0 + 86400, 1.0, "c")
    store = Store.open(sqlite_url)
    store.put_service("default", SPEC)
    store.write_predictions("default", ref + cur)
    store.write_feedback("default", [FeedbackEvent(r.id, "loans", r.ts + 60, label=int(y[i])) for i, r in enumerate(ref)])
    stored, _, _ = estimate(store, "default", SPEC, Window.from_epoch(T0 + 86400, T0 + 86400 + 1000))
    store.close()
    p = model.predict_proba(x)[:, 1]
    s = Summary()
    for pi, yi in zip(p[:2000], y[:2000]):
        s.add_pair(Pair(kind="classification", actual=str(yi), predicted=str(int(pi >= 0.5)), confidence=max(pi, 1 - pi), p_pos=pi, y_pos=bool(yi)))
    arrays = estimate_window(Calibration.from_reference(s), ConfHist(), Summary(), stored.window, "1",
                             ScoreCounts.from_scores(p[2000:], p[2000:] >= 0.5))
    assert stored.predictions == arrays.predictions == 1000
    assert stored.metrics.keys() == arrays.metrics.keys() == {"accuracy", "precision", "recall", "f1", "roc_auc"}
    for name, value in arrays.metrics.items():
        assert stored.metrics[name] == pytest.approx(value, abs=1e-3), name  # 1 - c may fall a bin apart from p
