"""``schema``: fields that disappeared, fields that appeared, and likely renames.

A field counts as gone when it is absent from 99% of the window's rows (partial absence
is a null-share question, left to the ``nulls`` check); as in the contract, an absent
nullable field is a null, reported only as half of a likely rename. A field not in the spec counts
as unexpected when it is present and the reference did not have it either (a column
the reference also carried is one the spec chose to ignore). A gone field and a new one
that look alike are reported once, as a likely rename: alike means the same kind of
values and either names at least 60% alike (difflib's ratio) or values alike against
the reference (medians within 10% of the reference's spread, or 80% of the frequent
categories shared).

A required field gone is critical (the guard serves the fallback for every record); an
optional one gone, or a new field, is a warning.
"""

from __future__ import annotations

import difflib

from telltale.checks._common import fmt, input_column, pct
from telltale.profile import ColumnProfile, Profile
from telltale.spec.model import InputField, ServiceSpec
from telltale.types import Finding, Window

GONE_SHARE = 0.99
NAME_ALIKE = 0.6
_NUMERIC = ("float", "int", "timestamp")


def check(spec: ServiceSpec, current: Profile, reference: Profile | None, window: Window | None) -> list[Finding]:
    if current.n == 0:
        return []
    gone = []
    for name in spec.inputs:
        col = current.fields.get(name)
        if col is None or col.rows == 0 or col.missing / col.rows >= GONE_SHARE:
            gone.append(name)
    new = [k for k, c in current.inputs.items() if k not in spec.inputs and c.present > 0
           and not (reference is not None and k in reference.fields and reference.fields[k].present > 0)]
    out: list[Finding] = []
    renamed = _pair(spec, gone, new, current, reference)
    for old, (newname, why) in renamed.items():
        field = spec.inputs[old]
        out.append(Finding(
            kind="schema", feature=old, severity="critical" if field.required else "warning", statistic="missing_share",
            value=1.0, threshold=GONE_SHARE, window=window,
            message=f"{old} is missing and {newname} appeared in its place ({why}): likely renamed upstream; "
                    f"map {newname} back to {old}, or rename the field in the spec and the model",
        ))
    for name in gone:
        field = spec.inputs[name]
        if name in renamed or field.nullable:  # as in the contract, an absent nullable field is a null
            continue
        col = current.fields.get(name)
        share = col.missing / col.rows if col is not None and col.rows else 1.0
        consequence = "the guard serves the fallback for every record" if field.required and not field.nullable else "the model runs without it"
        out.append(Finding(
            kind="schema", feature=name, severity="critical" if field.required and not field.nullable else "warning",
            statistic="missing_share", value=share, threshold=GONE_SHARE, window=window,
            message=f"{name} is missing from {pct(share)} of {current.n} rows: {consequence}; restore it upstream",
        ))
    taken = {v[0] for v in renamed.values()}
    for name in new:
        if name in taken:
            continue
        col = current.fields[name]
        share = col.present / current.n
        out.append(Finding(
            kind="schema", feature=name, severity="warning", statistic="present_share", value=share, threshold=0.0,
            window=window,
            message=f"{name} is not in the contract but arrives in {pct(share)} of rows: add it to the spec's inputs, or stop sending it",
        ))
    return out


def _pair(spec: ServiceSpec, gone: list[str], new: list[str], current: Profile, reference: Profile | None) -> dict[str, tuple[str, str]]:
    scored = []
    for old in gone:
        for cand in new:
            col = current.fields[cand]
            if not _kind_fits(spec.inputs[old], col):
                continue
            name_sim = difflib.SequenceMatcher(None, old.lower(), cand.lower()).ratio()
            value_why = _values_alike(input_column(reference, old), col)
            if name_sim >= NAME_ALIKE or value_why:
                reasons = [f"names {pct(name_sim)} alike"] if name_sim >= NAME_ALIKE else []
                if value_why:
                    reasons.append(value_why)
                scored.append((name_sim + (1.0 if value_why else 0.0), old, cand, "; ".join(reasons)))
    out: dict[str, tuple[str, str]] = {}
    used: set[str] = set()
    for _, old, cand, why in sorted(scored, reverse=True):
        if old not in out and cand not in used:
            out[old] = (cand, why)
            used.add(cand)
    return out


def _kind_fits(field: InputField, col: ColumnProfile) -> bool:
    return (col.kind == "numeric") == (field.type in _NUMERIC)


def _values_alike(ref: ColumnProfile | None, col: ColumnProfile) -> str | None:
    if ref is None:
        return None
    if ref.numeric is not None and col.numeric is not None and ref.numeric.count and col.numeric.count:
        rm, cm = ref.numeric.quantile(0.5), col.numeric.quantile(0.5)
        spread = ref.numeric.quantile(0.9) - ref.numeric.quantile(0.1)
        if spread > 0 and abs(rm - cm) <= 0.1 * spread:
            return f"values alike: median {fmt(cm)} vs {fmt(rm)} in the reference"
        return None
    if ref.categorical is not None and col.categorical is not None:
        a, b = set(ref.categorical.items()), set(col.categorical.items())
        if a and b and len(a & b) / len(a | b) >= 0.8:
            return f"values alike: {len(a & b)} of {len(a | b)} categories shared"
    return None
