"""Small reference/current tables for the report tests: a stable pair and a faulty one."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

SPEC_YAML = """\
service: shop
owner: data@example.com
inputs:
  amount:   {type: float, range: [0, 100000]}
  wait_s:   {type: float, unit: s, range: [0, 100000]}
  age:      {type: float, nullable: true, required: false}
  steady:   {type: float}
  city:     {type: category, categories: [lyon, paris, lille, nantes]}
output: {type: float}
prediction: score
"""


def table(n: int, seed: int, *, faulty: bool = False) -> pa.Table:
    rng = np.random.default_rng(seed)
    amount = rng.lognormal(3.0, 0.4, n)
    wait = rng.gamma(4.0, 30.0, n)
    age = rng.normal(40, 8, n)
    steady = rng.normal(0, 1, n)
    mix = [0.4, 0.3, 0.2, 0.1]
    score = rng.normal(0, 1, n)
    if faulty:
        amount = amount * 1.8  # a large distribution move
        age[rng.random(n) < 0.25] = np.nan  # nulls 0% -> 25%
        mix = [0.1, 0.2, 0.3, 0.4]
        score = score + 1.0
    city = rng.choice(["lyon", "paris", "lille", "nantes"], n, p=mix)
    return pa.table({"amount": amount, "wait_s": wait, "age": pa.array(age, from_pandas=True), "steady": steady,
                     "city": city, "score": score})
