"""The service spec: the contract, guard settings, owners, SLOs, rules and fallbacks."""

from telltale.spec.check import check_spec, readiness_problems
from telltale.spec.load import load_spec, parse_spec, spec_from_dict
from telltale.spec.model import BLANK, UNITS, InputField, OutputSpec, Range, ServiceSpec

__all__ = [
    "BLANK", "UNITS", "InputField", "OutputSpec", "Range", "ServiceSpec",
    "check_spec", "load_spec", "parse_spec", "readiness_problems", "spec_from_dict",
]
