"""Mergeable profiles: what monitors read instead of raw data (DESIGN.md, "Decisions")."""

from telltale.profile.categorical import CategoricalSummary
from telltale.profile.column import ColumnProfile
from telltale.profile.hll import HLL
from telltale.profile.numeric import NumericSummary
from telltale.profile.profile import (
    ATTEMPTS,
    CACHED_TOKENS,
    CONFIDENCE,
    COST,
    INPUT_TOKENS,
    LATENCY,
    OUTPUT_TOKENS,
    PREDICTION,
    RESERVED,
    SEGMENT,
    STAGE_PREFIX,
    TARGET,
    Profile,
    is_reserved,
    stage_column,
)

__all__ = [
    "ATTEMPTS", "CACHED_TOKENS", "CONFIDENCE", "COST", "HLL", "INPUT_TOKENS", "LATENCY", "OUTPUT_TOKENS", "PREDICTION",
    "RESERVED", "SEGMENT", "STAGE_PREFIX", "TARGET", "is_reserved", "stage_column",
    "CategoricalSummary", "ColumnProfile", "NumericSummary", "Profile",
]
