"""The asyncio path of a guarded call: async and sync models, deadlines without threads
for coroutines, and the same steps as the sync path. A mixin of ``Guard``.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

from telltale.guard.steps import MODEL_SOURCES, Outcome, Steps, _release
from telltale.guard.versions import Version
from telltale.types import Decision


class AsyncSteps(Steps):
    """``apredict`` and the async model calls behind it."""

    async def _apredict(self, record: Mapping[str, Any], key: Any, event_ts: float | None, primary: Version | None) -> Decision:
        t0 = self._mono()
        ctx = self._enter(t0)
        reasons: list[str] = []
        violations = self._check(record)
        route, source = self._admit(record, violations, key, primary, reasons, ctx, t0, event_ts)
        raw, err, attempts, timed_out, fut = None, None, 0, False, None
        bh = self.bulkhead
        if route is not None and bh is not None and not await bh.aacquire():
            route, source = self._shed(reasons, ctx)
        if route is not None:
            try:
                raw, err, attempts, timed_out, fut = await self._acall(route.model, record, ctx.deadline)
            finally:
                if bh is not None:
                    if fut is None:
                        bh.release()
                    else:
                        fut.add_done_callback(_release(bh))
        value, confidence, usage, source = self._judge(route, source, raw, err, attempts, timed_out, ctx, reasons)
        if source == "review":
            value, source = self._chain.review(record, reasons)
        elif source not in MODEL_SOURCES:
            value, source = await self._chain.aserve(record, reasons)
        return self._finish(record, violations, route, value, confidence, usage, source, attempts, reasons,
                            ctx, t0, event_ts, fut if timed_out else None)

    async def _acall(self, model: Callable[..., Any], record: Mapping[str, Any], deadline: float | None
                     ) -> tuple[Any, BaseException | None, int, bool, asyncio.Future[Outcome] | Future[Outcome] | None]:
        is_async = inspect.iscoroutinefunction(model)
        if deadline is None:
            if is_async:
                raw, err, attempts, _ = await self._aattempts(model, record, None)
            else:
                raw, err, attempts, _ = self._attempts(model, record, None)
                if err is None and inspect.isawaitable(raw):  # a callable object or partial of an async fn
                    try:
                        raw = await raw
                    except Exception as e:
                        raw, err = None, e
            return raw, err, attempts, False, None
        if is_async:
            fut: asyncio.Future[Outcome] = asyncio.ensure_future(self._aattempts(model, record, deadline))
        else:
            try:
                cfut = self._pool.submit(contextvars.copy_context().run, self._attempts, model, record, deadline)  # type: ignore[union-attr]
            except RuntimeError as e:  # the pool was shut down by close()
                return None, RuntimeError(f"guard is closed ({e})"), 0, False, None
            # late answers and the bulkhead slot follow the thread's own future, which
            # completes even after this event loop is gone
            done, _ = await asyncio.wait({asyncio.wrap_future(cfut)}, timeout=max(0.0, deadline - self._mono()))
            if not done:
                return None, None, 1, True, cfut
            raw, err, attempts, _ = cfut.result()
            return raw, err, attempts, False, cfut
        done, _ = await asyncio.wait({fut}, timeout=max(0.0, deadline - self._mono()))
        if not done:
            return None, None, 1, True, fut
        raw, err, attempts, _ = fut.result()
        return raw, err, attempts, False, fut

    async def _aattempts(self, model: Callable[..., Any], record: Mapping[str, Any], deadline: float | None) -> Outcome:
        policy = self.retry
        attempt = 0
        while True:
            attempt += 1
            try:
                raw = await model(record)
            except Exception as e:
                if policy is None:
                    return None, e, attempt, False
                delay = self._retry_delay(policy, e, attempt, deadline)
                if delay is None:
                    return None, e, attempt, False
                await self._clock.asleep(delay)
                continue
            if policy is not None:
                policy.budget.succeeded()
            return raw, None, attempt, False
