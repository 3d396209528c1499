"""``range`` on text fields: texts shorter than ``min_length`` or longer than ``max_length``.

A profile counts each text's length in the derived column ``__text__:<field>:length``
against the spec's limits as it is built (exact counts, like a numeric range), so the
same thresholds as :mod:`telltale.checks.ranges` apply: critical at 1% of texts (at least
10) and clearly above the reference's share, warning from 3. The findings name the
field as ``<field>:length``. Called by the range check; ``max_bytes`` is enforced per
record by the contract only.
"""

from __future__ import annotations

from dataclasses import replace

from telltale.checks import ranges
from telltale.checks._common import input_column
from telltale.profile import Profile
from telltale.profile.text import text_column
from telltale.spec.model import Range, ServiceSpec
from telltale.types import Finding, Window


def length_findings(spec: ServiceSpec, current: Profile, reference: Profile | None, window: Window | None) -> list[Finding]:
    out: list[Finding] = []
    for name, f in spec.inputs.items():
        if f.type != "text" or (f.min_length is None and f.max_length is None):
            continue
        col = input_column(current, text_column(name, "length"))
        if col is None or col.numeric is None or col.numeric.count == 0:
            continue
        rng = Range(min=f.min_length, max=f.max_length)
        found = ranges.one(f"{name}:length", rng, col, input_column(reference, text_column(name, "length")), window)
        if found is not None:
            message = found.message.replace(" values:", " texts (length in characters):").replace(
                "widen the range in the spec", "change min_length/max_length in the spec")
            out.append(replace(found, message=message))
    return out
