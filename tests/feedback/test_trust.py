"""Trust per window and per actor against the week before: a team that stopped using the
output, and a flagged rate (hallucinations) that rose, each named; steady teams are not."""

from __future__ import annotations

import math

import pytest

from telltale.feedback import FeedbackEvent, trust_findings
from telltale.feedback.trust import trust_windows
from telltale.spec import parse_spec
from telltale.store import Store
from telltale.types import Window

T0 = 1_767_225_600.0
WEEK = 7 * 86400.0
SPEC = parse_spec("service: chat\nowner: me\ninputs:\n  q: {type: string}\noutput: {type: string}\n")


def _events(start: float, actor: str, n: int, action_every: dict[str, int], flag_every: int | None = None) -> list[FeedbackEvent]:
    out = []
    for i in range(n):
        action = next((a for a, k in action_every.items() if i % k == 0), "accepted")
        label = {"hallucination": i % flag_every == 0} if flag_every else None
        value = "a person's answer" if action == "overridden" else None
        out.append(FeedbackEvent(f"{actor}-{start}-{i}", "chat", start + i * 30, label=label, action=action, value=value, actor=actor))
    return out


@pytest.fixture
def store(db_url: str) -> Store:
    s = Store.open(db_url)
    s.put_service("p", SPEC)
    ref, cur = T0, T0 + WEEK
    batches = [
        _events(ref, "support", 100, {"overridden": 10}, flag_every=50),  # 10% overrides, 2% hallucinations
        _events(ref, "sales", 100, {"ignored": 10}),
        _events(cur, "support", 100, {"overridden": 10}, flag_every=5),  # overrides steady, hallucinations 20%
        _events(cur, "sales", 100, {"ignored": 2}),  # half ignored: the sales team stopped using it
    ]
    for b in batches:
        s.write_feedback("p", b)
    yield s
    s.close()


def test_a_team_that_stopped_using_the_output_and_a_rising_flag_are_named(store: Store) -> None:
    found = {f.feature: f for f in trust_findings(store, "p", SPEC, Window.from_epoch(T0 + WEEK, T0 + WEEK + 3600))}
    assert set(found) == {"ignore_rate", "ignore_rate:sales", "flag:hallucination", "flag:hallucination:support"}
    sales = found["ignore_rate:sales"]
    assert sales.value == pytest.approx(0.5) and sales.threshold == pytest.approx(0.1 + 0.1)
    pooled = (50 + 10) / 200
    z = (0.5 - 0.10) / math.sqrt(pooled * (1 - pooled) * (2 / 100))
    assert f"(z = {z:.1f})" in sales.message and z > 6 and sales.severity == "critical"
    assert "ignored decisions for actor sales rose to 50% of 100 feedback events from 10% of 100" in sales.message
    assert found["ignore_rate"].severity == "warning"  # 25% from 5% overall: z 5.6, short of twice the margin
    flag = found["flag:hallucination"]
    assert flag.value == pytest.approx(20 / 100) and flag.severity == "warning"  # +18 points: past 10, short of 20


def test_rates_per_window_and_actor(store: Store) -> None:
    (w,) = trust_windows(store, "p", "chat", T0 + WEEK, T0 + WEEK + 3600, 3600)
    d = w.to_dict()
    assert d["feedback"] == 200 and d["override_rate"] == pytest.approx(10 / 200) and d["ignore_rate"] == pytest.approx(50 / 200)
    assert d["actors"]["support"]["flags"] == {"hallucination": {"rate": 0.2, "n": 100}}
    with pytest.raises(ValueError, match="trust window must be a whole number of hours"):
        trust_windows(store, "p", "chat", T0, T0 + 3600, 600)
