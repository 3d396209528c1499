"""Telltale's confidence-based performance estimate against NannyML's CBPE, chunk by chunk.

    bench/setup_nannyml.sh                                      # once: NannyML + telltale in bench/.venv-nannyml
    bench/.venv-nannyml/bin/python bench/estimation_vs_nannyml.py

Both tools see the same reference (labelled) and the same analysis rows, cut into the same
chunks (NannyML's ``chunk_size``, 5,000 rows by default), and estimate each chunk's
accuracy and ROC AUC without its labels. The realized value of each chunk is computed with
scikit-learn once the labels are released; the table shows each tool's mean absolute error
against it, the largest error, and the wall time of calibrating plus estimating every chunk.

Scenarios: NannyML's own synthetic car-loan and binary (work from home) datasets, as
``nannyml.load_synthetic_*`` ship them; and two of ours on a real scikit-learn model
(``HistGradientBoostingClassifier``): covariate shift (the inputs drift chunk by chunk, the
concept holds) and concept shift (the inputs hold, the concept changes from the sixth chunk).

Then the labels arrive: telltale's estimate-versus-realized check
(``telltale.performance.estimate.check``, what the monitor runs per window) is asked about
every chunk, and NannyML's CBPE alert column is read. "raised" counts the chunks where
each tool raised something on accuracy or ROC AUC, and they say different things: CBPE
alerts when its estimate leaves the band of the reference's chunks (a performance drop it
believes in), telltale's estimate-versus-realized finding when the estimate and the
realized figure disagree beyond sampling error (the estimate itself is wrong: concept
shift). Under concept shift only the second can fire, as the estimate does not move.

Telltale runs its own code, from arrays: the same calibration (isotonic regression on the
reference's score bins) and the same expected metrics the monitor computes from stored
minute rows; storage is not timed.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

os.environ.setdefault("NML_DISABLE_USAGE_LOGGING", "1")  # no telemetry calls out
warnings.filterwarnings("ignore")

import nannyml as nml  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from telltale.performance.confidence import ConfHist  # noqa: E402
from telltale.performance.estimate import Calibration, check, estimate_window  # noqa: E402
from telltale.performance.estimate_metrics import ScoreCounts  # noqa: E402
from telltale.performance.summary import Pair, Summary  # noqa: E402
from telltale.spec import parse_spec  # noqa: E402
from telltale.types import Window  # noqa: E402

SPEC = parse_spec("service: bench\nowner: bench\ninputs:\n  x: {type: float}\noutput: {type: int, classes: [0, 1]}\n"
                  "performance: {min_labels: 100}\n")
METRICS = ("accuracy", "roc_auc")


@dataclass
class Scenario:
    name: str
    reference: pd.DataFrame  # y_pred_proba, y_pred, y_true
    analysis: pd.DataFrame
    shifted_from: int | None = None  # first chunk of a concept shift, when there is one


def nannyml_scenario(name: str, loader: str, target: str) -> Scenario:
    ref, ana, targets = getattr(nml, loader)()
    ana = ana.merge(targets, on="id")
    cols = ["y_pred_proba", "y_pred", target]
    return Scenario(name, ref[cols].rename(columns={target: "y_true"}), ana[cols].rename(columns={target: "y_true"}))


def own_scenarios(chunk: int, seed: int) -> list[Scenario]:
    rng = np.random.default_rng(seed)

    def concept(x: np.ndarray, flip: bool) -> np.ndarray:
        z = 1.5 * x[:, 0] - (-1.0 if flip else 1.0) * x[:, 1] + 0.8 * x[:, 0] * x[:, 2]
        return (rng.random(len(x)) < 1 / (1 + np.exp(-z))).astype(int)

    def inputs(n: int, shift: float = 0.0) -> np.ndarray:
        return rng.normal([shift, 0.0, 0.0], 1.0, (n, 3))

    train = inputs(20_000)
    model = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(train, concept(train, False))

    def frame(x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
        p = model.predict_proba(x)[:, 1]
        return pd.DataFrame({"y_pred_proba": p, "y_pred": model.predict(x), "y_true": y})

    ref_x = inputs(20_000)
    ref = frame(ref_x, concept(ref_x, False))
    cov = [inputs(chunk, 0.25 * k) for k in range(10)]  # the mix moves towards where the model is surer
    covariate = pd.concat([frame(x, concept(x, False)) for x in cov], ignore_index=True)
    con = [inputs(chunk) for _ in range(10)]
    concept_shift = pd.concat([frame(x, concept(x, k >= 5)) for k, x in enumerate(con)], ignore_index=True)
    return [Scenario("ours: covariate shift", ref, covariate), Scenario("ours: concept shift", ref, concept_shift, 5)]


def chunks(df: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    return [df.iloc[i:i + size] for i in range(0, len(df) - size + 1, size)]  # NannyML drops an incomplete last chunk


def realized(c: pd.DataFrame) -> dict[str, float]:
    return {"accuracy": float((c.y_pred == c.y_true).mean()), "roc_auc": float(roc_auc_score(c.y_true, c.y_pred_proba))}


def run_cbpe(s: Scenario, size: int) -> tuple[list[dict[str, float]], list[bool], float]:
    t = time.perf_counter()
    cbpe = nml.CBPE(y_pred_proba="y_pred_proba", y_pred="y_pred", y_true="y_true", metrics=list(METRICS),
                    chunk_size=size, problem_type="classification_binary")
    cbpe.fit(s.reference)
    res = cbpe.estimate(s.analysis.drop(columns="y_true")).filter(period="analysis").to_df()
    secs = time.perf_counter() - t
    est = [{m: float(res[(m, "value")].iloc[i]) for m in METRICS} for i in range(len(res))]
    alerts = [bool(any(res[(m, "alert")].iloc[i] for m in METRICS)) for i in range(len(res))]
    return est, alerts, secs


def _summary(c: pd.DataFrame) -> Summary:
    """The chunk's joined pairs, as the feedback join folds them."""
    s = Summary()
    for p, yhat, y in zip(c.y_pred_proba.to_numpy(float), c.y_pred.to_numpy(int), c.y_true.to_numpy(int)):
        conf = p if yhat == 1 else 1.0 - p
        s.add_pair(Pair(kind="classification", actual=str(y), predicted=str(yhat), confidence=conf, p_pos=p, y_pos=bool(y == 1)))
    return s


