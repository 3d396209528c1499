"""The extras: one declaration (``telltale.extras.EXTRAS``) that agrees with pyproject.toml,
and the error that names what to install."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from telltale.extras import EXTRAS, MissingExtra, extra_for, installed, require

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_every_declared_extra_is_in_pyproject_and_all_brings_every_one() -> None:
    extras = PROJECT["optional-dependencies"]
    assert set(EXTRAS) | {"all", "test"} == set(extras)
    assert extras["all"] == [f"telltale[{','.join(EXTRAS)}]"]
    assert "telltale[all]" in extras["test"]


def test_the_core_dependencies_are_the_lean_list() -> None:
    names = [d.split("==")[0].split("[")[0] for d in PROJECT["dependencies"]]
    assert names == ["pydantic", "pyyaml", "numpy", "datasketches", "sqlalchemy", "alembic", "httpx",
                     "prometheus-client", "typer", "rich"]
    assert all("==" in d for d in PROJECT["dependencies"])  # pinned


def test_the_message_names_the_extra_and_the_command_to_install_it() -> None:
    assert str(MissingExtra("telltale serve", ["server"])) == "telltale serve needs the server extra: pip install 'telltale[server]'"
    assert str(MissingExtra("telltale demo", ["server", "report"], "scipy is not installed")) == (
        "telltale demo needs the server and report extras: pip install 'telltale[server,report]' (scipy is not installed)")
    assert isinstance(MissingExtra("x", ["otel"]), ImportError)  # code catching ImportError still does


def test_installed_and_require_here_where_every_extra_is() -> None:
    assert all(installed(e) for e in EXTRAS)
    require(*EXTRAS, what="the tests")
    with pytest.raises(ValueError, match="unknown extra 'gpu': one of server, report, postgres, dask, spark, otel"):
        installed("gpu")


def test_a_missing_module_is_told_as_missing() -> None:
    code = ("import sys; sys.modules['uvicorn'] = None\n"
            "from telltale.extras import installed, require, MissingExtra\n"
            "print(installed('server'), installed('report'))\n"
            "try:\n    require('report', 'server', what='telltale demo')\nexcept MissingExtra as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["False True", "telltale demo needs the server extra: pip install 'telltale[server]'"]


@pytest.mark.parametrize(("module", "extra"), [
    ("fastapi", "server"), ("fastapi.routing", "server"), ("scipy", "server"), ("sklearn.ensemble", "report"),
    ("matplotlib", "report"), ("psycopg", "postgres"), ("distributed", "dask"), ("pyspark.sql", "spark"),
    ("opentelemetry", "otel"), ("opentelemetry.sdk.trace", "otel"), ("requests", None), (None, None),
])
def test_extra_for_a_missing_module(module: str | None, extra: str | None) -> None:
    assert extra_for(module) == extra
