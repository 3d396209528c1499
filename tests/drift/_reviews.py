"""Generated product reviews for the text-drift tests: English-like sentences from a
seeded grammar, with a vocabulary that a test can shift."""

from __future__ import annotations

import numpy as np

_OPENERS = ["I bought this", "We ordered the", "My wife got this", "Picked up the", "Received my"]
_PRODUCTS = ["phone", "laptop", "headset", "kettle", "blender", "camera", "speaker", "monitor"]
_PRAISE = ["works great", "is very good", "feels solid", "was worth the price", "exceeded my expectations"]
_COMPLAINTS = ["stopped working", "is a bit loud", "feels cheap", "arrived late", "was smaller than expected"]
_DETAILS = ["the battery lasts all day", "the screen is bright", "setup took five minutes",
            "the sound is clear", "the buttons are easy to use", "it charges quickly"]
#: The shifted vocabulary: complaints about delivery and refunds replace product details.
_SHIFTED = ["the courier lost the parcel", "customer service never replied", "I asked for a refund",
            "the package was damaged", "delivery took three weeks", "the invoice was wrong"]


def reviews(n: int, seed: int, *, shifted: float = 0.0) -> list[str]:
    """``n`` reviews; a ``shifted`` share of them talk about delivery instead of the product."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        details = _SHIFTED if rng.random() < shifted else _DETAILS
        opinion = _PRAISE if rng.random() < 0.7 else _COMPLAINTS
        s = (f"{_OPENERS[rng.integers(len(_OPENERS))]} {_PRODUCTS[rng.integers(len(_PRODUCTS))]} last "
             f"{['week', 'month', 'year'][rng.integers(3)]}. It {opinion[rng.integers(len(opinion))]}, and "
             f"{details[rng.integers(len(details))]}.")
        if rng.random() < 0.4:
            s += f" {rng.integers(1, 6)} stars."
        out.append(s)
    return out
