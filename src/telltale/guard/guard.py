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
import inspect
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any, cast

from telltale.clock import SYSTEM_CLOCK, Clock, SystemClock
from telltale.contract import Contract
from telltale.control import ControlSource, ControlState, control_source_for
from telltale.extras import require
from telltale.feedback.event import FeedbackEvent
from telltale.feedback.recording import FeedbackChannel
from telltale.guard._ids import new_id
from telltale.guard.aio import AsyncSteps
from telltale.guard.breaker import CLOSED, CircuitBreaker, StateChange
from telltale.guard.bulkhead import Bulkhead
from telltale.guard.cost import CostModel
from telltale.guard.deadline import LateRecords, WorkerPool
from telltale.guard.fallback import FallbackChain
from telltale.guard.ood import DEFAULT_OOD_MAX, OODScorer
from telltale.guard.output import OutputGates
from telltale.guard.polling import ControlPoller
from telltale.guard.retry import RetryPolicy
from telltale.guard.stage import CURRENT, FINISHED, CallContext, Stage
from telltale.guard.staleness import StalenessGate
from telltale.guard.stats import Counters, GuardStats
from telltale.guard.steps import _NO_VERSION, MODEL_SOURCES, Outcome, _release
from telltale.guard.versions import CanaryRouter, ShadowRunner, Version, as_version
from telltale.spec.model import ServiceSpec
from telltale.types import Decision, PredictionRecord, Violation


