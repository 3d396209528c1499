"""Issue 10.3: a YAML alias bomb in ``PUT .../spec`` is refused before it is built.

On main a 455-byte bomb froze the server for 27 s and took 2 GB. Now the composer counts
nodes as aliases would expand them (never expanding), and refuses past the limit.
"""

from __future__ import annotations

import time
import tracemalloc

import httpx
import pytest

from telltale.errors import SpecError
from telltale.spec import parse_spec
from telltale.spec.load import SpecLimits
from tests.hostile.bombs import alias_bomb
from tests.server.conftest import ServerHandle


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_the_bomb_is_refused_in_milliseconds_with_flat_memory() -> None:
    bomb = alias_bomb()
    assert len(bomb.encode()) < 500  # 9 levels of 9: 387,420,489 strings when expanded
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(SpecError) as e:
        parse_spec(bomb)
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert str(e.value) == "telltale.yaml:5 is refused: it expands to more than 50000 nodes (aliases included); a spec needs far fewer"
    assert elapsed < 0.1
    assert peak < 2_000_000  # bytes: the graph of 80 nodes, never the expansion


def test_other_hostile_yaml_is_refused_by_name() -> None:
    cases = {
        "a: &a [*a]\n": "telltale.yaml:1 is refused: it has an alias that contains itself",
        "[" * 200 + "]" * 200: "telltale.yaml:1 is refused: it nests deeper than 64 levels",
        "x: " + "&a [1]\n" + "".join(f"y{i}: *a\n" for i in range(101)): "telltale.yaml:102 is refused: it uses more than 100 aliases (*name); write the values out",
        "x" * 300_000: "telltale.yaml is 300000 characters long; the limit is 256000 (a spec is usually a few thousand)",
    }
    for text, message in cases.items():
        with pytest.raises(SpecError) as e:
            parse_spec(text)
        assert str(e.value) == message


def test_limits_are_configurable() -> None:
    with pytest.raises(SpecError, match="nests deeper than 3 levels"):
        parse_spec("a: {b: {c: {d: 1}}}\n", limits=SpecLimits(max_depth=3))
    with pytest.raises(ValueError, match="SpecLimits.max_nodes must be >= 1, got 0"):
        SpecLimits(max_nodes=0)


def test_errors_name_no_pydantic_class_and_come_in_line_order() -> None:
    text = "service: a\nowner: b\ninputs:\n  x: 5\n  y: {type: float, range: [1]}\nguard: 3\n"
    with pytest.raises(SpecError) as e:
        parse_spec(text)
    assert [str(p) for p in e.value.problems] == [
        "telltale.yaml:4 inputs.x: must be a mapping of keys, got 5",
        "telltale.yaml:5 inputs.y.range: a range is [min, max] or {min: .., max: ..}, got a list of 1",
        "telltale.yaml:6 guard: must be a mapping of keys, got 3",
    ]


def test_the_bomb_over_http_is_422_at_once_and_the_server_stays_small(module_server: ServerHandle) -> None:
    pid = module_server.proc.pid
    with module_server.client() as c:
        c.get("/v1/services")  # warm: imports done, pool open
        before = _rss_kb(pid)
        timings = []
        for _ in range(3):  # the best of three: the server's cost, not a busy machine's scheduling
            t0 = time.perf_counter()
            resp = c.put("/v1/services/eta/spec", content=alias_bomb(), headers={"Content-Type": "application/yaml"})
            timings.append(time.perf_counter() - t0)
        elapsed = min(timings)
        after = _rss_kb(pid)
        assert resp.status_code == 422
        assert resp.json()["problems"] == [{"line": 5, "key": "", "message": "is refused: it expands to more than 50000 nodes (aliases included); a spec needs far fewer"}]
        assert elapsed < 0.1
        assert after - before < 10_000  # kB
        huge = c.put("/v1/services/eta/spec", content=b"a: 1\n" * 60_000, headers={"Content-Type": "application/yaml"})
        assert huge.status_code == 413
        assert huge.json()["detail"] == "the spec is 300000 bytes; the limit is 256000 bytes (a spec is usually a few thousand)"
        deep = c.put("/v1/services/eta/spec", content=b"[" * 5000 + b"]" * 5000, headers={"Content-Type": "application/json"})
        assert deep.status_code == 422 and "nested deeper than 64 levels" in deep.json()["detail"]
        assert httpx.get(module_server.url + "/healthz", timeout=1).status_code == 200
