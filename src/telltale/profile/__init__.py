"""Mergeable profiles: what monitors read instead of raw data (DESIGN.md, "Decisions")."""

from telltale.profile.categorical import CategoricalSummary
from telltale.profile.column import ColumnProfile
from telltale.profile.hll import HLL
from telltale.profile.numeric import NumericSummary
from telltale.profile.profile import CONFIDENCE, COST, LATENCY, PREDICTION, RESERVED, SEGMENT, TARGET, Profile

__all__ = [
    "CONFIDENCE", "COST", "HLL", "LATENCY", "PREDICTION", "RESERVED", "SEGMENT", "TARGET",
    "CategoricalSummary", "ColumnProfile", "NumericSummary", "Profile",
]
