"""A HyperLogLog distinct counter fed with whole NumPy arrays of 64-bit hashes.

Why not DataSketches' ``hll_sketch``: its Python binding updates one value per call
(about 0.5 s per million values, all of them Python objects), which breaks the rule that
10 million rows never become 10 million Python objects. This is the same algorithm
(Flajolet et al. 2007) with registers updated by one ``bincount``, merged by an
element-wise max, and read with Ertl's improved estimator (arXiv:1702.01284), which needs
no bias tables and is accurate from 0 to billions. Relative standard error is
1.04/sqrt(2**p): 1.6% at p=12, 0.8% at p=14.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

_U = np.uint64
_CHUNK = 1 << 16
_SMALL = 1 << 12


def _rank(h: np.ndarray, p: int, q: int) -> np.ndarray:
    """Leading zeros of the low q bits, plus one. frexp gives the bit length exactly
    except within 2**-53 of a power of two (immaterial here)."""
    _, e = np.frexp((h << _U(p)).astype(np.float64))
    return np.minimum(65 - e.astype(np.int64), q + 1).astype(np.uint8)


class HLL:
    """Distinct count estimate over 64-bit hashes; ``p`` sets 2**p one-byte registers."""

    __slots__ = ("p", "registers")

    def __init__(self, p: int = 12, registers: np.ndarray | None = None) -> None:
        if not 4 <= p <= 18:
            raise ValueError(f"HLL precision p must be between 4 and 18, got {p}")
        self.p = p
        m = 1 << p
        if registers is None:
            registers = np.zeros(m, dtype=np.uint8)
        elif registers.shape != (m,):
            raise ValueError(f"HLL with p={p} needs {m} registers, got {registers.shape}")
        self.registers = registers

    def update(self, hashes: np.ndarray) -> None:
        """Add every hash in ``hashes`` (uint64) to the sketch."""
        if len(hashes) == 0:
            return
        h = np.asarray(hashes, dtype=_U)
        p, q = self.p, 64 - self.p
        if len(h) <= _SMALL:  # a minute's batch: scatter-max beats the grid's fixed 2**p cost
            np.maximum.at(self.registers, (h >> _U(q)).astype(np.int64), _rank(h, p, q))
            return
        width = q + 2
        seen = np.zeros((1 << p) * width, dtype=bool)
        for lo in range(0, len(h), _CHUNK):
            c = h[lo:lo + _CHUNK]
            idx = (c >> _U(q)).astype(np.int64)
            seen[idx * width + _rank(c, p, q)] = True
        grid = seen.reshape(1 << p, width)
        top = np.where(grid.any(axis=1), width - 1 - np.argmax(grid[:, ::-1], axis=1), 0).astype(np.uint8)
        np.maximum(self.registers, top, out=self.registers)

    def merge(self, other: HLL) -> HLL:
        if other.p != self.p:
            raise ValueError(f"cannot merge HLL sketches of precision {self.p} and {other.p}")
        return HLL(self.p, np.maximum(self.registers, other.registers))

    @classmethod
    def union(cls, sketches: list[HLL]) -> HLL:
        """The union of many sketches of one precision (an element-wise max: exact and
        order-free, so deterministic)."""
        p = sketches[0].p
        for s in sketches:
            if s.p != p:
                raise ValueError(f"cannot merge HLL sketches of precision {p} and {s.p}")
        return cls(p, np.maximum.reduce([s.registers for s in sketches]) if len(sketches) > 1 else sketches[0].registers.copy())

    def copy(self) -> HLL:
        return HLL(self.p, self.registers.copy())

    @property
    def is_empty(self) -> bool:
        return not self.registers.any()

    def estimate(self) -> float:
        """Ertl's improved raw estimator (section 4 of the paper)."""
        m = 1 << self.p
        q = 64 - self.p
        c = np.bincount(self.registers, minlength=q + 2).astype(np.float64)
        if c[0] == m:
            return 0.0
        z = m * _tau(1.0 - c[q + 1] / m)
        for k in range(q, 0, -1):
            z = 0.5 * (z + c[k])
        z += m * _sigma(c[0] / m)
        return m * m / (2.0 * math.log(2.0)) / z

    @property
    def relative_error(self) -> float:
        return 1.04 / math.sqrt(1 << self.p)

    def to_bytes(self) -> bytes:
        return bytes([self.p]) + zlib.compress(self.registers.tobytes(), 6)

    @classmethod
    def from_bytes(cls, data: bytes) -> HLL:
        p = data[0]
        regs = np.frombuffer(zlib.decompress(data[1:]), dtype=np.uint8).copy()
        return cls(p, regs)


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y, z = 1.0, x
    while True:
        x *= x
        z_old = z
        z += x * y
        y += y
        if z == z_old:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y, z = 1.0, 1.0 - x
    while True:
        x = math.sqrt(x)
        z_old = z
        y *= 0.5
        z -= (1.0 - x) ** 2 * y
        if z == z_old:
            return z / 3.0
