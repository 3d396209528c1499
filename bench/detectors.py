"""Change detectors against river's ADWIN on the same streams of 1M values.

    bash bench/setup_detectors.sh                 # once: river in bench/.venv-detectors
    .venv/bin/python bench/detectors.py           # --n 1000000 --repeats 5, about a minute

Three streams per repeat, standard normal noise from one seeded generator: a step of
1 sd at the middle, a step of 0.1 sd at the middle, and no step. Each detector sees the
same values (saved as .npy; ADWIN runs in a subprocess of bench/.venv-detectors, river
is never a telltale dependency). Reported per scenario: the detection delay (values
after the step until the first alarm at or after it; median and range over repeats),
false alarms (alarms before the step, and every alarm on the stationary stream, summed
over repeats) and values per second (median over the scenario's streams).

telltale's detector is ``Cusum(shifts=(0.1, 1.0), arl0=1e8, reference=100_000,
refresh=None)``: charts tuned for the two steps, one false alarm per 10^8 values on
stationary noise (a 1% chance per 1M-value stream), its baseline learnt from the first
100,000 values. The row ``telltale@1e6`` is the same with ``arl0=1e6``, about ADWIN's
own false-alarm rate here, to compare delays at equal false alarms. ADWIN is river's
default (``delta=0.002``, ``clock=32``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SCENARIOS = (("step 1 sd", 1.0), ("step 0.1 sd", 0.1), ("stationary", 0.0))


def _streams(n: int, repeats: int, seed: int, out: Path) -> list[dict]:
    rng = np.random.default_rng(seed)
    items = []
    for r in range(repeats):
        for name, shift in SCENARIOS:
            x = rng.standard_normal(n)
            step = n // 2 if shift else n
            x[step:] += shift
            path = out / f"{r}-{shift}.npy"
            np.save(path, x)
            items.append({"scenario": name, "repeat": r, "path": str(path), "step": step})
    return items


def _score(alarms: list[int], step: int) -> tuple[int | None, int]:
    false = sum(1 for a in alarms if a < step)
    after = [a for a in alarms if a >= step]
    return (after[0] - step if after else None), false


def run_telltale(items: list[dict], arl0: float) -> list[dict]:
    from telltale.detect import Cusum

    out = []
    for it in items:
        x = np.load(it["path"])
        d = Cusum(shifts=(0.1, 1.0), arl0=arl0, reference=100_000, refresh=None)
        t = time.perf_counter()
        alarms = d.run(x)
        dt = time.perf_counter() - t
        delay, false = _score([a.index for a in alarms if a.onset], it["step"])
        out.append({**it, "delay": delay, "false": false, "rate": len(x) / dt})
    return out


def adwin_worker(listing: str) -> None:
    """Runs inside bench/.venv-detectors: river's ADWIN over each stream, one value at a time."""
    from river import drift

    items = json.loads(Path(listing).read_text())
    out = []
    for it in items:
        values = np.load(it["path"]).tolist()
        d = drift.ADWIN()
        alarms = []
        t = time.perf_counter()
        for i, v in enumerate(values):
            d.update(v)
            if d.drift_detected:
                alarms.append(i)
        dt = time.perf_counter() - t
        delay, false = _score(alarms, it["step"])
        out.append({**it, "delay": delay, "false": false, "rate": len(values) / dt})
    print(json.dumps(out))


def run_adwin(items: list[dict], tmp: Path) -> list[dict]:
    py = HERE / ".venv-detectors" / "bin" / "python"
    if not py.exists():
        sys.exit("bench/.venv-detectors is missing: run bash bench/setup_detectors.sh first")
    listing = tmp / "items.json"
    listing.write_text(json.dumps(items))
    done = subprocess.run([str(py), __file__, "--adwin-worker", str(listing)], check=True, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": ""})
    return json.loads(done.stdout)


def _summary(rows: list[dict], scenario: str) -> dict:
    mine = [r for r in rows if r["scenario"] == scenario]
    delays = [r["delay"] for r in mine if r["delay"] is not None]
    missed = sum(1 for r in mine if r["delay"] is None)
    return {
        "delay": float(np.median(delays)) if delays else None, "lo": min(delays) if delays else None,
        "hi": max(delays) if delays else None, "missed": missed, "false": sum(r["false"] for r in mine),
        "rate": float(np.median([r["rate"] for r in mine])),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--adwin-worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.adwin_worker:
        adwin_worker(args.adwin_worker)
        return
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        items = _streams(args.n, args.repeats, args.seed, tmp)
        results = {"telltale": run_telltale(items, 1e8), "telltale@1e6": run_telltale(items, 1e6), "ADWIN": run_adwin(items, tmp)}
    print(f"{args.repeats} repeats of {args.n:,} values per scenario, seed {args.seed}; delay in values after the step "
          "(median, [min, max]); false alarms summed over repeats; values/s median\n")
    print("| scenario | detector | delay | false alarms | missed | values/s | ADWIN delay / this | this speed / ADWIN |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, shift in SCENARIOS:
        ref = _summary(results["ADWIN"], name)
        for det, rows in results.items():
            s = _summary(rows, name)
            delay = f"{s['delay']:.0f} [{s['lo']}, {s['hi']}]" if shift and s["delay"] is not None else "-"
            ratio = f"{ref['delay'] / s['delay']:.2f}x" if shift and s["delay"] and ref["delay"] else "-"
            speed = f"{s['rate'] / ref['rate']:.1f}x"
            print(f"| {name} | {det} | {delay} | {s['false']} | {s['missed'] if shift else '-'} | {s['rate'] / 1e6:.2f}M | {ratio} | {speed} |")


if __name__ == "__main__":
    main()
