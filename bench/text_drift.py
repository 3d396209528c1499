"""Time the text and vector drift checks of ``telltale report`` (telltale.drift.text, .vector).

    .venv/bin/python bench/text_drift.py            # 10,000 texts a side, ~30 s

Text: generated product reviews (tests/drift/_reviews.py), the current side with 30%
of reviews on a new vocabulary; the classifier samples MAX_TEXTS a side. Prints the
wall time of each part (statistics on every text, hashing and the cross-validated
classifier on the sample, naming the moved n-grams), the AUC, and the same for a
no-drift pair. Vector: 10,000 Gaussian embeddings of 384 dimensions a side.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telltale.drift.text import MAX_TEXTS, text_drift  # noqa: E402
from telltale.drift.vector import vector_drift  # noqa: E402
from telltale.profile.text import text_stats  # noqa: E402
from tests.drift._reviews import reviews  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--dim", type=int, default=384)
    args = ap.parse_args()
    import sklearn.linear_model  # noqa: F401  (import cost is not the check's)

    ref, same, moved = reviews(args.n, 1), reviews(args.n, 2), reviews(args.n, 3, shifted=0.3)
    chars = sum(map(len, ref))
    print(f"{args.n:,} texts a side ({chars / args.n:.0f} characters on average), classifier sample {MAX_TEXTS:,} a side")
    t = time.perf_counter()
    text_stats(ref)
    print(f"  character statistics of {args.n:,} texts: {time.perf_counter() - t:.2f} s")
    for label, cur in (("no drift", same), ("30% new vocabulary", moved)):
        t = time.perf_counter()
        d = text_drift("review", ref, cur)
        print(f"  {label}: {time.perf_counter() - t:.2f} s, AUC {d.classifier.value:.3f}, severity {d.classifier.severity}, "
              f"moved {[m.ngram for m in d.moved][:5]}")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((args.n, args.dim)), rng.standard_normal((args.n, args.dim)) + 0.05
    t = time.perf_counter()
    v = vector_drift("emb", a, b, args.dim)
    print(f"{args.n:,} vectors of {args.dim} a side (shifted 0.05 sd a dimension): {time.perf_counter() - t:.2f} s, "
          f"mean distance {v.mean.value:.3f} ({v.mean.severity}), AUC {v.classifier.value if v.classifier else float('nan'):.3f}")


if __name__ == "__main__":
    main()
