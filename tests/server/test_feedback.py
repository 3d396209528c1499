"""Feedback over real HTTP: per-item errors like ingestion, replays once, performance per window."""

from __future__ import annotations

import pytest

from tests.server.conftest import ServerHandle
from tests.server.helpers import eta_record

T0 = 1_767_225_600.0 + 86400  # a day after the other modules' data

MALFORMED = [
    ({"label": 30.0}, "id", "is missing; name the decision with the id the guard gave it (decision.id)"),
    ({"id": "x", "action": "liked"}, "action", "must be one of accepted, overridden, ignored, corrected, got 'liked'"),
    ({"id": "x"}, "label", "is missing and so is action; send a label, an action, or both"),
    ({"id": "x", "action": "overridden"}, "value", "is missing: an override carries the value the person chose instead"),
    ({"id": "x", "label": 3, "ts": "yesterday"}, "ts", "must be a number of epoch seconds (when the feedback was given), got string 'yesterday'"),
    ({"id": "x", "label": {"hallucination": "yes"}}, "label.hallucination", "must be a name of at most 64 characters mapped to true or false"),
    ({"id": "x", "label": 1, "score": 2}, "score", "is not a feedback field; use action, actor, id, key, label, ts, value"),
]


@pytest.fixture(scope="module")
def labelled(module_server: ServerHandle) -> ServerHandle:
    """200 predictions over 20 minutes; labels for all of them six hours later, off by 2 or by 12 minutes."""
    recs = [eta_record(i, T0 + i * 6, prefix="fb") for i in range(200)]
    with module_server.client() as c:
        assert c.post("/v1/services/eta/predictions", json={"records": recs}).json()["accepted"] == 200
    return module_server


def test_malformed_items_are_named_and_good_ones_kept(labelled: ServerHandle) -> None:
    good = [{"id": "fb000000", "label": 21.0, "ts": T0 + 6 * 3600}]
    body = {"feedback": [raw for raw, _, _ in MALFORMED] + good}
    with labelled.client() as c:
        resp = c.post("/v1/services/eta/feedback", json=body)
        nan = c.post("/v1/services/eta/feedback", content=b'{"feedback": [{"id": "x", "label": NaN}]}',
                     headers={"content-type": "application/json"})
        shape = c.post("/v1/services/eta/feedback", json={"records": []})
    assert resp.status_code == 200
    data = resp.json()
    assert data["errors"] == [{"index": i, "field": f, "reason": r} for i, (_, f, r) in enumerate(MALFORMED)]
    assert (data["accepted"], data["joined"]) == (1, 1)
    assert nan.json()["errors"] == [{"index": 0, "field": "label", "reason": "NaN is not a valid JSON number; send null for a missing value"}]
    assert shape.status_code == 422 and "\"feedback\" list" in shape.json()["detail"]


def test_labels_six_hours_late_give_mae_per_window_and_a_critical_finding(labelled: ServerHandle) -> None:
    # first 100 predictions off by 2 minutes, the next 100 by 12: the second window passes mae max 8
    fb = [{"id": f"fb{i:06d}", "label": 20.0 + i % 30 + (2.0 if i < 100 else 12.0), "ts": T0 + i * 6 + 6 * 3600}
          for i in range(200)]
    with labelled.client() as c:
        first = c.post("/v1/services/eta/feedback", json={"feedback": fb}).json()
        replay = c.post("/v1/services/eta/feedback", json={"feedback": fb}).json()
        perf = c.get("/v1/services/eta/performance", params={"since": T0, "until": T0 + 1200, "window": 600}).json()
        hist = c.get("/v1/services/eta/feedback/fb000000").json()
    assert first["accepted"] == 200 and first["replaced"] == 1 and first["errors"] == []  # fb000000 had a label already
    assert (replay["accepted"], replay["duplicates"]) == (0, 200)
    w1, w2 = perf["windows"]
    assert (w1["labels"], w1["predictions"], w1["coverage"]) == (100, 100, 1.0)
    assert w1["metrics"]["mae"]["value"] == pytest.approx(2.0) and w2["metrics"]["mae"]["value"] == pytest.approx(12.0)
    assert w1["delay_mean_s"] == pytest.approx(6 * 3600)
    assert w1["findings"] == []
    (f,) = w2["findings"]
    assert (f["kind"], f["severity"], f["feature"], f["threshold"]) == ("performance", "critical", "mae", 8.0)
    assert "realized mae 12 (95% CI 12 to 12) on 100 labels, coverage 100%, mean label delay 6.0 h is above the ceiling 8" in f["message"]
    assert [e["label"] for e in hist["history"]] == [21.0, 22.0] and hist["current"]["label"] == 22.0


def test_predictions_page_with_a_cursor(labelled: ServerHandle) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    with labelled.client() as c:
        while True:
            params = {"since": T0, "until": T0 + 1200, "limit": 64, **({"cursor": cursor} if cursor else {})}
            data = c.get("/v1/services/eta/predictions", params=params).json()
            seen += [r["id"] for r in data["records"]]
            pages += 1
            cursor = data["next_cursor"]
            if cursor is None:
                break
        bad = c.get("/v1/services/eta/predictions", params={"cursor": "nope"})
    assert pages == 4 and seen == [f"fb{i:06d}" for i in range(200)]
    assert bad.status_code == 422 and "pass next_cursor from the previous page unchanged" in bad.json()["detail"]
