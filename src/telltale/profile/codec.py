"""Profile bytes: compact, versioned and safe to read from a shared store (no pickle).

Layout: ``b"TTPF"``, then zlib of (4-byte big-endian header length, a JSON header with
every count and scalar, then the sketches' own serialisations concatenated; the header
gives each blob's offset and length). A combined (query-time) numeric summary is stored
as its weighted items (little-endian float64 items, int64 weights) and its error.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import TYPE_CHECKING, Any

import numpy as np

from telltale.profile.categorical import CategoricalSummary
from telltale.profile.column import COUNTS as _COUNTS, ColumnProfile
from telltale.profile.hll import HLL
from telltale.profile.numeric import NumericSummary
from telltale.profile.quantiles import MergedQuantiles
from telltale.profile.vectors import VectorSummary

if TYPE_CHECKING:
    from telltale.profile.profile import Profile

MAGIC = b"TTPF"
VERSION = 1


def encode(profile: Any) -> bytes:
    blobs: list[bytes] = []
    offset = 0

    def put(b: bytes) -> list[int]:
        nonlocal offset
        blobs.append(b)
        ref = [offset, len(b)]
        offset += len(b)
        return ref

    fields = {}
    for name, col in profile.fields.items():
        f: dict[str, Any] = {"declared": col.declared, **{k: getattr(col, k) for k in _COUNTS}}
        if col.numeric is not None:
            q = col.numeric.kll
            if isinstance(q, MergedQuantiles):  # a combined (query-time) profile: its weighted items
                f["numeric"] = {**col.numeric.state(), "merged": [put(q.items.astype("<f8").tobytes()),
                                                                  put(q.weights.astype("<i8").tobytes()), q.error]}
            else:
                f["numeric"] = {**col.numeric.state(), "kll": put(bytes(q.serialize()))}
        if col.categorical is not None:
            f["categorical"] = {"count": col.categorical.count, "sketch": put(col.categorical.to_bytes())}
        f["distinct"] = [col.distinct.p, put(col.distinct.registers.tobytes())]
        if col.vector is not None:
            f["vector"] = {**col.vector.state(), "total": put(col.vector.total.astype("<f8").tobytes())}
        fields[name] = f
    header = {
        "v": VERSION,
        "n": profile.n,
        "sources": profile.sources,
        "violations": [[fld, kind, c] for (fld, kind), c in profile.violations.items()],
        "guards": profile.guards,
        "rows": [profile.rows.p, put(profile.rows.registers.tobytes())],
        "fields": fields,
    }
    # allow_nan: overflowing inputs (1e300 squared) can leave an inf in a moment; Python's
    # JSON reads its own Infinity/NaN tokens back, and this header is never served as JSON
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    return MAGIC + zlib.compress(struct.pack(">I", len(head)) + head + b"".join(blobs), 6)


def decode(data: bytes) -> Profile:
    from telltale.profile.profile import Profile

    if not isinstance(data, (bytes, bytearray, memoryview)) or bytes(data[:4]) != MAGIC:
        raise ValueError("not a telltale profile: the bytes do not start with the TTPF marker")
    try:
        body = zlib.decompress(bytes(data[4:]))
        (hlen,) = struct.unpack(">I", body[:4])
        header = json.loads(body[4:4 + hlen].decode("utf-8"))
        base = 4 + hlen
        if header.get("v") != VERSION:
            raise ValueError(f"profile format version {header.get('v')!r}; this telltale reads version {VERSION}")

        def get(ref: list[int]) -> bytes:
            return body[base + ref[0]: base + ref[0] + ref[1]]

        def hll(ref: list[Any]) -> HLL:  # [precision, [offset, length]]
            return HLL(int(ref[0]), np.frombuffer(get(ref[1]), dtype=np.uint8).copy())

        fields = {}
        for name, f in header["fields"].items():
            col = ColumnProfile(f["declared"])
            for k in _COUNTS:
                setattr(col, k, int(f.get(k, 0)))
            if "numeric" in f and "merged" in f["numeric"]:
                items, weights, error = f["numeric"]["merged"]
                col.numeric = NumericSummary.from_state(f["numeric"], None)
                col.numeric.kll = MergedQuantiles(np.frombuffer(get(items), dtype="<f8"), np.frombuffer(get(weights), dtype="<i8"), float(error))
            elif "numeric" in f:
                col.numeric = NumericSummary.from_state(f["numeric"], get(f["numeric"]["kll"]))
            if "categorical" in f:
                col.categorical = CategoricalSummary.from_state(f["categorical"]["count"], get(f["categorical"]["sketch"]))
            col.distinct = hll(f["distinct"])
            if "vector" in f:
                v = f["vector"]
                col.vector = VectorSummary(int(v["dim"]), int(v["count"]), np.frombuffer(get(v["total"]), dtype="<f8").copy(),
                                           float(v["sq_norms"]))
            fields[name] = col
        violations = {(fld, kind): int(c) for fld, kind, c in header["violations"]}
        guards = {k: int(v) for k, v in header.get("guards", {}).items()}  # absent in profiles written before guards were counted
        return Profile(int(header["n"]), fields, {k: int(v) for k, v in header["sources"].items()}, violations, hll(header["rows"]), guards)
    except ValueError:
        raise
    except Exception as e:  # corrupt bytes surface as one clear error, not a random one
        raise ValueError(f"not a readable telltale profile: {type(e).__name__}: {e}") from None
