"""Spec keys for what feedback is checked against: ``performance``, ``trust``, ``review``.

``performance.metrics`` names a floor (``min``) for metrics where higher is better
(accuracy, precision, recall, f1, roc_auc) and a ceiling (``max``) for errors (log_loss,
brier, ece, mae, rmse, mape). ``min_labels`` is how many joined labels a window needs
before telltale gives a verdict on it: 100 keeps the half-width of a 95% interval on an
accuracy near 0.8 under 0.08, tight enough to tell a real drop from noise.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The realized metrics telltale computes (telltale.performance.metrics), declared here so
#: that loading a spec needs no NumPy. Higher is better for the first five.
HIGHER_BETTER = frozenset({"accuracy", "precision", "recall", "f1", "roc_auc"})
CLASSIFICATION = ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier", "ece")
REGRESSION = ("mae", "rmse", "mape")
METRICS = CLASSIFICATION + REGRESSION

WEEK_S = 7 * 86400.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricBound(_Strict):
    min: float | None = None
    max: float | None = None


class PerformanceSettings(_Strict):
    """Realized performance: per-metric bounds, the labels a verdict needs, and the reference.

    A window whose metric's 95% interval lies wholly below the reference period's value
    by more than ``reference_drop`` (absolute) is flagged as clearly below the reference.
    """

    metrics: dict[str, MetricBound] = Field(default_factory=dict)
    min_labels: int = Field(default=100, ge=1)
    baseline_s: float = Field(default=WEEK_S, gt=0, description="the reference period: this long before each window")
    reference_drop: float = Field(default=0.05, ge=0)
    estimate_tolerance: float = Field(default=0.0, ge=0, description="extra gap, beyond sampling error, before estimate and realized disagree")
    label_horizon_s: float = Field(default=30 * 86400.0, ge=0, description="labels arriving up to this long after a window's start "
                                   "make the monitor judge the window again; later ones are stored and scored but change no verdict")

    @model_validator(mode="after")
    def _known(self) -> PerformanceSettings:
        for name, bound in self.metrics.items():
            if name not in METRICS:
                raise ValueError(f"metrics.{name}: unknown metric; use one of {', '.join(METRICS)}")
            want = "min" if name in HIGHER_BETTER else "max"
            other = "max" if want == "min" else "min"
            if getattr(bound, want) is None or getattr(bound, other) is not None:
                raise ValueError(f"metrics.{name}: give {want} only ({name} is {'higher' if want == 'min' else 'lower'} is better), e.g. {{{want}: 0.8}}")
        return self

    def check_output(self, is_classifier: bool) -> None:
        """Raise ValueError when a metric does not fit the kind of model the output describes."""
        allowed = CLASSIFICATION if is_classifier else REGRESSION
        for name in self.metrics:
            if name not in allowed:
                what = "a classifier (output.classes or a category/bool/string output)" if is_classifier else "a regressor (a numeric output without classes)"
                raise ValueError(f"performance.metrics.{name}: the output describes {what}; use one of {', '.join(allowed)}")


class TrustSettings(_Strict):
    """Override, ignore and correction rates against the reference period (the week before).

    A rate is flagged when it is at least ``min_change`` above the reference and the
    difference is beyond ``z`` standard errors (a two-proportion test), on at least
    ``min_feedback`` events in the window.
    """

    min_feedback: int = Field(default=30, ge=1)
    baseline_s: float = Field(default=WEEK_S, gt=0)
    min_change: float = Field(default=0.1, ge=0, le=1)
    z: float = Field(default=3.0, gt=0)


class ReviewSettings(_Strict):
    """The human-review queue: decisions routed to ``review``, plus a deterministic
    ``sample`` share of those the model served with confidence below ``low_confidence``.
    A claim lapses after ``claim_s`` (15 minutes: longer than a careful review, short
    enough that an abandoned item does not wait out a shift)."""

    low_confidence: float | None = Field(default=None, gt=0, le=1)
    sample: float = Field(default=1.0, ge=0, le=1)
    claim_s: float = Field(default=900.0, gt=0, description="how long a reviewer's claim holds before the item returns to the queue")
