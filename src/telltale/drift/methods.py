"""Drift methods, their thresholds, and how the default is chosen.

A finding is **critical** only when the change is both statistically significant (a
p-value below ``ALPHA``, split across the fields tested together, where a test applies:
it will not fire on noise in small windows)
and practically significant (an effect size at or above the method's critical
threshold). At 500,000 rows every p-value is tiny, so the effect size is what decides:
a 1% move in a mean is a few hundredths of an sd and is at most a warning.

Why these numbers:

- ``wasserstein`` (normalised by the reference sd): warning at 0.05 sd (a move that is
  surely real at production volumes and worth a look), critical at 0.2 sd, Cohen's
  "small effect" for a mean difference: below it a model trained on the reference
  rarely behaves differently.
- ``ks``: D is the largest share of the data on the other side of some value; 0.1
  (critical) is what a 0.25 sd shift of a normal gives, 0.05 the warning.
- ``psi``: the credit-risk rule of thumb, 0.1 moderate (warning), 0.2 significant.
- ``js`` (distance, base 2): 0.1 critical as in common practice, 0.05 warning.
- ``chi2``: Cramer's V, Cohen's 0.1 "small" effect is critical, 0.05 warning.
- null share: 2 percentage points warning, 10 critical, gated by a two-proportion test.

Defaults by type and size: numeric fields use ``ks`` when either side has fewer than
``SMALL_SAMPLE`` values (its distribution-free p-value is the most trustworthy gate on
little data) and normalised ``wasserstein`` otherwise (it measures how far the mass
moved, in units a person can read). Categorical fields use ``chi2`` on small samples and
``js`` on large ones: PSI under-reads a large category losing share (40% -> 28%, with
the mass spread over three smaller ones, is PSI 0.0995, below even a warning), while the
JS distance (0.11) reads it as the real change it is; PSI stays available per field. A spec's ``drift: {method, threshold}`` overrides both; a custom
threshold is the critical one and the warning is half of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MethodName = Literal["psi", "js", "wasserstein", "ks", "chi2"]

#: Significance level for the statistical half of the gate.
ALPHA = 0.01
def family_alpha(k: int) -> float:
    """Bonferroni: the level for each of ``k`` tests so that all ``k`` together err at
    most ``ALPHA``. A 5-minute window of 30 rows and 11 fields tested at 1% each would
    otherwise raise a false drift alarm about once an hour."""
    return ALPHA / max(k, 1)


#: Below this many values on either side a numeric field uses KS, a categorical chi2.
SMALL_SAMPLE = 1000
#: Null-share change (absolute) for a warning and for a critical finding.
NULL_SHARE_WARNING = 0.02
NULL_SHARE_CRITICAL = 0.10


@dataclass(frozen=True, slots=True)
class Method:
    name: MethodName
    statistic: str
    description: str
    warning: float
    critical: float
    numeric_only: bool = False


METHODS: dict[str, Method] = {
    "wasserstein": Method("wasserstein", "wasserstein_sd", "normalised Wasserstein distance (reference sds)", 0.05, 0.2, numeric_only=True),
    "ks": Method("ks", "ks_d", "Kolmogorov-Smirnov D", 0.05, 0.1, numeric_only=True),
    "psi": Method("psi", "psi", "population stability index", 0.1, 0.2),
    "js": Method("js", "jensen_shannon", "Jensen-Shannon distance", 0.05, 0.1),
    "chi2": Method("chi2", "cramers_v", "chi-squared test, Cramer's V", 0.05, 0.1),
}


def choose_method(numeric: bool, n_reference: int, n_current: int, requested: str = "auto") -> Method:
    """The method for a field: the spec's choice if it fits the field's type, else the default."""
    if requested != "auto":
        m = METHODS.get(requested)
        if m is None:
            raise ValueError(f"drift method must be one of auto, {', '.join(METHODS)}; got {requested!r}")
        if numeric or not m.numeric_only:
            return m
    small = min(n_reference, n_current) < SMALL_SAMPLE
    if numeric:
        return METHODS["ks" if small else "wasserstein"]
    return METHODS["chi2" if small else "js"]


def thresholds(method: Method, override: float | None) -> tuple[float, float]:
    """(warning, critical) for a method, with the spec's threshold taken as the critical one."""
    if override is None:
        return method.warning, method.critical
    if override <= 0:
        raise ValueError(f"drift threshold must be positive, got {override}")
    return override / 2, override


def severity(value: float, warning: float, critical: float) -> Literal["critical", "warning"] | None:
    if value != value:  # nan
        return None
    if value >= critical:
        return "critical"
    if value >= warning:
        return "warning"
    return None
