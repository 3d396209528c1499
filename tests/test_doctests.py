"""Every docstring example in the package runs and says what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import telltale


def _modules_with_examples() -> list[str]:
    out = []
    for info in pkgutil.walk_packages(telltale.__path__, "telltale."):
        if ".migrations" in info.name or info.name.endswith("__main__"):
            continue  # Alembic's env.py runs only inside Alembic; a __main__ runs its program
        module = importlib.import_module(info.name)
        if any(t.examples for t in doctest.DocTestFinder().find(module)):
            out.append(info.name)
    return out


MODULES = _modules_with_examples()


def test_the_package_has_examples_to_run():
    assert {"telltale.contract", "telltale.guard.guard", "telltale.drift.psi"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
