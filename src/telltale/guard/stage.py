"""Stages of one guarded call, timed and held to budgets: ``with guard.stage("retrieval"):``.

A call's deadline starts when its first stage starts, so the whole-call budget
(``spec.guard.budget_ms``) is carried across stages, into the model call and across its
retries. Stages entered before ``guard.predict`` belong to the next prediction made in
the same context (thread or asyncio task); stages entered inside the model function
belong to the prediction running it. Each stage's time is recorded with the decision,
and a stage over its own budget (``spec.guard.stages``) is named in the reasons.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from telltale.clock import Clock

F = TypeVar("F", bound=Callable[..., Any])


class CallContext:
    """The timing state of one guarded call, shared by its stages and the model call.

    ``owner`` is the guard's key while the call is in progress and ``FINISHED`` after it:
    a finished call marks its context so instead of clearing ``CURRENT`` (one attribute
    store, where a ``ContextVar.set`` allocates), and whatever comes next in this thread
    or task, a stage or a call, starts a fresh one.
    """

    __slots__ = ("owner", "start", "deadline", "stages", "overruns", "flags", "guard")

    def __init__(self, owner: int, start: float, budget_s: float | None) -> None:
        self.owner = owner
        self.start = start
        self.deadline = start + budget_s if budget_s is not None else None
        self.stages: dict[str, float] = {}
        self.overruns: tuple[str, ...] = ()  # a stage over its budget adds its reason (rare)
        self.flags = 0  # breaker outcome bits learned before the model call (OOD input)
        self.guard: str | None = None  # the guard that took this call from the model, if one did


#: ``CallContext.owner`` of a finished call (no guard's key is 0).
FINISHED = 0


#: The call in progress (or being prepared by stages) in this thread or task.
CURRENT: ContextVar[CallContext | None] = ContextVar("telltale_guard_call", default=None)


class Stage:
    """Times one stage; a context manager (sync and async) and a decorator.

    ``remaining_s`` tells code inside the stage how much of the call's budget is left,
    to pass on as a timeout to its own clients.
    """

    __slots__ = ("name", "_owner", "_clock", "_budget_s", "_stage_budget_s", "_ctx", "_t0", "_created")

    def __init__(self, name: str, owner: int, clock: Clock, budget_s: float | None, stage_budget_s: float | None) -> None:
        self.name = name
        self._owner = owner
        self._clock = clock
        self._budget_s = budget_s
        self._stage_budget_s = stage_budget_s
        self._ctx: CallContext | None = None
        self._t0 = 0.0
        self._created = False

    def __enter__(self) -> Stage:
        now = self._clock.monotonic()
        ctx = CURRENT.get()
        if ctx is None or ctx.owner != self._owner:
            ctx = CallContext(self._owner, now, self._budget_s)
            CURRENT.set(ctx)
            self._created = True
        self._ctx, self._t0 = ctx, now
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        ctx = self._ctx
        if ctx is None:  # exited without entering
            return
        elapsed = self._clock.monotonic() - self._t0
        ms = elapsed * 1000.0
        ctx.stages[self.name] = ctx.stages.get(self.name, 0.0) + ms
        if self._stage_budget_s is not None and elapsed > self._stage_budget_s:
            ctx.overruns += (f"stage {self.name} took {ms:.1f} ms, over its budget of {self._stage_budget_s * 1000:g} ms",)
        if exc_type is not None and self._created:
            CURRENT.set(None)  # the call failed before predict: do not leak into the next one

    async def __aenter__(self) -> Stage:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)

    @property
    def remaining_s(self) -> float | None:
        """Seconds left of the call's budget (None when there is no budget)."""
        ctx = self._ctx
        if ctx is None or ctx.deadline is None:
            return None
        return ctx.deadline - self._clock.monotonic()

    def __call__(self, fn: F) -> F:
        """Decorator form: every call of ``fn`` is timed as this stage (fresh state per call)."""
        make = functools.partial(Stage, self.name, self._owner, self._clock, self._budget_s, self._stage_budget_s)
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def awrapper(*args: Any, **kwargs: Any) -> Any:
                async with make():
                    return await fn(*args, **kwargs)
            return awrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with make():
                return fn(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
