"""What the SLO indicators beyond the minute profiles cost a policy tick (SQLite).

    .venv/bin/python bench/slo_sources.py          # under a minute

1. ``Store.feedback_minutes`` over the two minutes a tick recounts, with N feedback
   events in them: this read grows with feedback traffic (one JSON row per decision's
   current feedback), so its cost per event is the figure to watch.
2. ``slo_status`` with ``accuracy`` and ``estimated_accuracy`` SLOs over a day of labelled
   predictions (two a minute): the first computation, the steady tick (recounts the last
   hour of labels) and the tick at the top of the hour (recounts the day).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telltale.feedback.event import FeedbackEvent  # noqa: E402
from telltale.policy.slo import status_of  # noqa: E402
from telltale.spec import parse_spec  # noqa: E402
from telltale.store import Store  # noqa: E402
from telltale.types import PredictionRecord  # noqa: E402

T0 = 1_767_225_600.0
SPEC = ("service: churn\nowner: me\ninputs:\n  x: {type: float}\noutput: {type: category, classes: [stay, leave]}\n"
        "slos:\n  - {name: acc, indicator: accuracy, min: 0.9}\n  - {name: est, indicator: estimated_accuracy, min: 0.9}\n")


def feedback_read(n: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        s = Store.open(f"sqlite:///{d}/t.db")
        s.put_service("p", parse_spec(SPEC))
        s.write_feedback("p", [FeedbackEvent(f"r{i}", "churn", T0 + i * 120 / n, action="overridden" if i % 7 == 0 else "accepted",
                                             value="stay" if i % 7 == 0 else None) for i in range(n)])
        times = []
        for _ in range(5):
            t = time.perf_counter()
            s.feedback_minutes("p", "churn", T0, T0 + 120)
            times.append(time.perf_counter() - t)
        s.close()
    med = statistics.median(times)
    print(f"feedback_minutes, {n:>6} events in 2 min: median {med * 1000:7.1f} ms ({med / n * 1e6:.1f} us an event)")


def accuracy_ticks() -> None:
    with tempfile.TemporaryDirectory() as d:
        s = Store.open(f"sqlite:///{d}/t.db")
        spec = parse_spec(SPEC)
        s.put_service("p", spec)
        n = 2 * 1440
        s.write_predictions("p", [PredictionRecord(id=f"r{i}", service="churn", ts=T0 + i * 30, inputs={"x": 1.0}, output="leave",
                                                   confidence=0.8, source="model") for i in range(n)])
        s.write_feedback("p", [FeedbackEvent(f"r{i}", "churn", T0 + i * 30 + 5, label="leave" if i % 5 else "stay") for i in range(n)])
        now = T0 + 86400 + 60
        t = time.perf_counter()
        status_of(s, "p", spec, now)
        print(f"accuracy + estimated_accuracy, a day of labels: first status {(time.perf_counter() - t) * 1000:7.1f} ms")
        steady = []
        for k in range(1, 11):
            t = time.perf_counter()
            status_of(s, "p", spec, now + 60 * k)
            steady.append(time.perf_counter() - t)
        print(f"  steady tick (last hour recounted): median {statistics.median(steady) * 1000:7.1f} ms, max {max(steady) * 1000:.1f} ms")
        t = time.perf_counter()
        status_of(s, "p", spec, T0 + 2 * 86400)
        print(f"  top-of-the-hour tick (the day recounted): {(time.perf_counter() - t) * 1000:7.1f} ms")
        s.close()


if __name__ == "__main__":
    for n in (2_000, 20_000):
        feedback_read(n)
    accuracy_ticks()
