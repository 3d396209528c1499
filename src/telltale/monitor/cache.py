"""Decoded minute profiles kept between ticks.

Each window the monitor evaluates reads the hour before it as well (the guard baseline),
so consecutive ticks read the same minutes again; decoding a profile costs milliseconds.
The cache keeps the decoded profile of each stored row with the ``updated_at`` it was
read at, and decodes again only rows that late records changed. Merges are in the same
order as ``Store.read_minutes``, so the verdicts are the same as without it.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

from telltale.profile import Profile
from telltale.store import Store

#: Rows kept: about two days of one service's minutes, or two hours of 24 services'.
SIZE = 3000

_Key = tuple[str, str, int, str]


class MinuteCache:
    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._rows: OrderedDict[_Key, tuple[float | None, Profile]] = OrderedDict()
        self._lock = threading.Lock()

    def read_minutes(self, store: Store, project: str, service: str, since: float, until: float) -> list[tuple[int, Profile]]:
        """What ``store.read_minutes`` returns, decoding only rows not seen at this ``updated_at``."""
        out: list[tuple[int, Profile]] = []
        for minute, version, stamp, blob in store.minute_rows(project, service, since, until):
            key = (project, service, minute, version)
            with self._lock:
                hit = self._rows.get(key)
                if hit is not None:
                    self._rows.move_to_end(key)
            if hit is not None and hit[0] == stamp and stamp is not None:
                p = hit[1]
            else:
                p = Profile.from_bytes(blob)
                with self._lock:
                    self._rows[key] = (stamp, p)
                    while len(self._rows) > self._size:
                        self._rows.popitem(last=False)
            if out and out[-1][0] == minute:
                out[-1] = (minute, out[-1][1].merge(p))
            else:
                out.append((minute, p))
        return out


_CACHES: weakref.WeakKeyDictionary[Store, MinuteCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_for(store: Store) -> MinuteCache:
    """The cache of ``store`` (one per store object, gone with it)."""
    with _CACHES_LOCK:
        c = _CACHES.get(store)
        if c is None:
            c = _CACHES[store] = MinuteCache()
        return c
