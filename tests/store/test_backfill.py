"""``Store.backfill_minutes``: chunks of minutes in their own transactions, and a minute
another writer fills meanwhile stops the run instead of being counted twice."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from telltale.engines.minutes import MinuteProfile
from telltale.errors import UnknownServiceError
from telltale.profile import Profile
from telltale.spec import parse_spec
from telltale.store import Store
from telltale.store._backfill import CHUNK_MINUTES, BackfillRace

SPEC = parse_spec("service: s\nowner: me\ninputs:\n  x: {type: float}\n")
T0 = 1_767_225_600


def _minutes(count: int, n: int = 1) -> list[MinuteProfile]:
    data = Profile.from_columns(SPEC, {"x": [1.0] * n}).to_bytes()
    return [MinuteProfile("", T0 + 60 * i, n, data) for i in range(count)]


def _n(url: str) -> dict[int, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT minute, n FROM tt_minute_profiles WHERE service = 's'")).all()
    engine.dispose()
    return {int(m) - T0: int(n) for m, n in rows}


def test_a_minute_filled_meanwhile_stops_the_run_and_its_chunk_rolls_back(db_url):
    store = Store.open(db_url)
    with pytest.raises(UnknownServiceError, match="service 's' is not registered in project 'default'"):
        store.backfill_minutes("default", "s", _minutes(1))
    store.put_service("default", SPEC)
    total = CHUNK_MINUTES + 100
    late = CHUNK_MINUTES + 50  # in the second chunk

    def another_writer(done: int, of: int) -> None:
        if done == CHUNK_MINUTES:  # after the first chunk committed, before the second
            store.backfill_minutes("default", "s", [_minutes(late + 1, n=3)[late]])

    with pytest.raises(BackfillRace, match=rf"^minute 2026-01-01T09:10Z of service 's' was written by another writer during "
                                           rf"this backfill; stopped with {CHUNK_MINUTES} of {total} minutes written "
                                           r"\(their rows are stored once\)$"):
        store.backfill_minutes("default", "s", _minutes(total), progress=another_writer)
    held = _n(db_url)
    assert held == {**{60 * i: 1 for i in range(CHUNK_MINUTES)}, 60 * late: 3}  # the second chunk rolled back whole
    assert store.backfill_minutes("default", "s", _minutes(total)[CHUNK_MINUTES:late]) == late - CHUNK_MINUTES
    store.close()
