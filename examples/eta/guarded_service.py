"""The example spec in use: an ETA model behind a Guard, recording to a SQLite file.

    .venv/bin/python examples/eta/guarded_service.py [--db sqlite:///telltale.db]

Trains the demo's scikit-learn model, serves a few orders (one clean, one whose upstream
sent milliseconds, one with a city the contract does not know), prints each decision,
and leaves the records in the store for `telltale findings` or `telltale serve`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import telltale
from telltale.demo.eta_data import generate
from telltale.demo.eta_model import EtaModel, rules_eta

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite:///telltale.db", help="where decisions are recorded")
    args = parser.parse_args()

    spec = telltale.load_spec(HERE / "telltale.yaml")
    model = EtaModel().fit(generate(5000, seed=1))
    guard = telltale.Guard(spec, model=model.predict_one, fallback=rules_eta, record_to=args.db)

    order = generate(1, seed=3).records()[0]
    cases = {
        "a clean order": order,
        "prep_time_s sent in milliseconds": {**order, "prep_time_s": order["prep_time_s"] * 1000},
        "a city the contract does not know": {**order, "city": "Bordeaux"},
    }
    for label, record in cases.items():
        d = guard.predict(record)
        print(f"{label:36s} -> {d.value:6.1f} min from {d.source:7s} {'; '.join(d.reasons)}")
    guard.close()  # flushes the recorder it opened
    print(f"decisions recorded in {args.db}")


if __name__ == "__main__":
    main()
