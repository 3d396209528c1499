"""The demo's story: a real model, six hours of traffic, four injected faults, and what caught them.

Runs in simulated time (a ``ManualClock``), so six hours take seconds and every run is
the same. Everything else is real: a scikit-learn model, the Guard, the background
recorder, a SQLite store with minute profiles, and the same checks the server runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from telltale.clock import ManualClock
from telltale.demo.eta_data import generate
from telltale.demo.eta_model import EtaModel, rules_eta
from telltale.demo.faults import DEMO_FAULTS, Fault
from telltale.spec import ServiceSpec, load_spec
from telltale.types import Finding

PROJECT = "default"


@dataclass
class DemoWindow:
    """One monitoring window of the replay: who served, and what the checks found."""

    start: float
    end: float
    sources: dict[str, int]
    findings: list[Finding]
    faults: list[str]
    guards: dict[str, int] = field(default_factory=dict)  # which guard took calls from the model, by name

    @property
    def n(self) -> int:
        return sum(self.sources.values())

    @property
    def model_share(self) -> float:
        return self.sources.get("model", 0) / self.n if self.n else 0.0


@dataclass
class Caught:
    """How one fault fared: the first finding of the expected kind, minutes after it began."""

    fault: Fault
    detected_after_min: float | None
    contained_share: float  # share of the records the fault touched that a fallback step served


@dataclass
class DemoResult:
    directory: Path
    db_url: str
    spec_path: Path
    start: float
    end: float
    windows: list[DemoWindow] = field(default_factory=list)
    caught: list[Caught] = field(default_factory=list)
    decisions: int = 0


class _Backend:
    """The model behind a flaky connection: fails ``error_rate`` of calls while a fault says so."""

    def __init__(self, model: EtaModel, rng: np.random.Generator) -> None:
        self._model = model
        self._rng = rng
        self.error_rate = 0.0

    def __call__(self, record: dict[str, Any]) -> float:
        if self.error_rate and self._rng.random() < self.error_rate:
            raise ConnectionError("model backend refused the connection")
        return self._model.predict_one(record)


def run_demo(
    directory: Path,
    *,
    end: float,
    hours: float = 6.0,
    step_s: float = 10.0,
    window_s: float = 900.0,
    seed: int = 0,
    faults: tuple[Fault, ...] = DEMO_FAULTS,
    progress: Callable[[str, int, int], None] | None = None,
) -> DemoResult:
    """Train, replay ``hours`` of traffic ending at ``end`` (epoch s) into ``directory``."""
    from telltale.guard import Guard
    from telltale.monitor import findings_for
    from telltale.profile import Profile
    from telltale.record import recorder_for
    from telltale.store import Store

    say = progress or (lambda stage, done, total: None)
    directory.mkdir(parents=True, exist_ok=True)
    spec_path = directory / "telltale.yaml"
    spec_path.write_text(resources.files("telltale.demo").joinpath("eta.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    spec = load_spec(spec_path)

    say("training the ETA model on 20,000 orders", 0, 1)
    train = generate(20_000, seed=seed)
    model = EtaModel(seed=seed).fit(train)
    say("training the ETA model on 20,000 orders", 1, 1)

    db = directory / "telltale.db"
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        stale.unlink(missing_ok=True)
    db_url = f"sqlite:///{db}"
    store = Store.open(db_url)
    try:
        store.put_service(PROJECT, spec)
        store.put_reference(PROJECT, spec.service, Profile.from_columns(spec, train.columns))
        end = float(int(end // 60) * 60)  # profiles and windows are per minute
        start = end - hours * 3600
        clock = ManualClock(start=start)
        rng = np.random.default_rng(seed + 2)
        backend = _Backend(model, rng)
        recorder = recorder_for(db_url, project=PROJECT, spill_dir=directory / "spill", clock=clock)
        guard = Guard(spec, model=backend, fallback=rules_eta, recorder=recorder, clock=clock, seed=seed)
        n = int(hours * 3600 / step_s)
        traffic = generate(n, seed=seed + 1).records()
        served: dict[str, list[int]] = {f.name: [0, 0] for f in faults}  # [by a fallback, touched]
        for i, rec in enumerate(traffic):
            clock.advance(step_s)
            hour = (i + 1) * step_s / 3600
            hit = []  # the active faults that touched this record (or its model call)
            for f in faults:
                if f.active(hour):
                    before = dict(rec)
                    if f.apply is not None:
                        f.apply(rec, rng)
                    if rec != before or f.error_rate:
                        hit.append(f)
            backend.error_rate = max((f.error_rate for f in hit), default=0.0)
            d = guard.predict(rec)
            for f in hit:
                served[f.name][0] += d.source != "model"
                served[f.name][1] += 1
            if i % 50 == 0 or i == n - 1:
                say("replaying six hours of orders through the guard", i + 1, n)
        guard.close()
        recorder.close()

        result = DemoResult(directory, db_url, spec_path, start, end, decisions=n)
        found = findings_for(store, PROJECT, spec, start, end, window_s).findings
        result.windows = _windows(store, spec, start, end, window_s, found, faults)
        result.caught = [_caught(f, start, found, served[f.name]) for f in faults]
        return result
    finally:
        store.close()


def _windows(store: Any, spec: ServiceSpec, start: float, end: float, window_s: float, found: list[Finding], faults: tuple[Fault, ...]) -> list[DemoWindow]:
    out = []
    t = start
    while t < end:
        t1 = min(t + window_s, end)
        profile = store.read_profile(PROJECT, spec.service, t, t1)
        mid_h = ((t + t1) / 2 - start) / 3600
        out.append(DemoWindow(
            start=t, end=t1,
            sources=dict(profile.sources) if profile is not None else {},
            findings=[f for f in found if f.window is not None and f.window.start.timestamp() == t],
            faults=[f.name for f in faults if f.start_h < (t1 - start) / 3600 and f.end_h > (t - start) / 3600 or f.active(mid_h)],
            guards=dict(profile.guards) if profile is not None else {},
        ))
        t = t1
    return out


def _caught(fault: Fault, start: float, found: list[Finding], served: list[int]) -> Caught:
    began = start + fault.start_h * 3600
    ended = start + fault.end_h * 3600
    hits = [f.window.end.timestamp() for f in found if f.kind == fault.expect and f.window is not None and began < f.window.end.timestamp() and f.window.start.timestamp() < ended]
    after = (min(hits) - began) / 60 if hits else None
    share = served[0] / served[1] if served[1] else 0.0
    return Caught(fault, after, share)
