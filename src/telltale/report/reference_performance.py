"""What the report's performance check needs of a labelled reference, from its rows or saved.

Every labelled reference row is folded into a :class:`~telltale.performance.Summary`, as
the server folds joined labels: the reference's realized metrics and the estimator's
calibration (top-label confidence bins, positive-class score histograms) both come from
it, so a summary is all the report needs, not the rows. ``telltale init --target y
--prediction p [--confidence c]`` saves it beside the reference profile
(``telltale.reference.profile`` -> ``telltale.reference.performance``), and ``telltale
report --target y`` against the saved profile reads it. The multi-class macro estimate
calibrates each class on the rows' per-class probabilities, which a summary does not
keep: it needs the reference data.

File layout: ``b"TTRP"``, a 4-byte big-endian header length, a JSON header (columns,
kind, labels, positive class, rows, format version), then ``Summary.to_bytes()``.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telltale.performance.fold import fold as fold_columns, score
from telltale.performance.pairs import class_key, kind_of, positive_class
from telltale.performance.summary import Kind, Summary
from telltale.spec.model import ServiceSpec

MAGIC = b"TTRP"
VERSION = 1
#: Distinct labels kept in the header (enough for any classifier; a regressor's labels are not kept).
MAX_LABELS = 1000


class PerformanceUsageError(ValueError):
    """A column the performance check needs is missing or holds what it cannot use."""


def performance_path(profile: str | Path) -> Path:
    """Where ``telltale init`` saves the reference's performance summary: beside its profile."""
    return Path(profile).with_suffix(".performance")


@dataclass(frozen=True, slots=True)
class ReferencePerformance:
    """The labelled reference as the performance check reads it: the columns it came from and the summary of its rows."""

    target: str
    prediction: str
    confidence: str | None  # None: saved without a confidence, so realized metrics only and no estimate
    kind: Kind
    labels: tuple[str, ...]  # the distinct label keys of a classifier (empty for a regressor)
    positive: str | None
    rows: int
    summary: Summary

    @classmethod
    def from_table(cls, table: Any, spec: ServiceSpec, target: str, prediction: str, confidence: str | None,
                   probabilities: dict[str, str] | None = None) -> ReferencePerformance:
        """From reference rows: each row's probability of its predicted class is read from the column ``confidence``,
        or from the per-class columns ``probabilities`` when that is None (``confidences``; PerformanceUsageError
        names a bad row)."""
        confs = confidences(table, prediction, confidence, probabilities, "reference")
        ys, yhat = table.column(target).to_pylist(), table.column(prediction).to_pylist()
        kind = model_kind(spec, table.column(target), scored=any(c is not None for c in confs))
        labels = tuple(sorted({class_key(y) for y in ys if y is not None})) if kind == "classification" else ()
        positive = positive_class(spec_for(spec, labels, kind))
        return cls(target, prediction, confidence, kind, labels[:MAX_LABELS], positive, len(ys), fold(kind, positive, ys, yhat, confs))

    def to_bytes(self) -> bytes:
        head = json.dumps({"v": VERSION, "target": self.target, "prediction": self.prediction, "confidence": self.confidence,
                           "kind": self.kind, "labels": list(self.labels), "positive": self.positive, "rows": self.rows},
                          separators=(",", ":")).encode("utf-8")
        return MAGIC + struct.pack(">I", len(head)) + head + self.summary.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> ReferencePerformance:
        if data[:4] != MAGIC:
            raise ValueError("not a telltale reference performance file: the bytes do not start with the TTRP marker")
        try:
            (k,) = struct.unpack_from(">I", data, 4)
            h = json.loads(data[8:8 + k].decode("utf-8"))
            if h.get("v") != VERSION:
                raise ValueError(f"reference performance format version {h.get('v')!r}; this telltale reads version {VERSION}")
            return cls(str(h["target"]), str(h["prediction"]), h["confidence"], h["kind"], tuple(h["labels"]), h["positive"],
                       int(h["rows"]), Summary.from_bytes(data[8 + k:]))
        except ValueError:
            raise
        except Exception as e:  # corrupt bytes surface as one clear error
            raise ValueError(f"not a readable reference performance file: {type(e).__name__}: {e}") from None

    def write(self, path: str | Path) -> None:
        Path(path).write_bytes(self.to_bytes())

    @classmethod
    def read(cls, path: str | Path) -> ReferencePerformance:
        return cls.from_bytes(Path(path).read_bytes())


