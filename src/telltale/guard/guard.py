"""The guard: the hot path between the caller and the model.

Every call: the contract check, the control mode, out-of-distribution input, the canary
route, the circuit breaker, the bulkhead, the model under the deadline with retries
inside the retry budget, the output gates, the fallback chain when anything said no,
the cost; then one ``PredictionRecord`` handed to the recorder (which never blocks) and
one ``Decision`` back to the caller, whose ``source`` says which step served and whose
``reasons`` say why. Everything is compiled at construction; a clean call allocates the
decision, the record and little else.

>>> from telltale.spec import parse_spec
>>> from telltale.record.memory import MemoryRecorder
>>> spec = parse_spec("service: eta\\nowner: me\\ninputs:\\n  km: {type: float, range: [0, 60]}\\n"
...                   "output: {type: float, range: [1, 240]}\\nfallback: [{default: 35.0}]\\n")
>>> g = Guard(spec, model=lambda r: 10 + 2 * r["km"], recorder=MemoryRecorder())
>>> g.predict({"km": 3.0}).value, g.predict({"km": 300.0}).source
(16.0, 'default')
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from telltale.clock import SYSTEM_CLOCK, Clock
from telltale.contract import Contract
from telltale.control import ControlSource, ControlState, control_source_for
from telltale.guard._ids import new_id
from telltale.guard.breaker import FAILURE, LOW_CONFIDENCE, OOD, CircuitBreaker, StateChange
from telltale.guard.bulkhead import Bulkhead
from telltale.guard.cost import CostModel
from telltale.guard.deadline import LateRecords, WorkerPool
from telltale.guard.fallback import FallbackChain
from telltale.guard.ood import DEFAULT_OOD_MAX, OODScorer
from telltale.guard.output import OutputGates, unpack
from telltale.guard.polling import ControlPoller
from telltale.guard.retry import RetryPolicy
from telltale.guard.stage import CURRENT, CallContext, Stage
from telltale.guard.stats import Counters, GuardStats
from telltale.guard.versions import CanaryRouter, ShadowRunner, Version, as_version
from telltale.spec.model import ServiceSpec
from telltale.types import Decision, PredictionRecord

#: Outcome of running the model: (raw answer, error, attempts, timed out).
_Outcome = tuple[Any, BaseException | None, int, bool]


class Guard:
    """Wraps a model with the protection its spec describes. See the module docstring."""

    def __init__(
        self,
        spec: ServiceSpec,
        model: Callable[..., Any] | Version | None = None,
        fallback: Callable[..., Any] | None = None,
        *,
        recorder: Any = None,
        record_to: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
        previous: Callable[..., Any] | Version | None = None,
        shadow: Callable[..., Any] | Version | None = None,
        canary: Callable[..., Any] | Version | None = None,
        control: ControlSource | str | None = None,
        key: str | Callable[[Mapping[str, Any]], Any] | None = None,
        reference: Any = None,
        on_review: Callable[[Mapping[str, Any]], Any] | None = None,
        on_state_change: Callable[[StateChange], None] | None = None,
        project: str = "default",
        token: str | None = None,
        late_grace_s: float = 2.0,
        seed: int | None = None,
    ) -> None:
        if not isinstance(spec, ServiceSpec):
            raise TypeError(f"Guard needs a ServiceSpec (telltale.load_spec(path)), got {type(spec).__name__}")
        g = spec.guard
        self.spec = spec
        self.service = spec.service
        self._clock = clock
        self._key = id(self)
        self._check = Contract(spec).check
        self._budget_s = g.budget_ms / 1000.0 if g.budget_ms is not None else None
        self._stage_budgets = {name: ms / 1000.0 for name, ms in g.stages.items()}
        self._primary = as_version(model, spec.model_version)
        self._previous = as_version(previous, spec.previous_version or "previous")
        self._canary = as_version(canary, f"{spec.model_version}+canary")
        self._router = CanaryRouter(g.canary_share, key, seed) if self._canary is not None else None
        self.breaker = CircuitBreaker(g.breaker, clock, on_change=on_state_change) if g.breaker is not None else None
        self.retry = RetryPolicy(g.retry, seed=seed) if g.retry is not None else None
        self.bulkhead = Bulkhead(g.bulkhead.max_concurrent, g.bulkhead.max_wait_ms / 1000.0) if g.bulkhead is not None else None
        self._gates = OutputGates(spec.output)
        wants_ood = spec.output.ood_max is not None or (g.breaker is not None and g.breaker.ood_rate is not None)
        self._ood = OODScorer(spec, reference) if wants_ood else None
        self._ood_max = spec.output.ood_max if spec.output.ood_max is not None else DEFAULT_OOD_MAX
        self._ood_blocks = spec.output.ood_max is not None
        self._chain = FallbackChain(spec, fallback, on_review)
        self._cost = CostModel(spec.cost)
        self._components = dict(spec.components)
        self._segment = next((name for name, f in spec.inputs.items() if f.segment), None)
        self.counters = Counters()
        self._recorder = recorder
        self._owns_recorder = recorder is None
        self._record_to = record_to or "sqlite:///telltale.db"
        self._project, self._token = project, token
        self._recorder_lock = threading.Lock()
        workers = (g.bulkhead.max_concurrent if g.bulkhead is not None else 16) + 4
        self._pool = WorkerPool(workers, f"telltale-{spec.service}") if self._budget_s is not None else None
        self._late = LateRecords(self._submit, late_grace_s)
        shadow_v = as_version(shadow, f"{spec.model_version}+shadow")
        self._shadow = (ShadowRunner(shadow_v, spec.service, g.shadow_sample, clock, self._submit, seed=seed)
                        if shadow_v is not None else None)
        if isinstance(control, str):
            control = control_source_for(control, project=project, token=token)
        self._poller = ControlPoller(control, spec.service, g.control_poll_s, clock) if control is not None else None

    # -- public API ---------------------------------------------------------------------
    def predict(self, record: Mapping[str, Any], *, key: Any = None, event_ts: float | None = None) -> Decision:
        """Decide for one record: the model's answer, or the fallback's with the reasons."""
        return self._predict(record, key, event_ts, self._primary)

    async def apredict(self, record: Mapping[str, Any], *, key: Any = None, event_ts: float | None = None) -> Decision:
        """The asyncio twin of ``predict``; async and sync model functions both work."""
        return await self._apredict(record, key, event_ts, self._primary)

    def predict_batch(self, records: Iterable[Mapping[str, Any]], *, keys: Sequence[Any] | None = None) -> list[Decision]:
        """One decision per record, in order (each call is guarded on its own)."""
        if keys is None:
            return [self._predict(r, None, None, self._primary) for r in records]
        return [self._predict(r, k, None, self._primary) for r, k in zip(records, keys, strict=True)]

    async def apredict_batch(self, records: Iterable[Mapping[str, Any]], *, keys: Sequence[Any] | None = None) -> list[Decision]:
        """Decisions for records run concurrently (the bulkhead still caps model calls)."""
        recs = list(records)
        ks = list(keys) if keys is not None else [None] * len(recs)
        if len(ks) != len(recs):
            raise ValueError(f"keys has {len(ks)} items but records has {len(recs)}")
        return list(await asyncio.gather(*(self._apredict(r, k, None, self._primary) for r, k in zip(recs, ks))))

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorator: ``fn`` becomes the guarded model; calling the result returns a Decision.

        The wrapper takes the record as one mapping or as keyword arguments, and passes it
        to ``fn`` the same way. Async functions give async wrappers.
        """
        import functools

        version = Version(fn, self.spec.model_version)
        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def awrapped(*args: Any, **kwargs: Any) -> Decision:
                record, v = _as_call(fn, version, args, kwargs, True)
                return await self._apredict(record, None, None, v)
            return awrapped

        @functools.wraps(fn)
        def wrapped(*args: Any, **kwargs: Any) -> Decision:
            record, v = _as_call(fn, version, args, kwargs, False)
            return self._predict(record, None, None, v)
        return wrapped

    def stage(self, name: str) -> Stage:
        """Time a stage of the call: ``with guard.stage("retrieval"):``, ``async with``, or ``@``."""
        return Stage(name, self._key, self._clock, self._budget_s, self._stage_budgets.get(name))

    @property
    def control_state(self) -> ControlState:
        return self._poller.state if self._poller is not None else ControlState()

    def refresh_control(self) -> ControlState:
        """Read the control source now rather than at the next poll."""
        return self._poller.refresh() if self._poller is not None else ControlState()

    @property
    def state_changes(self) -> list[StateChange]:
        """The breaker's recent state changes, oldest first (a ring of the last 100)."""
        return list(self.breaker.changes) if self.breaker is not None else []

    @property
    def stats(self) -> GuardStats:
        return GuardStats.collect(self)

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop the background threads, submit held records, flush and close an owned recorder."""
        if self._poller is not None:
            self._poller.close()
        self._late.close()
        if self._shadow is not None:
            self._shadow.close()
        if self._pool is not None:
            self._pool.shutdown()
        if self._owns_recorder and self._recorder is not None:
            self._recorder.close(timeout)

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- the sync path ------------------------------------------------------------------
    def _predict(self, record: Mapping[str, Any], key: Any, event_ts: float | None, primary: Version | None) -> Decision:
        clock = self._clock
        t0 = clock.monotonic()
        ctx = self._enter(t0)
        reasons: list[str] = []
        violations = self._check(record)
        route, source = self._admit(record, violations, key, primary, reasons, ctx, t0)
        raw, err, attempts, timed_out, fut = None, None, 0, False, None
        bh = self.bulkhead
        if route is not None and bh is not None and not bh.acquire():
            route, source = self._shed(reasons)
        if route is not None:
            try:
                if ctx.deadline is None:
                    raw, err, attempts, _ = self._attempts(route.model, record, None)
                else:
                    raw, err, attempts, timed_out, fut = self._attempts_by_deadline(route.model, record, ctx.deadline)
            finally:
                if bh is not None:
                    if fut is None:
                        bh.release()
                    else:
                        fut.add_done_callback(_release(bh))
        value, confidence, usage, source = self._judge(route, source, raw, err, attempts, timed_out, ctx, reasons)
        if source == "review":
            value, source = self._chain.review(record, reasons)
        elif source not in _MODEL_SOURCES:
            value, source = self._chain.serve(record, reasons)
        return self._finish(record, violations, route, value, confidence, usage, source, attempts, reasons,
                            ctx, t0, event_ts, fut if timed_out else None)

    def _attempts(self, model: Callable[..., Any], record: Mapping[str, Any], deadline: float | None) -> _Outcome:
        """Call the model, retrying retryable errors inside the deadline and the budget."""
        policy = self.retry
        if policy is None:
            try:
                return model(record), None, 1, False
            except Exception as e:
                return None, e, 1, False
        attempt = 0
        while True:
            attempt += 1
            try:
                raw = model(record)
            except Exception as e:
                if not self._may_retry(policy, e, attempt, deadline):
                    return None, e, attempt, False
                continue
            policy.budget.succeeded()
            return raw, None, attempt, False

    def _may_retry(self, policy: RetryPolicy, e: BaseException, attempt: int, deadline: float | None) -> bool:
        """After a failed attempt: spend the budget token, decide, and back off (sync)."""
        delay = self._retry_delay(policy, e, attempt, deadline)
        if delay is None:
            return False
        self._clock.sleep(delay)
        return True

    def _retry_delay(self, policy: RetryPolicy, e: BaseException, attempt: int, deadline: float | None) -> float | None:
        allowed = policy.budget.failed_can_retry()  # every failed attempt costs a token
        if attempt >= policy.max_attempts or not policy.retryable(e):
            return None
        if not allowed:
            self.counters.add("retries_denied_by_budget")
            return None
        delay = policy.backoff(attempt)
        if deadline is not None and self._clock.monotonic() + delay >= deadline:
            self.counters.add("retries_denied_by_deadline")
            return None
        self.counters.add("retries")
        return delay

    def _attempts_by_deadline(self, model: Callable[..., Any], record: Mapping[str, Any], deadline: float):
        fut: Future[_Outcome] = self._pool.submit(contextvars.copy_context().run, self._attempts, model, record, deadline)  # type: ignore[union-attr]
        try:
            raw, err, attempts, _ = fut.result(timeout=max(0.0, deadline - self._clock.monotonic()))
        except FutureTimeout:
            return None, None, 1, True, fut
        return raw, err, attempts, False, fut

    # -- the async path -----------------------------------------------------------------
    async def _apredict(self, record: Mapping[str, Any], key: Any, event_ts: float | None, primary: Version | None) -> Decision:
        clock = self._clock
        t0 = clock.monotonic()
        ctx = self._enter(t0)
        reasons: list[str] = []
        violations = self._check(record)
        route, source = self._admit(record, violations, key, primary, reasons, ctx, t0)
        raw, err, attempts, timed_out, fut = None, None, 0, False, None
        bh = self.bulkhead
        if route is not None and bh is not None and not await bh.aacquire():
            route, source = self._shed(reasons)
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
        elif source not in _MODEL_SOURCES:
            value, source = await self._chain.aserve(record, reasons)
        return self._finish(record, violations, route, value, confidence, usage, source, attempts, reasons,
                            ctx, t0, event_ts, fut if timed_out else None)

    async def _acall(self, model: Callable[..., Any], record: Mapping[str, Any], deadline: float | None):
        is_async = inspect.iscoroutinefunction(model)
        if deadline is None:
            if is_async:
                raw, err, attempts, _ = await self._aattempts(model, record, None)
            else:
                raw, err, attempts, _ = self._attempts(model, record, None)
            return raw, err, attempts, False, None
        if is_async:
            fut: asyncio.Future[_Outcome] = asyncio.ensure_future(self._aattempts(model, record, deadline))
        else:
            loop = asyncio.get_running_loop()
            fut = loop.run_in_executor(self._pool.executor, contextvars.copy_context().run,  # type: ignore[union-attr]
                                       self._attempts, model, record, deadline)
        done, _ = await asyncio.wait({fut}, timeout=max(0.0, deadline - self._clock.monotonic()))
        if not done:
            return None, None, 1, True, fut
        raw, err, attempts, _ = fut.result()
        return raw, err, attempts, False, fut

    async def _aattempts(self, model: Callable[..., Any], record: Mapping[str, Any], deadline: float | None) -> _Outcome:
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

    # -- shared steps -------------------------------------------------------------------
    def _enter(self, t0: float) -> CallContext:
        ctx = CURRENT.get()
        if ctx is None or ctx.owner != self._key:
            ctx = CallContext(self._key, t0, self._budget_s)
        CURRENT.set(ctx)
        poller = self._poller
        if poller is not None and t0 >= poller.next_due:
            poller.nudge(t0)
        return ctx

    def _admit(self, record: Mapping[str, Any], violations: list, key: Any, primary: Version | None,
               reasons: list[str], ctx: CallContext, t0: float) -> tuple[Version | None, str]:
        """Decide whether this call goes to a model, and which. (None, why) means fallback."""
        if violations:
            blocking = [v for v in violations if v.required]
            if blocking:
                reasons.extend(f"input {v.field} {v.message}" for v in blocking)
                self.counters.add("blocked_by_contract")
                return None, "fallback"
        route = primary
        source = "model"
        poller = self._poller
        if poller is not None:
            state = poller.state
            if state.mode != "normal":
                why = f": {state.reason}" if state.reason else ""
                if state.mode == "fallback":
                    reasons.append(f"control mode is fallback{why}")
                    return None, "fallback"
                if state.mode == "review":
                    reasons.append(f"control mode is review{why}")
                    return None, "review"
                if self._previous is None:
                    reasons.append(f"control mode is rollback{why}, but no previous model was given to the guard")
                    return None, "fallback"
                reasons.append(f"control mode is rollback{why}: served by the previous version {self._previous.version}")
                route = self._previous
        if route is None:
            raise TypeError("this guard has no model: pass Guard(spec, model=fn) or use guard.wrap(fn)")
        if self._ood is not None:
            score, why = self._ood.score(record)
            if score > self._ood_max:
                self.counters.trigger("ood")
                ctx.flags = OOD
                if self._ood_blocks:
                    if self.breaker is not None and self.breaker.state == "closed":
                        self.breaker.record(OOD)
                    reasons.append(f"input is out of distribution (score {score:.3g} > {self._ood_max:g}): {why}")
                    return None, "fallback"
        if self._router is not None and route is primary and self._router.pick(record, key):
            route, source = self._canary, "canary"
        if ctx.deadline is not None and t0 >= ctx.deadline:
            spent = ", ".join(f"{k} {v:.1f} ms" for k, v in ctx.stages.items())
            reasons.append(f"deadline of {self._budget_s * 1000:g} ms passed before the model call"  # type: ignore[operator]
                           + (f" (stages: {spent})" if spent else ""))
            self.counters.add("deadline_before_call")
            return None, "fallback"
        breaker = self.breaker
        if breaker is not None and not breaker.allow():
            last = breaker.changes[-1].reason if breaker.changes else ""
            reasons.append(f"circuit breaker is {breaker.state}: failing fast" + (f" ({last})" if last else ""))
            return None, "fallback"
        return route, source

    def _shed(self, reasons: list[str]) -> tuple[None, str]:
        bh = self.bulkhead
        if self.breaker is not None:
            self.breaker.cancel_trial()  # the breaker let this call through; it never ran
        reasons.append(f"bulkhead full: {bh.limit} model calls in flight after waiting {bh.max_wait_s * 1000:g} ms; shed")  # type: ignore[union-attr]
        return None, "fallback"

    def _judge(self, route: Version | None, source: str, raw: Any, err: BaseException | None, attempts: int,
               timed_out: bool, ctx: CallContext, reasons: list[str]) -> tuple[Any, float | None, Any, str]:
        """Turn the model's outcome into (value, confidence, usage, source); record it in the breaker."""
        if route is None:
            return None, None, None, source
        breaker = self.breaker
        if timed_out:
            self.counters.add("timeouts")
            reasons.append(f"deadline of {self._budget_s * 1000:g} ms passed while the model was running")  # type: ignore[operator]
            if breaker is not None:
                breaker.record(FAILURE | ctx.flags)
            return None, None, None, "fallback"
        if err is not None:
            self.counters.add("model_errors")
            tries = f" after {attempts} attempts" if attempts > 1 else ""
            reasons.append(f"model {route.version} raised {type(err).__name__}: {err}{tries}")
            if breaker is not None:
                breaker.record(FAILURE | ctx.flags)
            return None, None, None, "fallback"
        value, confidence, usage = unpack(raw, self._gates.classes)
        gate = self._gates.check(value, confidence)
        if breaker is not None:
            breaker.record(ctx.flags | (0 if gate is None else (LOW_CONFIDENCE if gate[0] == "confidence" else FAILURE)))
        if gate is not None:
            self.counters.trigger(gate[0])
            reasons.append(gate[1])
            return value, confidence, usage, "fallback"
        return value, confidence, usage, source

    def _finish(self, record: Mapping[str, Any], violations: list, route: Version | None, value: Any,
                confidence: float | None, usage: Any, source: str, attempts: int, reasons: list[str],
                ctx: CallContext, t0: float, event_ts: float | None, late: Any) -> Decision:
        clock = self._clock
        CURRENT.set(None)
        now = clock.monotonic()
        latency_ms = (now - ctx.start) * 1000.0
        stages = ctx.stages
        if attempts:
            stages = dict(stages)
            stages["model"] = (now - t0) * 1000.0
        if ctx.overruns:
            reasons.extend(ctx.overruns)
        served = source in _MODEL_SOURCES
        version = (route or self._primary or _NO_VERSION).version
        cost = self._cost.cost(attempts, usage if served else None) if attempts else None
        if not served:
            confidence = None
        did = new_id()
        inputs = dict(record)
        # positional, in field order (pinned by a test): keywords cost 1 µs more per object
        rec = PredictionRecord(did, self.service, clock.now(), inputs, value, confidence, source, version,
                               self._components, latency_ms, stages, cost, violations, reasons,
                               _segment(record, self._segment), event_ts)
        self.counters.served(source)
        if late is None:
            self._submit(rec)
        else:
            self._hold_late(rec, late, ctx.start)
        if self._shadow is not None:
            self._shadow.offer(did, inputs, value, source)
        return Decision(did, value, source, confidence, reasons, latency_ms, stages, violations, version, cost)

    def _hold_late(self, rec: PredictionRecord, fut: Any, start: float) -> None:
        """Keep the record until the late model answer arrives (or the grace ends)."""
        self._late.hold(rec)
        clock, late, classes = self._clock, self._late, self._gates.classes

        def note(r: PredictionRecord, f: Any) -> None:
            ms = (clock.monotonic() - start) * 1000.0
            r.stages = {**r.stages, "model_late": ms}
            if f.cancelled():
                r.reasons.append(f"late model call was cancelled after {ms:.1f} ms")
                return
            raw, err, attempts, _ = f.result()
            if err is not None:
                r.reasons.append(f"late model call failed after {ms:.1f} ms: {type(err).__name__}: {err}")
            else:
                r.reasons.append(f"late model answer {unpack(raw, classes)[0]!r} arrived after {ms:.1f} ms; not returned")

        fut.add_done_callback(lambda f: late.resolve(rec.id, lambda r: note(r, f)))

    def _submit(self, rec: PredictionRecord) -> None:
        recorder = self._recorder
        if recorder is None:
            recorder = self._open_recorder()
        recorder.submit(rec)

    def _open_recorder(self) -> Any:
        with self._recorder_lock:
            if self._recorder is None:
                from telltale.record import recorder_for  # lazy: built on the first decision

                self._recorder = recorder_for(self._record_to, project=self._project, token=self._token)
            return self._recorder


_MODEL_SOURCES = frozenset({"model", "canary"})
_NO_VERSION = Version(lambda r: None, "unversioned")


def _release(bh: Bulkhead) -> Callable[[Any], None]:
    return lambda _f: bh.release()


def _segment(record: Mapping[str, Any], field: str | None) -> str | None:
    if field is None:
        return None
    v = record.get(field)
    return None if v is None else str(v)


def _as_call(fn: Callable[..., Any], version: Version, args: tuple, kwargs: dict, is_async: bool) -> tuple[Mapping[str, Any], Version]:
    """Normalise a wrapped function's call to (record, version calling ``fn`` the same way)."""
    if len(args) == 1 and not kwargs and isinstance(args[0], Mapping):
        return args[0], version
    if args:
        raise TypeError(f"{fn.__name__} is guarded: call it with one record mapping or with keyword arguments")
    if is_async:
        async def call_kw(r: Mapping[str, Any]) -> Any:
            return await fn(**r)
        return kwargs, Version(call_kw, version.version)
    return kwargs, Version(lambda r: fn(**r), version.version)
