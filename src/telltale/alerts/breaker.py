"""A circuit breaker per receiver, and the backoff between one notification's attempts.

Closed, a receiver gets every due notification. After ``breaker_failures`` failed
attempts in a row it opens: nothing is sent to it for ``breaker_open_s``. Then one
attempt goes through (half-open): success closes it and releases everything that was
waiting; failure opens it again. So a receiver down for ten minutes costs at most
``breaker_failures + 10 min / breaker_open_s`` attempts, however many alerts fire.
"""

from __future__ import annotations

from telltale.store._alerts import ReceiverState


def backoff_s(attempt: int, base_s: float, cap_s: float) -> float:
    """Seconds before retry number ``attempt`` (1-based): base, 2 base, 4 base... up to cap."""
    return min(cap_s, base_s * 2.0 ** max(0, attempt - 1))


def allows(state: ReceiverState, now: float) -> bool:
    return state.open_until is None or now >= state.open_until


def half_open(state: ReceiverState, threshold: int) -> bool:
    """Open before and now past its wait: the next attempt is a trial."""
    return state.failures >= threshold


def after_failure(state: ReceiverState, now: float, threshold: int, open_s: float) -> ReceiverState:
    failures = state.failures + 1
    return ReceiverState(failures, now + open_s if failures >= threshold else state.open_until, state.last_sent_at)


def after_answer(state: ReceiverState, now: float, *, delivered: bool) -> ReceiverState:
    """The receiver answered (took the message, or refused it for good): it is up."""
    return ReceiverState(0, None, now if delivered else state.last_sent_at)
