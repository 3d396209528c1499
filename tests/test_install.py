"""The lean install (issue 11, item 4): ``pip install telltale`` alone, in a fresh venv.

The package is built from this checkout and installed with its core dependencies only
into a new virtual environment (pip from the test venv installs into it with
``--python``). There a plain Python function is guarded and its decisions recorded over
HTTP to a real server started from the test venv, and the server's store holds every
one of them; recording to a SQLite store works there too, without pyarrow. The commands
that need an extra say which, and none of the heavy packages is installed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from telltale.store import Store
from tests.conftest import EXAMPLE_SPEC
from tests.server.conftest import start_server

ROOT = Path(__file__).resolve().parents[1]

#: Distributions the core must not bring (each is an extra's, or a test's only).
HEAVY = ("pandas", "scipy", "scikit-learn", "fastapi", "starlette", "uvicorn", "matplotlib", "pyarrow", "psycopg",
         "dask", "pyspark", "opentelemetry-sdk", "swagger-ui-bundle")

#: Run in the lean venv: guard a plain function, record over HTTP, print what was decided
#: and which heavy modules the whole path imported.
GUARD_OVER_HTTP = """
import json, sys
import telltale

spec = telltale.load_spec(sys.argv[1])

def eta(r):
    return 5.0 + 3.0 * r["distance_km"] + r["prep_time_s"] / 60.0

guard = telltale.Guard(spec, model=eta, fallback=lambda r: 30.0, record_to=sys.argv[2], token=sys.argv[3], project="default")
cities = ["Lyon", "Paris", "Marseille"]
decisions = [guard.predict({"distance_km": 1.0 + i % 20, "prep_time_s": 300.0 + i, "items": 1 + i % 5, "hour": i % 24,
                            "weekday": i % 7, "city": cities[i % 3]}) for i in range(200)]
guard.close()
loaded = sorted(m for m in ("numpy", "sqlalchemy", "alembic", "datasketches", "pyarrow", "scipy", "fastapi") if m in sys.modules)
print(json.dumps({"ids": [d.id for d in decisions], "sources": sorted({d.source for d in decisions}),
                  "values": [d.value for d in decisions[:3]], "loaded": loaded}))
"""

#: Run in the lean venv: the same guard recording to a SQLite file, read back there.
GUARD_TO_SQLITE = """
import sys
import telltale
from telltale.store import Store

spec = telltale.load_spec(sys.argv[1])
guard = telltale.Guard(spec, model=lambda r: 12.5, fallback=lambda r: 30.0, record_to=sys.argv[2])
for i in range(50):
    guard.predict({"distance_km": 2.0, "prep_time_s": 300.0, "items": 2, "hour": 12, "weekday": 3, "city": "Lyon"})
guard.close()
store = Store.open(sys.argv[2])
print(store.count_predictions("default", "eta"), store.read_profile("default", "eta", 0, 1e12).n, "pyarrow" in sys.modules)
try:
    telltale.Guard(spec, model=lambda r: 12.5, fallback=lambda r: 30.0, record_to="postgresql+psycopg://127.0.0.1:1/db")
except ImportError as e:
    print(type(e).__name__, e, sep=": ")
"""


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=240, **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def lean_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with ``pip install <this checkout>``: the core and nothing else."""
    base = tmp_path_factory.mktemp("lean")
    src = base / "telltale-src"  # a copy, so the build writes nothing into the checkout
    src.mkdir()
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copy(ROOT / "README.md", src)
    shutil.copytree(ROOT / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    venv = base / "venv"
    r = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert r.returncode == 0, r.stderr
    py = venv / "bin" / "python"
    r = _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--quiet", "--no-compile",
              "--disable-pip-version-check", str(src)])
    assert r.returncode == 0, r.stdout + r.stderr
    yield venv


def _installed(venv: Path) -> set[str]:
    code = "import importlib.metadata as m, json; print(json.dumps(sorted({d.metadata['Name'].lower() for d in m.distributions()})))"
    r = _run([str(venv / "bin" / "python"), "-c", code])
    assert r.returncode == 0, r.stderr
    return set(json.loads(r.stdout))


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_core_install_brings_nothing_heavy(lean_venv: Path) -> None:
    names = _installed(lean_venv)
    assert {"telltale", "pydantic", "httpx", "sqlalchemy", "numpy", "datasketches"} <= names
    assert sorted(names & set(HEAVY)) == []


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_lean_guard_records_over_http_to_a_real_server(lean_venv: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'server.db'}"
    server = start_server(db, specs=[EXAMPLE_SPEC])
    try:
        env = {**os.environ, "TELLTALE_SPILL_DIR": str(tmp_path / "spill")}
        r = _run([str(lean_venv / "bin" / "python"), "-c", GUARD_OVER_HTTP, str(EXAMPLE_SPEC), server.url, server.token],
                 env=env, cwd=tmp_path)
        assert r.returncode == 0, r.stdout + r.stderr
        out = json.loads(r.stdout.strip().splitlines()[-1])
    finally:
        server.stop()
    assert out["sources"] == ["model"]
    assert out["values"] == [5.0 + 3.0 * 1.0 + 300.0 / 60.0, 5.0 + 3.0 * 2.0 + 301.0 / 60.0, 5.0 + 3.0 * 3.0 + 302.0 / 60.0]
    assert out["loaded"] == []  # over HTTP: no store, no profiles, no NumPy in the service's process
    store = Store.open(db)
    try:
        stored = store.read_predictions("default", "eta", 0, 1e12, limit=1000)
    finally:
        store.close()
    assert sorted(p.id for p in stored) == sorted(out["ids"])
    assert len(set(out["ids"])) == 200


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_lean_guard_records_to_sqlite_without_pyarrow(lean_venv: Path, tmp_path: Path) -> None:
    r = _run([str(lean_venv / "bin" / "python"), "-c", GUARD_TO_SQLITE, str(EXAMPLE_SPEC), f"sqlite:///{tmp_path / 'g.db'}"],
             cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    counts, refused = r.stdout.strip().splitlines()
    assert counts.split() == ["50", "50", "False"]  # every record and its minute profile, pyarrow never imported
    assert refused == "MissingExtra: record_to=postgresql... needs the postgres extra: pip install 'telltale[postgres]'"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_lean_commands_name_the_extra_they_need(lean_venv: Path, tmp_path: Path) -> None:
    telltale = str(lean_venv / "bin" / "telltale")
    r = _run([telltale, "check", str(EXAMPLE_SPEC)], cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    expected = {
        "serve": "telltale serve needs the server extra: pip install 'telltale[server]'",
        "demo": "telltale demo needs the server and report extras: pip install 'telltale[server,report]'",
    }
    for command, message in expected.items():
        r = _run([telltale, command], cwd=tmp_path)
        assert (r.returncode, r.stderr.strip(), r.stdout) == (2, message, ""), command
    r = _run([str(lean_venv / "bin" / "python"), "-m", "telltale.server"], cwd=tmp_path)
    assert (r.returncode, r.stderr.strip()) == (1, "python -m telltale.server needs the server extra: pip install 'telltale[server]'")
