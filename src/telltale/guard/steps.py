"""The steps of one guarded call, shared by the sync and async paths.

Admission (contract, control mode, out-of-distribution input, canary route, deadline,
breaker), calling the model with retries inside the deadline and the retry budget,
judging its answer (errors, timeouts, output gates; the breaker learns the outcome),
and finishing (cost, the one record handed to the recorder, the decision). A mixin of
``Guard``: the attributes it reads are set in ``Guard.__init__``.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping
from concurrent.futures import Future, TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from telltale.guard._ids import new_id
from telltale.guard.breaker import FAILURE, LOW_CONFIDENCE, OOD
from telltale.guard.bulkhead import Bulkhead
from telltale.guard.cost import usage_tokens
from telltale.guard.output import Output, unpack
from telltale.guard.retry import RetryPolicy
from telltale.guard.stage import CURRENT, FINISHED, CallContext
from telltale.guard.versions import Version
from telltale.types import Decision, PredictionRecord

if TYPE_CHECKING:
    import threading

    from telltale.clock import Clock
    from telltale.guard.breaker import CircuitBreaker
    from telltale.guard.cost import CostModel
    from telltale.guard.deadline import LateRecords, WorkerPool
    from telltale.guard.fallback import FallbackChain
    from telltale.guard.ood import OODScorer
    from telltale.guard.output import OutputGates
    from telltale.guard.polling import ControlPoller
    from telltale.guard.staleness import StalenessGate
    from telltale.guard.stats import Counters
    from telltale.guard.versions import CanaryRouter, ShadowRunner
    from telltale.record.base import Recorder
    from telltale.types import Violation

#: Outcome of running the model: (raw answer, error, attempts, timed out).
Outcome = tuple[Any, BaseException | None, int, bool]

#: Sources that mean "a model served"; anything else goes down the fallback chain.
MODEL_SOURCES = frozenset({"model", "canary"})


class Steps:
    """The guard's per-call steps (see the module docstring)."""

    # set in Guard.__init__; declared here so the steps are type-checked against them
    service: str
    _clock: Clock
    _mono: Callable[[], float]
    _wall: Callable[[], float]
    _key: int
    _check: Callable[[Mapping[str, Any]], list[Violation]]
    _budget_s: float | None
    _primary: Version | None
    _previous: Version | None
    _canary: Version | None
    _router: CanaryRouter | None
    breaker: CircuitBreaker | None
    retry: RetryPolicy | None
    bulkhead: Bulkhead | None
    _gates: OutputGates
    _ood: OODScorer | None
    _ood_max: float
    _ood_blocks: bool
    _stale: StalenessGate | None
    _chain: FallbackChain
    _cost: CostModel
    _costed: bool
    _components: dict[str, str]
    _segment: str | None
    counters: Counters
    last_record_error: str | None
    _recorder: Recorder | None
    _record_to: str
    _project: str
    _token: str | None
    _recorder_lock: threading.Lock
    _pool: WorkerPool | None
    _late: LateRecords
    _shadow: ShadowRunner | None
    _poller: ControlPoller | None

    # -- calling the model (sync) ----------------------------------------------------------
    def _attempts(self, model: Callable[..., Any], record: Mapping[str, Any], deadline: float | None) -> Outcome:
        """Call the model, retrying retryable errors inside the deadline and the budget."""
        try:
            raw = model(record)
        except Exception as e:
            raw, err, attempts = self._retries(model, record, e, deadline)
            return raw, err, attempts, False
        if self.retry is not None:
            self.retry.budget.succeeded()
        return raw, None, 1, False

    def _retries(self, model: Callable[..., Any], record: Mapping[str, Any], err: BaseException,
                 deadline: float | None) -> tuple[Any, BaseException | None, int]:
        """After a failed first attempt: (raw, error, attempts) of the retries that are allowed."""
        policy = self.retry
        attempt = 1
        while policy is not None and self._may_retry(policy, err, attempt, deadline):
            attempt += 1
            try:
                raw = model(record)
            except Exception as e:
                err = e
                continue
            policy.budget.succeeded()
            return raw, None, attempt
        return None, err, attempt

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
        if deadline is not None and self._mono() + delay >= deadline:
            self.counters.add("retries_denied_by_deadline")
            return None
        self.counters.add("retries")
        return delay

    def _attempts_by_deadline(self, model: Callable[..., Any], record: Mapping[str, Any], deadline: float
                              ) -> tuple[Any, BaseException | None, int, bool, Future[Outcome] | None]:
        try:
            fut: Future[Outcome] = self._pool.submit(contextvars.copy_context().run, self._attempts, model, record, deadline)  # type: ignore[union-attr]
        except RuntimeError as e:  # the pool was shut down by close(): serve the fallback, say why
            return None, RuntimeError(f"guard is closed ({e})"), 0, False, None
        try:
            raw, err, attempts, _ = fut.result(timeout=max(0.0, deadline - self._mono()))
        except FutureTimeout:
            return None, None, 1, True, fut
        return raw, err, attempts, False, fut


    # -- admission, judgement, finishing -------------------------------------------------
    def _enter(self, t0: float) -> CallContext:
        ctx = CURRENT.get()
        if ctx is None or ctx.owner != self._key:  # no stage of this call ran before it
            ctx = CallContext(self._key, t0, self._budget_s)
            CURRENT.set(ctx)
        poller = self._poller
        if poller is not None and t0 >= poller.next_due:
            poller.nudge(t0)
        return ctx

    def _admit(self, record: Mapping[str, Any], violations: list[Violation], key: Any, primary: Version | None,
               reasons: list[str], ctx: CallContext, t0: float, event_ts: float | None = None) -> tuple[Version | None, str]:
        """Decide whether this call goes to a model, and which. (None, why) means fallback."""
        if violations:
            blocking = [v for v in violations if v.required]
            if blocking:
                reasons.extend(f"input {v.field} {v.message}" for v in blocking)
                self.counters.add("blocked_by_contract")
                ctx.guard = "contract"
                return None, "fallback"
        if self._stale is not None:
            why = self._stale.check(record, event_ts, self._wall())
            if why is not None:
                reasons.append(why)
                self.counters.trigger("stale")
                ctx.guard = "stale"
                return None, "fallback"
        route = primary
        source = "model"
        poller = self._poller
        canary_ok = True
        if poller is not None:
            state = poller.state
            if state.mode == "canary_stopped":
                canary_ok = False  # the primary takes the canary's share; nothing else changes
            elif state.mode != "normal":
                why = f": {state.reason}" if state.reason else ""
                ctx.guard = "control"
                if state.mode == "fallback":
                    reasons.append(f"control mode is fallback{why}")
                    return None, "fallback"
                if state.mode == "review":
                    reasons.append(f"control mode is review{why}")
                    return None, "review"
                if self._previous is None:
                    reasons.append(f"control mode is rollback{why}, but no previous model was given to the guard")
                    return None, "fallback"
                ctx.guard = None  # rolled back, but the (previous) model still serves
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
                    ctx.guard = "ood"
                    return None, "fallback"
        if self._router is not None and canary_ok and route is primary and self._router.pick(record, key):
            route, source = self._canary, "canary"
        if ctx.deadline is not None and t0 >= ctx.deadline:
            spent = ", ".join(f"{k} {v:.1f} ms" for k, v in ctx.stages.items())
            reasons.append(f"deadline of {self._budget_s * 1000:g} ms passed before the model call"  # type: ignore[operator]
                           + (f" (stages: {spent})" if spent else ""))
            self.counters.add("deadline_before_call")
            ctx.guard = "deadline"
            return None, "fallback"
        breaker = self.breaker
        if breaker is not None and not breaker.allow():
            last = breaker.changes[-1].reason if breaker.changes else ""
            reasons.append(f"circuit breaker is {breaker.state}: failing fast" + (f" ({last})" if last else ""))
            ctx.guard = "breaker"
            return None, "fallback"
        return route, source

    def _shed(self, reasons: list[str], ctx: CallContext) -> tuple[None, str]:
        ctx.guard = "bulkhead"
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
            ctx.guard = "deadline"
            return None, None, None, "fallback"
        if err is not None:
            self.counters.add("model_errors")
            tries = f" after {attempts} attempts" if attempts > 1 else ""
            reasons.append(f"model {route.version} raised {type(err).__name__}: {err}{tries}")
            if breaker is not None:
                breaker.record(FAILURE | ctx.flags)
            ctx.guard = "model_error"
            return None, None, None, "fallback"
        return self._judge_answer(raw, source, ctx, reasons)

    def _judge_answer(self, raw: Any, source: str, ctx: CallContext, reasons: list[str]) -> tuple[Any, float | None, Any, str]:
        """The model answered: unpack it, hold it to the output gates, tell the breaker."""
        gates = self._gates
        if gates.classes is None and raw.__class__ is not Output:
            value, confidence, usage = raw, None, None  # a plain value: what unpack would return
        else:
            value, confidence, usage = unpack(raw, gates.classes)
        gate = gates.check(value, confidence)
        if gate is None:
            if self.breaker is not None:
                self.breaker.record(ctx.flags)
            return value, confidence, usage, source
        if self.breaker is not None:
            self.breaker.record(ctx.flags | (LOW_CONFIDENCE if gate[0] == "confidence" else FAILURE))
        self.counters.trigger(gate[0])
        reasons.append(gate[1])
        ctx.guard = f"output_{gate[0]}"
        return value, confidence, usage, "fallback"

    def _finish(self, record: Mapping[str, Any], violations: list[Violation], route: Version | None, value: Any,
                confidence: float | None, usage: Any, source: str, attempts: int, reasons: list[str],
                ctx: CallContext, t0: float, event_ts: float | None, late: Any) -> Decision:
        ctx.owner = FINISHED  # the next call or stage in this context starts a fresh one
        now = self._mono()
        latency_ms = (now - ctx.start) * 1000.0
        stages = ctx.stages
        if attempts:
            stages = {**stages, "model": (now - t0) * 1000.0} if stages else {"model": (now - t0) * 1000.0}
        if ctx.overruns:
            reasons.extend(ctx.overruns)
        served = source in MODEL_SOURCES
        version = (route or self._primary or _NO_VERSION).version
        # tokens an answer used are spent even when an output gate then refused it
        cost = self._cost.cost(attempts, usage) if attempts and self._costed else None
        if not served:
            confidence = None
        did = new_id()
        inputs = dict(record)
        # positional, in field order (pinned by a test): keywords cost 1 µs more per object
        rec = PredictionRecord(did, self.service, self._wall(), inputs, value, confidence, source, version,
                               self._components, latency_ms, stages, cost, violations, reasons,
                               _segment(record, self._segment) if self._segment else None, event_ts, ctx.guard,
                               attempts or None)
        if usage is not None:
            t = usage_tokens(usage)
            rec.input_tokens, rec.output_tokens, rec.cached_tokens = t.input, t.output, t.cached
        self.counters.served(source)
        if late is not None:
            self._hold_late(rec, late, ctx.start)
        elif self._recorder is not None:
            try:  # _submit, inline
                self._recorder.submit(rec)
            except Exception as e:
                self._record_failed(e)
        else:
            self._submit(rec)
        if self._shadow is not None:
            self._shadow.offer(did, inputs, value, source)
        return Decision(did, value, source, confidence, reasons, latency_ms, stages, violations, version, cost)

    def _hold_late(self, rec: PredictionRecord, fut: Any, start: float) -> None:
        """Keep the record until the late model answer arrives (or the grace ends)."""
        rec.reasons = list(rec.reasons)  # the caller's Decision keeps its own list
        self._late.hold(rec)
        mono, late, classes = self._mono, self._late, self._gates.classes

        def note(r: PredictionRecord, f: Any) -> None:
            ms = (mono() - start) * 1000.0
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
        try:
            if recorder is None:
                recorder = self._open_recorder()
            recorder.submit(rec)
        except Exception as e:
            self._record_failed(e)

    def _record_failed(self, e: Exception) -> None:
        # a recorder must never raise; if one does, count it, never fail the call
        self.counters.add("record_errors")
        self.last_record_error = f"{type(e).__name__}: {e}"

    def _open_recorder(self) -> Any:
        with self._recorder_lock:
            if self._recorder is None:
                from telltale.record import recorder_for  # lazy: built on the first decision

                self._recorder = recorder_for(self._record_to, project=self._project, token=self._token)
            return self._recorder


_NO_VERSION = Version(lambda r: None, "unversioned")


def _release(bh: Bulkhead) -> Callable[[Any], None]:
    return lambda _f: bh.release()


def _segment(record: Mapping[str, Any], field: str | None) -> str | None:
    if field is None:
        return None
    v = record.get(field)
    return None if v is None else str(v)
