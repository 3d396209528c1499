"""Spec loading: typed objects from YAML, every problem located by line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from telltale.errors import SpecError
from telltale.spec import load_spec, parse_spec
from telltale.spec.model import FallbackDefault

MINIMAL = """\
service: eta
owner: me@example.com
inputs:
  prep_time_s: {type: float, unit: s, range: [0, 3600]}
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as e:
        parse_spec(text, "telltale.yaml")
    return [str(p) for p in e.value.problems]


def test_example_spec_loads_as_typed_objects(eta_spec):
    assert eta_spec.service == "eta"
    f = eta_spec.inputs["prep_time_s"]
    assert (f.type, f.unit, f.range.min, f.range.max) == ("float", "s", 0, 7200)
    assert eta_spec.inputs["courier_speed_kmh"].required is False
    assert eta_spec.fallback == ["rules", FallbackDefault(default=35.0), "abstain"]
    assert eta_spec.guard.bulkhead.max_concurrent == 16


def test_range_with_min_above_max_names_file_line_and_key():
    text = "service: eta\nowner: me\ninputs:\n  a: {type: float}\n  prep_time_s:\n    type: float\n    range: {min: 5, max: 3}\n"
    assert _problems(text) == ["telltale.yaml:7 inputs.prep_time_s.range: min 5 is greater than max 3"]


def test_every_problem_is_reported_not_just_the_first():
    text = MINIMAL + "  city: {type: category, categories: [a, a]}\n  n: {type: int, rnage: [0, 1]}\n"
    problems = _problems(text)
    assert "telltale.yaml:5 inputs.city: categories contain duplicates" in problems
    assert "telltale.yaml:6 inputs.n.rnage: unknown key 'rnage'; did you mean 'range'?" in problems
    assert len(problems) == 2


def test_missing_required_key_is_named():
    assert _problems("service: eta\ninputs:\n  a: {type: float}\n") == ["telltale.yaml:1 owner: is required but missing"]


def test_unknown_unit_lists_the_known_ones():
    (p,) = _problems(MINIMAL.replace("unit: s", "unit: parsecs"))
    assert p.startswith("telltale.yaml:4 inputs.prep_time_s: unit 'parsecs' is not known; use one of ")
    assert " ms," in p


def test_duplicate_yaml_key_is_a_problem_not_a_silent_override():
    (p,) = _problems(MINIMAL + "  prep_time_s: {type: int}\n")
    assert p == "telltale.yaml:5 inputs.prep_time_s: duplicate key; the second would silently win"


def test_invalid_yaml_names_the_line():
    (p,) = _problems("service: eta\nowner: [unclosed\ninputs: {}\n")
    assert p.startswith("telltale.yaml:3 ") and "is not valid YAML" in p


def test_missing_file_suggests_init(tmp_path: Path):
    with pytest.raises(SpecError, match="file not found; run `telltale init`"):
        load_spec(tmp_path / "nope.yaml")


def test_range_accepts_a_pair_or_a_mapping():
    a = parse_spec(MINIMAL).inputs["prep_time_s"].range
    b = parse_spec(MINIMAL.replace("[0, 3600]", "{min: 0, max: 3600}")).inputs["prep_time_s"].range
    assert a == b and a.contains(3600) and not a.contains(3600.01)


def test_range_on_a_category_is_rejected():
    (p,) = _problems(MINIMAL + "  city: {type: category, range: [0, 1]}\n")
    assert p == "telltale.yaml:5 inputs.city: range is only meaningful for numeric fields, not type 'category'"
