"""Golden tests for the burn-rate windows, in the manner of promtool's rule tests: series
in, alerts out, no wall clock. Series are events per minute written ``<value>x<minutes>``
("60x120 0x30": 60 a minute for two hours, then none for half an hour); each case names
the minutes (since the series start) at which each alert is active. Every expectation
is worked by hand in its comment, for a 99.9% objective over 30 days."""

from __future__ import annotations

import pytest

from telltale.policy.burn import WORKBOOK, Series, verdict

OBJECTIVE, PERIOD = 0.999, 30 * 86400.0
DAY = 1440


def expand(text: str) -> list[float]:
    out: list[float] = []
    for part in text.split():
        value, _, count = part.partition("x")
        out += [float(value)] * int(count or 1)
    return out


def active(bad: str, total: str, alert: str, minutes: range, **kw) -> list[int]:
    s = Series.from_counts(0, expand(bad), expand(total))
    return [m for m in minutes if getattr(verdict(s, m * 60.0, OBJECTIVE, PERIOD, **kw), alert)]


def spans(ms: list[int]) -> list[tuple[int, int]]:
    """[first, last + 1) runs of consecutive minutes."""
    out: list[tuple[int, int]] = []
    for m in ms:
        if out and out[-1][1] == m:
            out[-1] = (out[-1][0], m + 1)
        else:
            out.append((m, m + 1))
    return out


def test_the_workbook_thresholds_for_30_days():
    assert [(w.alert, w.long_s, w.short_s, round(w.threshold(PERIOD), 6)) for w in WORKBOOK] == [
        ("page", 3600, 300, 14.4), ("page", 21600, 1800, 6.0), ("ticket", 259200, 21600, 1.0)]


def test_a_steady_half_budget_burn_never_alerts():
    # 0.05% bad: a 0.5x burn, under every threshold, for three days
    for alert in ("page", "ticket", "not_enough_events", "no_data"):
        assert active(f"3x{3 * DAY}", f"6000x{3 * DAY}", alert, range(0, 3 * DAY + 1, 7)) == []


def test_a_100x_burn_for_30_minutes():
    # 60 events a minute; 6 bad a minute (10%, 100x) in minutes [120, 150)
    bad, total = "0x120 6x30 0x600", "60x750"
    # the slow page (6 h and 30 min at 6x) fires first here, the 6 h window holding only
    # 120 + k minutes: 6k / (60 (120 + k)) >= 0.006 at k = 8 (minute 128); the fast one
    # (1 h and 5 min at 14.4x) at 6k / 3600 >= 0.0144, k = 9. The slow page holds while
    # the last 30 min keep 2 bad minutes (2 * 6 / 1800 >= 0.006): to minute 178
    assert spans(active(bad, total, "page", range(750))) == [(128, 179)]
    fast = [w for w in WORKBOOK if w.long_s == 3600]
    assert spans(active(bad, total, "page", range(750), windows=fast)) == [(129, 155)]  # 5 min after the burn ends
    # ticket (3 d and 6 h at 1x): 6k >= 0.06 (120 + k) at k = 2; ends when the 6 h window
    # (21,600 events) holds fewer than 4 bad minutes (24 > 21.6 bad): 150 - (t - 360) >= 4 to t = 506
    assert spans(active(bad, total, "ticket", range(750))) == [(122, 507)]


def test_a_30_second_outage_never_pages():
    # three days at 60 a minute, then half a minute of errors (30 bad in one minute)
    bad, total = f"0x{3 * DAY} 30x1 0x120", f"60x{3 * DAY + 121}"
    window = range(3 * DAY - 10, 3 * DAY + 121)
    assert active(bad, total, "page", window) == []  # 1 h burn: 30 / 3600 / 0.001 = 8.3 < 14.4
    assert active(bad, total, "ticket", window) == []  # 3 d burn: 30 / 259200 / 0.001 = 0.12 < 1


def test_too_few_events_says_so_instead_of_paging():
    # one event every 5 minutes, all bad for an hour: 12 events in the hour, 36 in 3 hours
    bad, total = "0x120 0.2x60", "0.2x180"
    assert active(bad, total, "page", range(181)) == []
    assert active(bad, total, "ticket", range(181)) == []
    assert spans(active(bad, total, "not_enough_events", range(181))) == [(121, 181)]
    # the same share on enough traffic pages at once
    assert active("0x120 60x60", "60x180", "page", range(119, 123)) == [121, 122]


def test_data_that_stops_arriving_raises_no_data():
    # events for two hours, then nothing: no event for 15 min is no data from minute 135
    s = Series.from_counts(0, expand("0x180"), expand("60x120 0x60"))
    got = [m for m in range(110, 181) if verdict(s, m * 60.0, OBJECTIVE, PERIOD).no_data]
    assert spans(got) == [(135, 181)]
    # records still arrive but the indicator has none (a stage that is not recorded)
    s = Series.from_counts(0, expand("0x60"), expand("0x60"), records=expand("10x60"))
    assert verdict(s, 60 * 60.0, OBJECTIVE, PERIOD).status == "no data"


def test_budget_remaining():
    # 1,000,000 events with 250 bad against a 0.1% budget (1,000): 75% left
    s = Series.from_counts(0, [250.0], [1_000_000.0])
    assert verdict(s, 60.0, OBJECTIVE, PERIOD).budget_remaining == pytest.approx(0.75)
    assert verdict(Series.from_counts(0, [0.0], [0.0]), 60.0, OBJECTIVE, PERIOD).budget_remaining is None


def test_series_must_start_on_a_minute():
    with pytest.raises(ValueError, match="a series starts on a minute, got 30"):
        Series.from_counts(30, [1.0], [1.0])
