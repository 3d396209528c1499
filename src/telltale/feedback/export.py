"""Export for retraining: decisions with their joined labels and actions, to Parquet, streamed.

Records are read a page at a time (a keyset cursor, ``Store.page_predictions``), their
current feedback looked up for the page, and each page written as one row group with
``pyarrow.parquet.ParquetWriter``: memory holds one page, however long the span. The
schema comes from the spec: one column per input field typed as the contract says, the
prediction, label and chosen value typed as ``output.type``, and the decision's context
(confidence, decision source, guard, model and component versions, label time, action,
actor). A value that does not fit its column's type is written as null, never coerced.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from telltale.spec.model import ServiceSpec

if TYPE_CHECKING:
    from telltale.store import Store

PAGE = 5000
_ARROW = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "category": pa.string(), "string": pa.string(), "timestamp": pa.float64(),
          "text": pa.string(), "vector": pa.list_(pa.float64())}
_META = [("id", pa.string()), ("ts", pa.float64()), ("model_version", pa.string()), ("components", pa.string()),
         ("source", pa.string()), ("guard", pa.string()), ("confidence", pa.float64()), ("latency_ms", pa.float64()),
         ("segment", pa.string())]
_FEEDBACK = [("label_ts", pa.float64()), ("action", pa.string()), ("actor", pa.string())]


@dataclass(frozen=True, slots=True)
class ExportResult:
    rows: int
    labeled: int
    pages: int


def schema_for(spec: ServiceSpec) -> tuple[pa.Schema, dict[str, str]]:
    """The file's schema and each input field's column name (``input.<name>`` when it clashes)."""
    out_t = _ARROW[spec.output.type]
    reserved = {n for n, _ in _META} | {n for n, _ in _FEEDBACK} | {"prediction", "label", "value"}
    names = {f: (f"input.{f}" if f in reserved else f) for f in spec.inputs}
    fields = [pa.field(n, t) for n, t in _META]
    fields += [pa.field(names[f], _ARROW[spec.inputs[f].type]) for f in spec.inputs]
    fields += [pa.field("prediction", out_t), pa.field("label", out_t), pa.field("value", out_t)]
    fields += [pa.field(n, t) for n, t in _FEEDBACK]
    return pa.schema(fields), names


def export_parquet(store: Store, project: str, spec: ServiceSpec, since: float, until: float, out: str | Path,
                   *, labeled: bool = False, page_size: int = PAGE) -> ExportResult:
    """Write the decisions of ``spec.service`` made in [since, until) to ``out``; only those with a label when ``labeled``."""
    schema, names = schema_for(spec)
    types = {names[f]: spec.inputs[f].type for f in spec.inputs}
    out_type = spec.output.type
    rows = n_labeled = pages = 0
    after = None
    with pq.ParquetWriter(str(out), schema) as writer:
        while True:
            page = store.page_predictions(project, spec.service, since, until, page_size, after=after)
            pages += 1
            fb = store.feedback_for(project, spec.service, [r.id for r in page.records]) if page.records else {}
            cols: dict[str, list[Any]] = {f.name: [] for f in schema}
            for r in page.records:
                e = fb.get(r.id)
                target = e.target if e is not None else None
                if labeled and target is None:
                    continue
                n_labeled += target is not None
                rows += 1
                for k, v in (("id", r.id), ("ts", float(r.ts)), ("model_version", r.model_version),
                             ("components", json.dumps(r.components, sort_keys=True) if r.components else None),
                             ("source", r.source), ("guard", r.guard), ("confidence", _typed(r.confidence, "float")),
                             ("latency_ms", _typed(r.latency_ms, "float")), ("segment", r.segment)):
                    cols[k].append(v)
                for field, col in names.items():
                    cols[col].append(_typed(r.inputs.get(field), types[col]))
                cols["prediction"].append(_typed(r.output, out_type))
                cols["label"].append(_typed(target, out_type))
                cols["value"].append(_typed(e.value if e is not None else None, out_type))
                cols["label_ts"].append(float(e.ts) if e is not None else None)
                cols["action"].append(e.action if e is not None else None)
                cols["actor"].append(e.actor if e is not None else None)
            if cols["id"]:
                writer.write_table(pa.Table.from_pydict(cols, schema=schema))
            if page.next_cursor is None:
                break
            last = page.records[-1]
            after = (float(last.ts), last.id)
    return ExportResult(rows, n_labeled, pages)


def _typed(v: Any, kind: str) -> Any:
    """``v`` as the column's type, or None when it is not one."""
    if v is None:
        return None
    if kind in ("float", "timestamp"):
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None
    if kind == "int":
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return None
        return int(v) if float(v).is_integer() else None
    if kind == "bool":
        return v if isinstance(v, bool) else None
    return v if isinstance(v, str) else None
