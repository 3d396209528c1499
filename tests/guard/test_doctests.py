"""The examples in the guard's docstrings run and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["telltale.guard", "telltale.guard.guard", "telltale.guard.breaker", "telltale.guard.bulkhead",
           "telltale.guard.cost", "telltale.guard.retry", "telltale.guard.metrics", "telltale.control"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
