"""The spec's SLOs and rules: what the policy evaluates and what it does (DESIGN.md 18).

Structure only: a duration must parse, a bound must exist, an action must be one the
policy takes. Whether an SLO's indicator is one something computes is the readiness
gate's business (:mod:`telltale.spec.check`), because the indicator table lives with
the policy that computes it (:mod:`telltale.policy.indicators`).

Durations are written ``90s``, ``5m``, ``1h``, ``3d``, ``2w`` (or a number of seconds).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from telltale.types import FINDING_KINDS

_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")


def parse_duration(v: Any) -> float:
    """Seconds in ``v`` (``"5m"`` is 300.0); ValueError naming the accepted forms."""
    if isinstance(v, bool):
        raise ValueError(f"a duration is a number with a unit (90s, 5m, 1h, 3d, 2w), got {v!r}")
    if isinstance(v, (int, float)):
        if v <= 0:
            raise ValueError(f"a duration must be positive, got {v!r}")
        return float(v)
    m = _DURATION.match(str(v))
    if m is None:
        raise ValueError(f"a duration is a number with a unit (90s, 5m, 1h, 3d, 2w), got {v!r}")
    s = float(m.group(1)) * _UNITS_S[m.group(2)]
    if s <= 0:
        raise ValueError(f"a duration must be positive, got {v!r}")
    return s


def format_duration(s: float) -> str:
    """The shortest exact spelling: 300.0 is ``5m``, 259200.0 is ``3d``."""
    for unit in ("w", "d", "h", "m"):
        size = _UNITS_S[unit]
        if s >= size and s % size == 0:
            return f"{int(s // size)}{unit}"
    return f"{s:g}s"


#: Seconds; accepts "5m", "1h", "30d" or a number of seconds.
Duration = Annotated[float, BeforeValidator(parse_duration)]

#: What a rule can do. The mode-setting actions map to control modes (telltale.control).
Action = Literal["alert", "fallback", "rollback", "review", "stop_canary"]
ACTION_MODE: dict[str, str] = {"fallback": "fallback", "rollback": "rollback", "review": "review",
                               "stop_canary": "canary_stopped"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SLO(_Strict):
    """An objective on an indicator over a period: the share of good events to keep.

    ``indicator`` (also spelled ``metric``) names an entry of the indicator table
    (:mod:`telltale.indicators`). A rate indicator's ``max`` is the largest bad share
    (``fallback_rate`` with ``max: 0.05`` is an objective of 0.95), a good share's ``min``
    the smallest (``accuracy`` with ``min: 0.9``); a latency indicator's ``max`` is the
    threshold in ms and its percentile the objective (``latency_p99_ms`` with ``max: 150``:
    99% of calls within 150 ms); ``stage`` narrows latency to one stage; a time-slice
    indicator (cost, the review queue, a finding's statistic) takes ``max`` or ``min`` and
    ``objective``, the share of minutes within it. ``min_events`` is the fewest events in
    the long alerting window below which the SLO says "not enough events" instead of
    paging; ``no_data_after`` is how long without any event raises its own alert.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    indicator: str = Field(validation_alias=AliasChoices("indicator", "metric"))
    objective: float | None = Field(default=None, gt=0, lt=1)
    max: float | None = None
    min: float | None = None
    stage: str | None = None
    period: Duration = Field(default=30 * 86400.0, validation_alias=AliasChoices("period", "window"))
    min_events: int = Field(default=100, ge=1)
    no_data_after: Duration = 900.0

    @model_validator(mode="after")
    def _bound(self) -> SLO:
        if self.max is None and self.min is None and self.objective is None:
            raise ValueError(f"SLO {self.name!r} needs an objective, a max or a min")
        return self

    @property
    def metric(self) -> str:
        """The indicator's name (the spelling older specs used)."""
        return self.indicator


class RuleCondition(_Strict):
    """When a rule acts. One of three forms:

    - a finding: ``kind`` (with ``severity``, ``feature``) is open, for at least ``for``;
    - an indicator: ``indicator`` (with ``stage``) ``above`` or ``below`` a value, on every
      ``every``-long check during ``for``, or on ``failures`` of the last ``of`` checks
      (Argo Rollouts' analysis counting);
    - an SLO: ``slo`` names an SLO of the spec whose ``alert`` (``page`` or ``ticket``) fires.
    """

    kind: str | None = None
    severity: Literal["critical", "warning"] = "critical"
    feature: str | None = None
    indicator: str | None = None
    stage: str | None = None
    above: float | None = None
    below: float | None = None
    slo: str | None = None
    alert: Literal["page", "ticket"] = "page"
    for_: Duration | None = Field(default=None, validation_alias=AliasChoices("for", "for_"), serialization_alias="for")
    every: Duration = 60.0
    failures: int | None = Field(default=None, ge=1)
    of: int | None = Field(default=None, ge=1)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, v: str | None) -> str | None:
        if v is not None and v not in FINDING_KINDS:
            raise ValueError(f"{v!r} is not a finding kind; one of {', '.join(sorted(FINDING_KINDS))}")
        return v

    @model_validator(mode="after")
    def _one_form(self) -> RuleCondition:
        forms = [name for name, v in (("kind", self.kind), ("indicator", self.indicator), ("slo", self.slo)) if v is not None]
        if len(forms) != 1:
            raise ValueError("a rule's when needs exactly one of kind (a finding), indicator (a threshold) or slo (a burn-rate alert)"
                             + (f", got {' and '.join(forms)}" if forms else ""))
        if self.indicator is not None and (self.above is None) == (self.below is None):
            raise ValueError(f"indicator {self.indicator!r} needs exactly one of above or below")
        if (self.failures is None) != (self.of is None):
            raise ValueError("failures and of go together: act on `failures` failed checks of the last `of`")
        if self.failures is not None and self.of is not None and self.failures > self.of:
            raise ValueError(f"failures {self.failures} is more than of {self.of}")
        if self.indicator is None and (self.failures is not None or self.above is not None or self.below is not None):
            raise ValueError("above, below, failures and of belong to an indicator condition")
        if self.every % 60:
            raise ValueError(f"every must be a whole number of minutes (indicators are computed per minute), got {self.every:g}s")
        return self


class Rule(_Strict):
    """``when`` a condition holds, ``then`` act (``action`` is the one-action spelling).

    ``return_after``: once the condition has been clear that long, a mode this rule set
    goes back to ``normal``; without it the mode stays until a person changes it.
    """

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    when: RuleCondition
    then: list[Action] = Field(default_factory=list, validation_alias=AliasChoices("then", "action"))
    return_after: Duration | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_action(cls, v: Any) -> Any:
        if isinstance(v, dict):
            for key in ("then", "action"):
                if isinstance(v.get(key), str):
                    v = {**v, key: [v[key]]}
        return v

    @model_validator(mode="after")
    def _some_action(self) -> Rule:
        if not self.then:
            raise ValueError(f"rule {self.name!r} needs then: one or more of alert, fallback, rollback, review, stop_canary")
        if sum(a in ACTION_MODE for a in self.then) > 1:
            raise ValueError(f"rule {self.name!r} sets more than one mode ({', '.join(a for a in self.then if a in ACTION_MODE)}); keep one")
        return self

    @property
    def action(self) -> str:
        """The mode-setting action if there is one, else the first (older specs had one)."""
        return next((a for a in self.then if a in ACTION_MODE), self.then[0])

    @property
    def mode(self) -> str | None:
        """The control mode this rule sets, or None when it only alerts."""
        return next((ACTION_MODE[a] for a in self.then if a in ACTION_MODE), None)
