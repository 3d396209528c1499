"""A real Prometheus (Debian's package, installed by scripts/test) scrapes a real
``telltale serve``: decisions by source, guard triggers, open findings per kind, SLO
objectives and burn rates arrive as series Prometheus can query."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import EXAMPLE_SPEC
from tests.server.conftest import ServerHandle, free_port, start_server
from tests.server.helpers import eta_record

BINARY = shutil.which("prometheus")

CONFIG = """\
global: {{scrape_interval: 1s, scrape_timeout: 1s}}
scrape_configs:
  - job_name: telltale
    static_configs: [{{targets: ["127.0.0.1:{port}"]}}]
"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServerHandle]:
    h = start_server(f"sqlite:///{tmp_path / 'telltale.db'}", specs=[EXAMPLE_SPEC], monitor_every=1)
    yield h
    h.stop()


@pytest.fixture
def prometheus(tmp_path: Path, served: ServerHandle) -> Iterator[str]:
    if BINARY is None:
        pytest.fail("prometheus is not installed: run the tests through scripts/test, which installs it")
    (tmp_path / "prometheus.yml").write_text(CONFIG.format(port=served.port))
    port = free_port()
    log = (tmp_path / "prometheus.log").open("w")
    proc = subprocess.Popen([BINARY, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: httpx.get(url + "/-/ready", timeout=1).status_code == 200, 30,
              lambda: f"prometheus did not start:\n{(tmp_path / 'prometheus.log').read_text()}")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _wait(ok: Any, seconds: float, why: Any) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if ok():
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(why())
        time.sleep(0.2)


def _query(url: str, expr: str) -> dict[tuple[tuple[str, str], ...], float]:
    body = httpx.get(url + "/api/v1/query", params={"query": expr}, timeout=5).json()
    assert body["status"] == "success", body
    return {tuple(sorted((k, v) for k, v in r["metric"].items() if k not in ("__name__", "instance", "job"))): float(r["value"][1])
            for r in body["data"]["result"]}


def test_prometheus_scrapes_decisions_findings_and_slos(served: ServerHandle, prometheus: str) -> None:
    now = time.time()
    start = (now // 300) * 300 - 900  # three closed five-minute windows the monitor judges at once
    records = [eta_record(i, start + i * 3) for i in range(200)]
    for r in records[:40]:
        r.update(source="rules", guard="breaker")  # the breaker took these calls from the model
    for r in records[100:]:
        r["inputs"]["prep_time_s"] = 90_000.0  # past the range [0, 7200]
    with served.client() as c:
        assert c.post("/v1/services/eta/predictions", json={"records": records}).json()["accepted"] == 200
        assert c.post("/v1/services/eta/predictions", json={"records": records[:50]}).json()["duplicates"] == 50

    _wait(lambda: _query(prometheus, 'up{job="telltale"}') == {(): 1.0}, 30, lambda: "prometheus never scraped telltale")

    def key(**labels: str) -> tuple[tuple[str, str], ...]:
        return tuple(sorted({"project": "default", "service": "eta", **labels}.items()))

    def decisions() -> dict[Any, float]:
        return _query(prometheus, "telltale_decisions_total")

    _wait(lambda: decisions() == {key(source="model"): 160.0, key(source="rules"): 40.0}, 30,
          lambda: f"decisions never matched: {decisions()}")  # the replayed 50 are not counted again
    assert _query(prometheus, "telltale_guard_triggers_total") == {key(guard="breaker"): 40.0}

    def range_open() -> dict[Any, float]:
        return _query(prometheus, 'telltale_findings_open{kind="range"}')

    # one feature out of range in the two newest windows: one stored finding (its fingerprint is per feature)
    _wait(lambda: range_open() == {key(family="data", kind="range", severity="critical"): 1.0}, 40,
          lambda: f"open range findings never matched: {range_open()}")

    objectives = _query(prometheus, "telltale_slo_objective")
    assert objectives[key(slo="errors")] == 0.999  # the spec's objective
    assert objectives[key(slo="fallback-rate")] == pytest.approx(0.95)  # max 0.05 of decisions
    windows = {dict(k)["window"] for k in _query(prometheus, 'telltale_slo_burn_rate{slo="errors"}')}
    assert windows == {"5m", "30m", "1h", "6h", "3d"}