class Guard(AsyncSteps):
    """Wraps a model with the protection its spec describes (``spec.guard``, ``spec.output``,
    ``spec.fallback``, ``spec.cost``).
    ``guard.feedback(id, label=..., action=...)`` sends what became of a decision to
    ``feedback_to`` (default: where the guard records).

    ``model`` and ``fallback`` take the record (a mapping) and return a value, an
    :class:`~telltale.guard.Output` (value, confidence, usage) or, for a classifier with
    ``output.classes``, a row of probabilities; either may be async. ``fallback`` is the
    chain's ``rules`` step and may return ``None`` to pass. Decisions are recorded through
    ``recorder`` (any ``telltale.record.Recorder``), else one built on the first call from
    ``record_to`` (default ``sqlite:///telltale.db``; an ``http(s)://`` server needs
    ``token``). ``previous`` serves in control mode ``rollback``; ``shadow`` sees a copy of
    the traffic (its records go to ``shadow_recorder`` if given, else to ``recorder``, with
    source ``shadow``); ``canary`` takes ``spec.guard.canary_share`` of traffic, sticky by
    ``key`` (a field name or a function of the record). ``control`` is a
    ``ControlSource`` or a URL it is read from; by default a guard given ``record_to``
    follows the mode of that server or store (``control=False`` opts out). ``reference`` (a ``Profile`` or a mapping of
    bounds) is what the out-of-distribution score compares inputs with; without it the
    spec's ranges and categories are used. ``late_grace_s`` is how long a call's record is
    held for a model answer that missed the deadline.
    """

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
        shadow_recorder: Any = None,
        canary: Callable[..., Any] | Version | None = None,
        control: ControlSource | str | bool | None = None,
        key: str | Callable[[Mapping[str, Any]], Any] | None = None,
        reference: Any = None,
        on_review: Callable[[Mapping[str, Any]], Any] | None = None,
        on_state_change: Callable[[StateChange], None] | None = None,
        project: str = "default",
        token: str | None = None,
        late_grace_s: float = 2.0,
        seed: int | None = None,
        feedback_to: Any = None,
    ) -> None:
        if not isinstance(spec, ServiceSpec):
            raise TypeError(f"Guard needs a ServiceSpec (telltale.load_spec(path)), got {type(spec).__name__}")
        g = spec.guard
        self.spec = spec
        self.service = spec.service
        self._clock = clock
        # the system clock's own functions, called directly: one Python call less each
        self._mono, self._wall = ((time.perf_counter, time.time) if type(clock) is SystemClock
                                  else (clock.monotonic, clock.now))
        self._key = id(self)
        contract = Contract(spec)
        self._check = contract.check
        self._valid = contract._valid  # its generated shortcut: True means check() would return []
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
        self._plain_output = self._gates.plain
        wants_ood = spec.output.ood_max is not None or (g.breaker is not None and g.breaker.ood_rate is not None)
        self._ood = OODScorer(spec, reference) if wants_ood else None
        self._ood_max = spec.output.ood_max if spec.output.ood_max is not None else DEFAULT_OOD_MAX
        self._ood_blocks = spec.output.ood_max is not None
        self._stale = StalenessGate.for_spec(spec)
        self._chain = FallbackChain(spec, fallback, on_review)
        self._cost = CostModel(spec.cost)
        self._costed = self._cost.enabled
        self._components = dict(spec.components)
        self._segment = next((name for name, f in spec.inputs.items() if f.segment), None)
        self.counters = Counters()
        self._served_model = self.counters.ticker("model")
        self.last_record_error: str | None = None
        self._recorder = recorder
        self._owns_recorder = recorder is None
        self._record_to = record_to or "sqlite:///telltale.db"
        if recorder is None and self._record_to.startswith("postgresql"):
            require("postgres", what="record_to=postgresql...")  # at construction, not on the first call
        self._project, self._token = project, token
        self._recorder_lock = threading.Lock()
        fb_target = feedback_to if feedback_to is not None else (record_to if recorder is not None else self._record_to)
        self._feedback = FeedbackChannel(fb_target, project=project, token=token, recorder=recorder)
        workers = (g.bulkhead.max_concurrent if g.bulkhead is not None else 16) + 4
        self._pool = WorkerPool(workers, f"telltale-{spec.service}") if self._budget_s is not None else None
        self._late = LateRecords(self._submit, late_grace_s)
        shadow_v = as_version(shadow, f"{spec.model_version}+shadow")
        shadow_submit = shadow_recorder.submit if shadow_recorder is not None else self._submit
        self._shadow = (ShadowRunner(shadow_v, spec.service, g.shadow_sample, clock, shadow_submit, seed=seed)
                        if shadow_v is not None else None)
        if control is True and record_to is None:
            raise ValueError("control=True follows the store or server of record_to, but record_to was not given")
        if (control is None or control is True) and record_to is not None:
            control = record_to  # a guard recording to a server or a store follows its mode (issue 9)
        self._owned_control = isinstance(control, str)  # built here from a URL: closed with the guard
        if isinstance(control, str):
            control = control_source_for(control, project=project, token=token)
        # control is a source here, or False/None: True was replaced by record_to (or refused) above
        self._poller = ControlPoller(cast(ControlSource, control), spec.service, g.control_poll_s, clock) if control else None
        # nothing for admission to weigh but the contract and the breaker: no out-of-distribution
        # score, no canary, no deadline, no staleness limit (a control mode other than normal is
        # checked per call)
        self._plain_admit = self._ood is None and self._router is None and self._budget_s is None and self._stale is None
        # nothing for finishing to add but the record and the decision: no cost, segment, shadow
        self._plain_finish = not self._costed and self._segment is None and self._shadow is None

    # -- public API ---------------------------------------------------------------------
    def predict(self, record: Mapping[str, Any], *, key: Any = None, event_ts: float | None = None) -> Decision:
        """Decide for one record: the model's answer, or the fallback's with the reasons.

        ``key`` keeps a caller on one side of a canary (else the guard's ``key`` is used);
        ``event_ts`` is when the input was produced upstream, for freshness monitoring.
        """
        try:
            return self._predict(record, key, event_ts, self._primary)
        except BaseException:
            CURRENT.set(None)  # a failed call must not leave its timing to the next one
            raise

    async def apredict(self, record: Mapping[str, Any], *, key: Any = None, event_ts: float | None = None) -> Decision:
        """The asyncio twin of ``predict``; async and sync model functions both work."""
        try:
            return await self._apredict(record, key, event_ts, self._primary)
        except BaseException:
            CURRENT.set(None)
            raise

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

    def flush(self, timeout: float | None = 5.0) -> bool:
        """Wait until every decision made so far is recorded (stored or spilled); True when done."""
        r = self._recorder
        flush = getattr(r, "flush", None)
        return True if flush is None else flush(timeout) is not False

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop the background threads, submit held records, flush and close an owned recorder."""
        if self._poller is not None:
            self._poller.close()
            if self._owned_control and hasattr(self._poller.source, "close"):
                self._poller.source.close()
        self._late.close()
        if self._shadow is not None:
            self._shadow.close()
        if self._pool is not None:
            self._pool.shutdown()
        if self._owns_recorder and self._recorder is not None:
            self._recorder.close(timeout)
        self._feedback.close(timeout)

    def feedback(self, id: str, *, label: Any = None, action: str | None = None, value: Any = None,
                 actor: str | None = None, ts: float | None = None) -> None:
        """Tell telltale what became of decision ``id``: its ``label`` (the truth, or flags such as
        ``{"hallucination": True}``) and/or the person's ``action`` (``accepted``, ``overridden``
        with the ``value`` chosen, ``ignored``, ``corrected``). Sent in the background to
        ``feedback_to`` (default: where the guard records); never blocks on I/O."""
        self._feedback.submit(FeedbackEvent(id, self.service, self._wall() if ts is None else ts, label, action, value, actor))

    @property
    def feedback_stats(self) -> Any:
        """The feedback recorder's counters (``written``, ``dropped`` by reason, ``queue_depth``)."""
        return self._feedback.stats

    def flush_feedback(self, timeout: float | None = None) -> bool:
        return self._feedback.flush(timeout)

    def __enter__(self) -> Guard:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- the sync path ------------------------------------------------------------------
    def _predict(self, record: Mapping[str, Any], key: Any, event_ts: float | None, primary: Version | None) -> Decision:
        """One guarded call. The common case runs straight through here: a valid record,
        nothing for admission to weigh but a closed breaker, a free bulkhead slot, no
        deadline, a plain number inside the output range, no stage timings, cost, segment
        or shadow. Anything else branches into the shared steps (``steps.py``), which
        decide exactly as they do for ``apredict``; every shortcut below says which step
        it stands for.
        """
        t0 = self._mono()
        ctx = CURRENT.get()
        if ctx is None or ctx.owner != self._key:  # no stage of this call ran before it
            ctx = CallContext(self._key, t0, self._budget_s)
            CURRENT.set(ctx)
        if self._poller is not None and t0 >= self._poller.next_due:
            self._poller.nudge(t0)
        reasons: list[str] = []
        violations = [] if self._valid(record) else self._check(record)
        breaker = self.breaker
        poller = self._poller
        route: Version | None
        if (self._plain_admit and not violations and primary is not None and (breaker is None or breaker.state is CLOSED)
                and (poller is None or poller.normal)):
            route, source = primary, "model"  # what _admit decides here (a closed breaker's allow() is True)
        else:
            route, source = self._admit(record, violations, key, primary, reasons, ctx, t0, event_ts)
        raw: Any
        err: BaseException | None
        fut: Future[Outcome] | None
        raw, err, attempts, timed_out, fut = None, None, 0, False, None
        bh = self.bulkhead
        if route is not None and bh is not None and not bh.acquire():
            route, source = self._shed(reasons, ctx)
        if route is not None:
            try:
                if ctx.deadline is None:  # _attempts, with the first attempt inline
                    attempts = 1
                    try:
                        raw = route.model(record)
                    except Exception as e:
                        raw, err, attempts = self._retries(route.model, record, e, None)
                    else:
                        if self.retry is not None:
                            self.retry.budget.succeeded()
                else:
                    raw, err, attempts, timed_out, fut = self._attempts_by_deadline(route.model, record, ctx.deadline)
            finally:
                if bh is not None:
                    if fut is None:
                        bh.release()
                    else:
                        fut.add_done_callback(_release(bh))
        if err is None and not timed_out and route is not None:
            plain = self._plain_output
            if plain is not None and raw.__class__ is plain[0] and plain[1] <= raw <= plain[2]:
                value, confidence, usage = raw, None, None  # _judge_answer: every gate passes (OutputGates.plain)
                if breaker is not None:
                    breaker.record(ctx.flags)
            else:
                value, confidence, usage, source = self._judge_answer(raw, source, ctx, reasons)
        else:
            value, confidence, usage, source = self._judge(route, source, raw, err, attempts, timed_out, ctx, reasons)
        if source == "review":
            value, source = self._chain.review(record, reasons)
        elif source not in MODEL_SOURCES:
            value, source = self._chain.serve(record, reasons)
        if timed_out or ctx.stages or ctx.overruns or not self._plain_finish or usage is not None:
            return self._finish(record, violations, route, value, confidence, usage, source, attempts, reasons,
                                ctx, t0, event_ts, fut if timed_out else None)
        return self._finish_plain(record, violations, route, value, confidence, source, attempts, reasons, ctx, t0, event_ts)

    def _finish_plain(self, record: Mapping[str, Any], violations: list[Violation], route: Version | None, value: Any,
                      confidence: float | None, source: str, attempts: int, reasons: list[str], ctx: CallContext,
                      t0: float, event_ts: float | None) -> Decision:
        """``_finish`` when there is nothing to add: no stage timings or overruns, no cost,
        token usage, segment or shadow, no late answer. The same record and decision,
        fewer tests."""
        ctx.owner = FINISHED
        now = self._mono()
        latency_ms = (now - ctx.start) * 1000.0
        stages = {"model": (now - t0) * 1000.0} if attempts else {}
        version = route.version if route is not None else (self._primary or _NO_VERSION).version
        if source != "model" and source != "canary":
            confidence = None
        did = new_id()
        rec = PredictionRecord(did, self.service, self._wall(), dict(record), value, confidence, source, version,
                               self._components, latency_ms, stages, None, violations, reasons, None, event_ts, ctx.guard,
                               attempts or None)
        if source == "model":
            next(self._served_model)  # counters.served("model") without its lookup
        else:
            self.counters.served(source)
        if self._recorder is not None:
            try:  # _submit, inline
                self._recorder.submit(rec)
            except Exception as e:
                self._record_failed(e)
        else:
            self._submit(rec)
        return Decision(did, value, source, confidence, reasons, latency_ms, stages, violations, version, None)


def _as_call(fn: Callable[..., Any], version: Version, args: tuple[Any, ...], kwargs: dict[str, Any], is_async: bool) -> tuple[Mapping[str, Any], Version]:
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
