"""Reference-against-current plots for flagged features, as self-contained PNG data URIs.

Uses matplotlib's object API with the Agg canvas (no pyplot, no global backend change, no
display needed). Numeric fields: overlaid histograms (share of values per bin) on shared bins, log-spaced when the
two sides differ by orders of magnitude (a unit change). Categorical fields: side-by-side
bars of the most common values' shares. Null shares are in the title.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np

#: Values plotted per side at most: a histogram of 200,000 draws looks the same as of 10M.
PLOT_SAMPLE = 200_000
_TOP_CATEGORIES = 12
_REF_COLOR, _CUR_COLOR = "#4c72b0", "#dd8452"


def feature_plot(name: str, reference: Any | None, current: Any | None, numeric: bool) -> str:
    """A PNG data URI comparing one column's reference and current distributions."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.0), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    sides = [(label, col, color) for label, col, color in (("reference", reference, _REF_COLOR), ("current", current, _CUR_COLOR)) if col is not None]
    nulls = ", ".join(f"{label} nulls {_null_share(col):.1%}" for label, col, _ in sides)
    if numeric:
        _numeric(ax, [(label, _finite(col), color) for label, col, color in sides])
    else:
        _categorical(ax, [(label, col, color) for label, col, color in sides])
    ax.set_title(f"{name}  ({nulls})", fontsize=9)
    ax.legend(fontsize=8, frameon=False)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _numeric(ax: Any, sides: list[tuple[str, np.ndarray, str]]) -> None:
    pooled = np.concatenate([x for _, x, _ in sides]) if sides else np.empty(0)
    if pooled.size == 0:
        ax.text(0.5, 0.5, "no finite values", ha="center", transform=ax.transAxes)
        return
    lo, hi = np.quantile(pooled, [0.001, 0.999])
    spans = [np.quantile(x, 0.99) for _, x, _ in sides if x.size]
    log = lo > 0 and len(spans) == 2 and min(spans) > 0 and max(spans) / min(spans) > 50
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    bins = np.geomspace(lo, hi, 60) if log else np.linspace(lo, hi, 60)
    for label, x, color in sides:
        if x.size:
            # shares, not densities: on log-spaced bins a density hides the wide bins' mass
            ax.hist(np.clip(x, lo, hi), bins=bins, weights=np.full(x.size, 1.0 / x.size), histtype="stepfilled",
                    alpha=0.45, color=color, label=label)
    if log:
        ax.set_xscale("log")
    ax.set_ylabel("share of values", fontsize=8)


def _categorical(ax: Any, sides: list[tuple[str, Any, str]]) -> None:
    shares = [_shares(col) for _, col, _ in sides]
    keys: list[str] = []
    for s in shares:
        for k in sorted(s, key=lambda k: -s[k]):
            if k not in keys:
                keys.append(k)
    keys = keys[:_TOP_CATEGORIES]
    x = np.arange(len(keys))
    width = 0.8 / max(len(sides), 1)
    for i, ((label, _, color), s) in enumerate(zip(sides, shares)):
        ax.bar(x + i * width - 0.4 + width / 2, [s.get(k, 0.0) for k in keys], width, color=color, alpha=0.8, label=label)
    ax.set_xticks(x, [k if len(k) <= 14 else k[:13] + "…" for k in keys], rotation=30, ha="right")
    ax.set_ylabel("share of rows", fontsize=8)


def _finite(col: Any) -> np.ndarray:
    from telltale.drift.arrays import as_float_array

    x = as_float_array(_sample(col))
    finite: np.ndarray = x[np.isfinite(x)]
    return finite


def _shares(col: Any) -> dict[str, float]:
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = col if isinstance(col, (pa.Array, pa.ChunkedArray)) else pa.array(np.asarray(col, dtype=object), from_pandas=True)
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    vc = pc.value_counts(pc.cast(arr, pa.string()))
    total = len(arr)
    out = {("(null)" if v is None else v): c / total for v, c in zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist())}
    return out


def _null_share(col: Any) -> float:
    import pyarrow as pa

    n = len(col)
    if not n:
        return 0.0
    if isinstance(col, (pa.Array, pa.ChunkedArray)):
        nulls = col.null_count
        if pa.types.is_floating(col.type):
            import pyarrow.compute as pc

            nulls += int(pc.sum(pc.is_nan(col.fill_null(0.0))).as_py() or 0)
        share: float = nulls / n
        return share
    a = np.asarray(col)
    return float(np.mean(np.isnan(a))) if a.dtype.kind == "f" else float(np.mean([v is None for v in a]))


def _sample(col: Any) -> Any:
    n = len(col)
    if n <= PLOT_SAMPLE:
        return col
    idx = np.sort(np.random.default_rng(0).choice(n, PLOT_SAMPLE, replace=False))
    import pyarrow as pa

    if isinstance(col, (pa.Array, pa.ChunkedArray)):
        return col.take(pa.array(idx))
    return np.asarray(col)[idx]


#: Stand-in values drawn per side from a saved profile: enough for a 60-bin histogram.
STAND_IN_VALUES = 4000


def profile_values(col: Any) -> Any:
    """Stand-in values for one column of a saved profile, for the plots only.

    A profile keeps sketches, not rows: numeric columns give the KLL quantiles at evenly
    spaced ranks (a sample with the sketch's distribution), categorical ones give each
    frequent value repeated in proportion to its count; nulls are kept in share, so the
    title's null share is the profile's.
    """
    import pyarrow as pa

    rows = max(int(col.rows), 1)
    null_share = (int(col.nulls) + int(col.missing)) / rows
    s = col.numeric
    if s is not None and s.count and (col.categorical is None or s.count >= col.categorical.count):
        m = STAND_IN_VALUES
        values = s.quantiles((np.arange(m) + 0.5) / m)
        k = int(round(null_share / max(1e-12, 1 - null_share) * m)) if null_share < 1 else m
        return np.concatenate([values, np.full(k, np.nan)])
    c = col.categorical
    items = c.items() if c is not None else {}
    total = sum(items.values()) or 1
    out: list[str | None] = []
    for value, count in items.items():
        out.extend([value] * int(round(STAND_IN_VALUES * count / total)))
    out.extend([None] * int(round(null_share / max(1e-12, 1 - null_share) * len(out))) if null_share < 1 else [None])
    return pa.array(out, type=pa.string())
