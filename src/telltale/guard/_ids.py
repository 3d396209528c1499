"""Fast unique decision ids: a per-process random prefix and a counter.

``uuid4`` costs about 2 µs; this costs about 0.15 µs (``%x`` formatting is the cheapest
of the ways to write the counter in hex). The prefix is drawn again in a
forked child, so two processes never share ids (the store is idempotent by id, and a
shared id would silently drop a record).
"""

from __future__ import annotations

import itertools
import os
from typing import Any

_state: list[Any] = []  # [prefix, itertools.count]; replaced whole after a fork


def _reset() -> None:
    _state[:] = [os.urandom(6).hex() + "-", itertools.count(1)]


_reset()
os.register_at_fork(after_in_child=_reset)


def new_id() -> str:
    """A process-unique, globally unlikely-to-collide id such as ``'9f86d081884c-1a'``."""
    prefix: str
    counter: itertools.count[int]
    prefix, counter = _state
    return prefix + "%x" % next(counter)
