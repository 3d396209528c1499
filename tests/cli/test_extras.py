"""Commands that need an extra say which when it is missing (exit 2), and --help still works.

Each case runs the ``telltale`` entry point (``telltale.cli.main.main``) in a subprocess
where the extra's module is made unimportable (``sys.modules[name] = None``, which makes
``import`` raise ``ModuleNotFoundError`` as on an install without it).
tests/test_install.py checks the same on a real install of the core alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from telltale.cli.main import NEEDS, app
from telltale.spec import load_spec
from telltale.store import Store
from tests.conftest import EXAMPLE_SPEC


def _main(blocked: list[str], args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    code = (f"import sys\nfor m in {blocked!r}:\n    sys.modules[m] = None\n"
            f"from telltale.cli.main import main\nmain({args!r})\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_every_command_with_needs_exists() -> None:
    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    names |= {g.name for g in app.registered_groups if g.name}
    assert set(NEEDS) <= names


@pytest.mark.parametrize(("blocked", "args", "message"), [
    (["fastapi"], ["serve"], "telltale serve needs the server extra: pip install 'telltale[server]'"),
    (["sklearn"], ["report", "--reference", "a.parquet", "--current", "b.parquet"],
     "telltale report needs the report extra: pip install 'telltale[report]'"),
    (["pyarrow"], ["init", "--reference", "a.parquet"], "telltale init needs the report extra: pip install 'telltale[report]'"),
    (["pyarrow"], ["export", "--service", "eta", "--out", "x.parquet"], "telltale export needs the report extra: pip install 'telltale[report]'"),
    (["matplotlib", "uvicorn"], ["demo", "--no-serve"],
     "telltale demo needs the server and report extras: pip install 'telltale[server,report]'"),
])
def test_a_command_names_the_extra_it_needs(tmp_path: Path, blocked: list[str], args: list[str], message: str) -> None:
    r = _main(blocked, args, tmp_path)
    assert (r.returncode, r.stderr.strip(), r.stdout) == (2, message, "")


def test_help_works_without_the_extra(tmp_path: Path) -> None:
    r = _main(["fastapi", "uvicorn"], ["serve", "--help"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Serve the API and the dashboard" in r.stdout


def test_an_option_that_needs_an_extra_is_told_from_the_missing_module(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 't.db'}"
    store = Store.open(db)
    try:
        store.put_service("default", load_spec(EXAMPLE_SPEC))
    finally:
        store.close()
    listed = _main(["scipy"], ["findings", "--service", "eta", "--db", db], tmp_path)  # stored incidents: the core reads them
    assert listed.returncode == 0, listed.stderr
    assert "eta: 0 open incident(s)" in listed.stdout
    computed = _main(["scipy"], ["findings", "--service", "eta", "--db", db, "--window", "300"], tmp_path)
    assert (computed.returncode, computed.stderr.strip()) == (
        2, "telltale findings needs the server extra: pip install 'telltale[server]' (scipy is not installed)")