def run_telltale(s: Scenario, size: int) -> tuple[list[dict[str, float]], list[bool], float]:
    t = time.perf_counter()
    cal = Calibration.from_reference(_summary(s.reference))
    window = Window.from_epoch(0.0, 3600.0)
    est = []
    for c in chunks(s.analysis, size):
        served = ScoreCounts.from_scores(c.y_pred_proba.to_numpy(float), c.y_pred.to_numpy() == 1)
        e = estimate_window(cal, ConfHist(), Summary(), window, "1", served)
        est.append({m: e.metrics[m] for m in METRICS})
    secs = time.perf_counter() - t
    flags = []
    for c in chunks(s.analysis, size):  # the labels arrive: what the monitor says per window
        labelled = _summary(c)
        served = ScoreCounts.from_scores(c.y_pred_proba.to_numpy(float), c.y_pred.to_numpy() == 1)
        e = estimate_window(cal, ConfHist(), labelled, window, "1", served)
        flags.append(any(f.feature in ("estimate_gap", "estimate_gap_roc_auc") for f in check(SPEC, e, labelled, cal)))
    return est, flags, secs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chunk-size", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    scenarios = [nannyml_scenario("nannyml car loan", "load_synthetic_car_loan_dataset", "repaid"),
                 nannyml_scenario("nannyml binary (wfh)", "load_synthetic_binary_classification_dataset", "work_home_actual"),
                 *own_scenarios(args.chunk_size, args.seed)]
    print(f"nannyml {nml.__version__}; chunk_size {args.chunk_size}; MAE and max error against the realized value per chunk\n")
    head = f"{'scenario':<22} {'chunks':>6} {'tool':<9} {'acc MAE':>8} {'acc max':>8} {'AUC MAE':>8} {'AUC max':>8} {'time s':>7}  raised on chunks"
    print(head)
    print("-" * len(head))
    for s in scenarios:
        truth = [realized(c) for c in chunks(s.analysis, args.chunk_size)]
        both = {}
        for tool, run in (("CBPE", run_cbpe), ("telltale", run_telltale)):
            est, flags, secs = run(s, args.chunk_size)
            both[tool] = est
            assert len(est) == len(truth), (tool, len(est), len(truth))
            err = {m: np.abs([e[m] - r[m] for e, r in zip(est, truth)]) for m in METRICS}
            if s.shifted_from is None:
                flagged = f"{sum(flags)}/{len(flags)}"
            else:
                k = s.shifted_from
                flagged = f"{sum(flags[k:])}/{len(flags) - k} shifted, {sum(flags[:k])}/{k} before"
            print(f"{s.name:<22} {len(truth):>6} {tool:<9} {err['accuracy'].mean():>8.4f} {err['accuracy'].max():>8.4f} "
                  f"{err['roc_auc'].mean():>8.4f} {err['roc_auc'].max():>8.4f} {secs:>7.2f}  {flagged}")
            if tool == "telltale":
                print(f"{'':<22} telltale estimated accuracy per chunk: {_row(e['accuracy'] for e in est)}")
        print(f"{'':<22} realized accuracy per chunk:           {_row(r['accuracy'] for r in truth)}")
        apart = {m: max(abs(a[m] - b[m]) for a, b in zip(both["CBPE"], both["telltale"])) for m in METRICS}
        print(f"{'':<22} the two estimates differ by at most {apart['accuracy']:.4f} (accuracy), {apart['roc_auc']:.4f} (ROC AUC)")


def _row(values: Iterable[float]) -> str:
    return " ".join(f"{v:.3f}" for v in values)

if __name__ == "__main__":
    main()
