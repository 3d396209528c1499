"""The service-level indicators: the one table every SLO, rule threshold and check reads.

An SLO (``slos`` in the spec) or a rule's ``when.indicator`` names an entry of ``TABLE``;
``telltale check`` accepts exactly these names (:func:`resolve`), the policy computes
them from what the store holds (:mod:`telltale.policy.sources` reads each ``source``),
and the latency check holds windows to latency SLOs. Adding an indicator is one entry
here; a test evaluates every entry from stored data, so nothing is accepted that
nothing computes.

Each entry reads one **source**, per minute (the policy merges minutes for longer spans):

- ``profile``: the minute profile of the decisions (rates, latency, cost);
- ``labels``: the joined (prediction, label) summary of the predictions made in the
  minute (realized accuracy; counted when the label arrives, up to a day late);
- ``estimate``: the confidence-based expected hits of the predictions served in the
  minute (estimated accuracy, calibrated on the labelled reference before its day);
- ``feedback``: what people did with decisions, by the minute the feedback was given
  (override, ignore and correction rates; the share of a flag such as ``label:hallucination``);
- ``reviews``: the human-review queue at the end of the minute (its size, the age of
  its oldest open item);
- ``findings``: the statistic of stored findings whose window covers the minute
  (``finding:drift:amount`` is the drift score of feature ``amount``).

And has one **shape**: ``ratio`` (bad and total events per minute: an objective of 0.999
allows one bad event in 1,000; ``higher_is_better`` ones such as accuracy count the
misses as bad), ``latency`` (a call is bad when slower than the SLO's ``max``), or
``time_slice`` (the minute is the event, bad when its value passes ``max``, or falls
below ``min``).

Some names take an argument after a colon: ``latency_p95_ms:retrieval`` (a stage, also
spelled with the SLO's ``stage``), ``label:hallucination`` (a flag), ``finding:<kind>``
or ``finding:<kind>:<feature>``.

>>> resolve("latency_p95_ms:retrieval").column, resolve("latency_p95_ms").percentile
('__stage_ms__:retrieval', 0.95)
>>> resolve("label:hallucination").family, resolve("finding:drift:amount").family
('trust', 'drift')
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from telltale.profile import COST, LATENCY, Profile, stage_column
from telltale.types import FINDING_KINDS, family_of

if TYPE_CHECKING:
    from telltale.feedback.counts import TrustCounts
    from telltale.performance.summary import Summary

Source = Literal["profile", "labels", "estimate", "feedback", "reviews", "findings"]
Shape = Literal["ratio", "latency", "time_slice"]
Arg = Literal["stage", "flag", "finding"]

#: Decisions served by a model; the rest came from the fallback chain. Shadow records are
#: a copy of traffic, not decisions, so no rate counts them.
SERVED = frozenset({"model", "canary"})
#: Guards whose trigger is a failure of the model call itself: an exception, a timeout.
ERROR_GUARDS = ("model_error", "deadline")
#: The separator between a name and its argument.
SEP = ":"


# -- what the non-profile sources give per minute ----------------------------------------

@dataclass(frozen=True, slots=True)
class Expected:
    """Estimated hits among ``n`` served predictions with a confidence."""

    hits: float = 0.0
    n: int = 0


@dataclass(frozen=True, slots=True)
class Queue:
    """The review queue at an instant: open items and the age of the oldest (0 when empty)."""

    size: int = 0
    oldest_age_s: float = 0.0


@dataclass(frozen=True, slots=True)
class FindingValue:
    """The statistic of one stored finding window covering a minute."""

    kind: str
    feature: str | None
    statistic: str
    value: float


def _merge_profiles(items: Iterable[Any]) -> Profile | None:
    return Profile.merge_all(items)


def _merge_summaries(items: Iterable[Any]) -> Summary:
    from telltale.performance.summary import Summary

    return Summary.merge_all(items)


def _merge_expected(items: Iterable[Any]) -> Expected:
    xs = list(items)
    return Expected(sum(x.hits for x in xs), sum(x.n for x in xs))


def _merge_trust(items: Iterable[Any]) -> TrustCounts:
    from telltale.feedback.counts import TrustCounts

    out = TrustCounts()
    for c in items:
        out = out.merge(c)
    return out


def _merge_queues(items: Iterable[Any]) -> Queue:
    """Over a span the queue is judged by its worst minute."""
    xs = list(items)
    return Queue(max((q.size for q in xs), default=0), max((q.oldest_age_s for q in xs), default=0.0))


def _merge_findings(items: Iterable[Any]) -> tuple[FindingValue, ...]:
    return tuple(dict.fromkeys(v for vs in items for v in vs))


#: How the minutes of each source add up to a longer span.
MERGE: Mapping[Source, Callable[[Iterable[Any]], Any]] = {
    "profile": _merge_profiles, "labels": _merge_summaries, "estimate": _merge_expected,
    "feedback": _merge_trust, "reviews": _merge_queues, "findings": _merge_findings,
}


# -- the table --------------------------------------------------------------------------

Count = Callable[[Any, "Ref"], tuple[float, float]]
Gauge = Callable[[Any, "Ref"], "float | None"]


@dataclass(frozen=True, slots=True)
class Indicator:
    """One computable indicator. ``count`` gives (bad, total) events of a ratio indicator;
    ``gauge`` the value of a time-slice one (None when the data says nothing)."""

    name: str
    family: str
    source: Source
    shape: Shape
    unit: str
    doc: str
    count: Count | None = None
    gauge: Gauge | None = None
    higher_is_better: bool = False
    arg: Arg | None = None
    metric: str = ""  # what telltale's /metrics exports it as, if anything

    @property
    def spelling(self) -> str:
        """How a spec writes it (for lists of accepted names)."""
        if "{q}" in self.name:
            return "latency_p99_ms (any percentile)[:<stage>]"
        return self.name + {None: "", "stage": "[:<stage>]", "flag": ":<flag>", "finding": ":<kind>[:<feature>]"}[self.arg]


@dataclass(frozen=True, slots=True)
class Ref:
    """An indicator as one SLO or rule names it: the entry and its argument."""

    indicator: Indicator
    stage: str | None = None
    percentile: float | None = None  # 0..1 for latency
    flag: str | None = None
    kind: str | None = None
    feature: str | None = None

    @property
    def name(self) -> str:
        return self.indicator.name

    @property
    def family(self) -> str:
        return family_of(self.kind) if self.kind is not None else self.indicator.family

    @property
    def column(self) -> str | None:
        """The profile column of a per-stage latency indicator."""
        return stage_column(self.stage) if self.stage is not None else None

    def value(self, data: Any) -> float | None:
        """The statistic over one minute's or a span's data; None when there is none."""
        ind = self.indicator
        if data is None:
            return None
        if ind.shape == "ratio":
            bad, total = ind.count(data, self)  # type: ignore[misc]
            if not total:
                return None
            return 1.0 - bad / total if ind.higher_is_better else bad / total
        if ind.shape == "latency":
            num = _numeric(data, self.column or LATENCY)
            return None if num is None else float(num.quantile(self.percentile if self.percentile is not None else 0.5))
        return ind.gauge(data, self)  # type: ignore[misc]

    def events(self, data: Any, limit: float | None, above_is_bad: bool = True) -> tuple[float, float]:
        """(bad, total) events of one minute for an SLO whose threshold is ``limit``."""
        ind = self.indicator
        if data is None:
            return 0.0, 0.0
        if ind.shape == "ratio":
            return ind.count(data, self)  # type: ignore[misc]
        if limit is None:
            return 0.0, 0.0
        if ind.shape == "latency":
            num = _numeric(data, self.column or LATENCY)
            if num is None:
                return 0.0, 0.0
            below = float(num.cdf([limit])[0])
            return num.count * (1.0 - below), float(num.count)
        v = ind.gauge(data, self)  # type: ignore[misc]
        if v is None:
            return 0.0, 0.0
        return (1.0 if (v > limit if above_is_bad else v < limit) else 0.0), 1.0


def _decisions(p: Profile) -> int:
    return p.n - p.sources.get("shadow", 0)


def _numeric(p: Any, column: str) -> Any:
    col = p.fields.get(column) if isinstance(p, Profile) else None
    return col.numeric if col is not None and col.numeric is not None and col.numeric.count else None


def _guards(*names: str) -> Count:
    def count(p: Profile, _: Ref) -> tuple[float, float]:
        return float(sum(p.guards.get(g, 0) for g in names)), float(_decisions(p))
    return count


def _fallbacks(p: Profile, _: Ref) -> tuple[float, float]:
    bad = sum(c for s, c in p.sources.items() if s not in SERVED and s != "shadow")
    return float(bad), float(_decisions(p))


def _source(name: str) -> Count:
    def count(p: Profile, _: Ref) -> tuple[float, float]:
        return float(p.sources.get(name, 0)), float(_decisions(p))
    return count


def _cost_per_1k(p: Profile, _: Ref) -> float | None:
    decisions = _decisions(p)
    if not decisions:
        return None
    num = _numeric(p, COST)
    return (float(num.sum) if num is not None else 0.0) / decisions * 1000.0


def _misses(s: Summary, _: Ref) -> tuple[float, float]:
    """Classification pairs whose prediction was not the label, of all classification pairs."""
    total = hits = 0
    for key, c in s.confusion.items():
        actual, _sep, predicted = key.partition("\t")
        total += c
        hits += c if actual == predicted else 0
    return float(total - hits), float(total)


def _expected_misses(e: Expected, _: Ref) -> tuple[float, float]:
    return float(e.n) - e.hits, float(e.n)


def _action(action: str) -> Count:
    def count(c: TrustCounts, _: Ref) -> tuple[float, float]:
        return float(c.actions.get(action, 0)), float(c.total)
    return count


def _flag(c: TrustCounts, r: Ref) -> tuple[float, float]:
    true, given = c.flags.get(r.flag or "", (0, 0))
    return float(true), float(given)


def _queue_age(q: Queue, _: Ref) -> float:
    return q.oldest_age_s


def _queue_size(q: Queue, _: Ref) -> float:
    return float(q.size)


def _finding_statistic(values: tuple[FindingValue, ...], r: Ref) -> float | None:
    """The largest statistic of the named kind (and feature) covering the minute; 0 when no
    such finding is open then (the check found nothing past its threshold)."""
    hits = [v.value for v in values if v.kind == r.kind and (r.feature is None or v.feature == r.feature)
            and math.isfinite(v.value)]
    return max(hits) if hits else 0.0


#: The table. ``latency_p{q}_ms`` stands for every percentile (``latency_p99_ms``, ``latency_p95_ms``...).
TABLE: dict[str, Indicator] = {i.name: i for i in (
    Indicator("error_rate", "platform", "profile", "ratio", "share",
              "decisions whose model call raised or timed out (guards model_error, deadline)", _guards(*ERROR_GUARDS), metric="errors"),
    Indicator("timeout_rate", "platform", "profile", "ratio", "share",
              "decisions whose model call missed the deadline (guard deadline)", _guards("deadline")),
    Indicator("fallback_rate", "platform", "profile", "ratio", "share",
              "decisions served by the fallback chain instead of a model", _fallbacks, metric="fallbacks"),
    Indicator("abstain_rate", "platform", "profile", "ratio", "share", "decisions where the guard abstained",
              _source("abstain"), metric="abstains"),
    Indicator("review_rate", "platform", "profile", "ratio", "share", "decisions queued for human review",
              _source("review"), metric="reviews"),
    Indicator("latency_p{q}_ms", "platform", "profile", "latency", "ms",
              "the q-th percentile of latency per call (or of one stage), in ms", arg="stage"),
    Indicator("cost_per_1k", "cost", "profile", "time_slice", "currency", "cost per 1,000 decisions, per minute",
              gauge=_cost_per_1k),
    Indicator("accuracy", "model", "labels", "ratio", "share",
              "realized accuracy: labelled predictions whose output was the label (by prediction minute)",
              _misses, higher_is_better=True),
    Indicator("estimated_accuracy", "model", "estimate", "ratio", "share",
              "confidence-based estimate of accuracy over every served prediction with a confidence, labelled or not",
              _expected_misses, higher_is_better=True),
    Indicator("override_rate", "trust", "feedback", "ratio", "share", "feedback whose action is overridden",
              _action("overridden")),
    Indicator("ignore_rate", "trust", "feedback", "ratio", "share", "feedback whose action is ignored", _action("ignored")),
    Indicator("correction_rate", "trust", "feedback", "ratio", "share", "feedback whose action is corrected",
              _action("corrected")),
    Indicator("label", "trust", "feedback", "ratio", "share",
              "share of the feedback giving a flag (label: {hallucination: true}) that sets it true", _flag, arg="flag"),
    Indicator("review_queue_age_s", "trust", "reviews", "time_slice", "s",
              "age of the oldest open item of the review queue at the end of each minute", gauge=_queue_age),
    Indicator("review_queue_size", "trust", "reviews", "time_slice", "items",
              "open items in the review queue at the end of each minute", gauge=_queue_size),
    Indicator("finding", "data", "findings", "time_slice", "statistic",
              "the statistic of a finding kind (per feature or stage) over the windows covering each minute; "
              "0 while none is open", gauge=_finding_statistic, arg="finding"),
)}

_PERCENTILE = re.compile(r"^latency_p(\d{1,2}(?:\.\d+)?)_ms$")
_FLAG = re.compile(r"^[^\s:]{1,64}$")


def accepted() -> list[str]:
    """The names a spec may write, for error messages and docs."""
    return [i.spelling for i in TABLE.values()]


def resolve(name: str, stage: str | None = None) -> Ref:
    """The table entry ``name`` spells (with ``stage`` for latency); ValueError naming the accepted ones."""
    base, sep, arg = name.partition(SEP)
    q: float | None = None
    entry = TABLE.get(base)
    m = _PERCENTILE.match(base)
    if entry is None and m is not None:
        entry, q = TABLE["latency_p{q}_ms"], float(m.group(1)) / 100.0
    if entry is None or "{q}" in base:
        raise ValueError(f"indicator {name!r} is not one telltale computes; one of {', '.join(accepted())}")
    if q is not None and not 0.0 < q < 1.0:
        raise ValueError(f"indicator {name!r}: the percentile must be between 0 and 100 exclusive")
    if stage is not None and entry.arg != "stage":
        raise ValueError(f"stage {stage!r} only narrows a latency indicator, not {name!r}")
    if sep and entry.arg is None:
        raise ValueError(f"indicator {name!r}: {base!r} takes no {SEP}argument; one of {', '.join(accepted())}")
    if entry.arg == "stage":
        if sep and not arg:
            raise ValueError(f"indicator {name!r}: write the stage after the colon ({base}:retrieval)")
        if sep and stage is not None and arg != stage:
            raise ValueError(f"indicator {name!r} names stage {arg!r} but stage is {stage!r}; write one")
        return Ref(entry, stage=arg or stage, percentile=q)
    if entry.arg == "flag":
        if not _FLAG.match(arg):
            raise ValueError(f"indicator {name!r}: write the flag after the colon, e.g. label:hallucination "
                             f"(a name of at most 64 characters, as feedback sends it)")
        return Ref(entry, flag=arg)
    if entry.arg == "finding":
        kind, _sep, feature = arg.partition(SEP)
        if kind not in FINDING_KINDS:
            raise ValueError(f"indicator {name!r}: write a finding kind after the colon (finding:drift or "
                             f"finding:drift:<feature>); one of {', '.join(sorted(FINDING_KINDS))}")
        return Ref(entry, kind=kind, feature=feature or None)
    return Ref(entry)


def parse_metric(metric: str, stage: str | None = None) -> Ref | None:
    """:func:`resolve`, or None when nothing computes ``metric``."""
    try:
        return resolve(metric, stage)
    except ValueError:
        return None