def read_beside(profile: str | Path) -> ReferencePerformance | None:
    """The performance saved beside a reference profile; None when there is none, PerformanceUsageError when unreadable."""
    path = performance_path(profile)
    if not path.exists():
        return None
    try:
        return ReferencePerformance.read(path)
    except (OSError, ValueError) as e:
        raise PerformanceUsageError(f"{path}: {e}; write it again with `telltale init --target ... --prediction ...`") from None


def spec_for(spec: ServiceSpec, labels: tuple[str, ...], kind: Kind) -> ServiceSpec:
    """The spec, binary with the positive class 1 (or true) when it names no classes and the labels are exactly 0 and 1 (or false and true)."""
    if kind != "classification" or spec.output.classes is not None or spec.output.type == "bool":
        return spec
    seen = set(labels)
    classes: list[Any] | None = [0, 1] if seen == {"0", "1"} else [False, True] if seen == {"false", "true"} else None
    if classes is None:
        return spec
    return spec.model_copy(update={"output": spec.output.model_copy(update={"classes": classes})})


def confidences(table: Any, prediction: str, confidence: str | None, probabilities: dict[str, str] | None, side: str) -> list[float | None]:
    """Each row's confidence (the probability of its predicted class), from ``--confidence`` or ``--probabilities``;
    None where the row has none. PerformanceUsageError naming the row for a value outside [0, 1]."""
    values: list[Any]
    if confidence is not None:
        values = table.column(confidence).to_pylist()
        what = f"--confidence {confidence!r}"
    elif probabilities:
        pred = [None if p is None else class_key(p) for p in table.column(prediction).to_pylist()]
        probs = {class_key(cls): table.column(c).to_pylist() for cls, c in probabilities.items()}
        unnamed = next((i for i, p in enumerate(pred) if p is not None and p not in probs), None)
        if unnamed is not None:
            raise PerformanceUsageError(f"--probabilities: row {unnamed} of the {side} data predicts {pred[unnamed]!r}, a class it "
                                        f"does not name (it names {', '.join(probs)}); give CLASS=COLUMN for every class")
        values = [None if p is None else probs[p][i] for i, p in enumerate(pred)]
        what = "--probabilities (the predicted class's column)"
    else:
        return [None] * table.num_rows
    for i, c in enumerate(values):
        if c is not None and not (isinstance(c, (int, float)) and math.isfinite(c) and 0.0 <= c <= 1.0):
            raise PerformanceUsageError(f"{what}: row {i} of the {side} data holds {c!r}; a confidence is the probability "
                                        "of the predicted class, a number within [0, 1]")
    return [None if c is None else float(c) for c in values]


def fold(kind: Kind, positive: str | None, ys: list[Any], yhat: list[Any], confs: list[float | None]) -> Summary:
    """The summary of rows (label, prediction, confidence), folded as the server folds a batch of joined labels
    (``performance.fold``: column-wise, the same bytes as one ``add_pair`` per row)."""
    n = len(ys)
    return fold_columns(score(kind, positive, yhat, confs, [None] * n, [0.0] * n, ys, [0.0] * n)).get(0, Summary())


def model_kind(spec: ServiceSpec, target: Any, *, scored: bool) -> Kind:
    """A classifier when the spec says so (``output.classes``, a category, bool or string output) or the rows carry a
    confidence (a regressor has none); else the spec's numeric output is a regressor, and an inferred spec (a float
    output) follows the label column: floats are a regressor's."""
    import pyarrow as pa

    if scored or spec.output.classes is not None or spec.output.type != "float":
        return "classification" if scored else kind_of(spec)
    return "regression" if pa.types.is_floating(target.type) else "classification"
