"""The ``spark`` engine: pieces profiled in PySpark tasks, or a DataFrame in its own.

For files (``telltale profile --engine spark``), the piece list is parallelised one piece
per partition and each task reads its piece with pyarrow and runs the engine's task on it
(profiles it, or profiles its minutes for a backfill): the same
pieces, bytes and types as every other engine, merged in the same order; Spark
schedules, retries and spreads the tasks. For a DataFrame a Spark user already has (a
table, a join), ``profile_dataframe`` profiles each partition where it lies: the task
receives it as Arrow record batches (``DataFrame.mapInArrow``) and yields its partial
profile with its partition index; the driver merges them in partition order. (On files,
Spark's own reader is several times slower here than pyarrow's: the JVM materialises
every string and ships the batches to Python through a socket.) Without an ``address``
Spark runs in local mode with ``workers`` cores, its UI off and bound to loopback; it
needs a Java runtime (Debian's OpenJDK 17).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from telltale.engines.pieces import Piece

#: What each DataFrame task yields: its partition index and its partial profile.
_SCHEMA = "partition long, profile binary"


def run(pieces: Sequence[Piece], task: Callable[[Piece], Any], options: Any) -> list[Any]:
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()  # a session the caller runs keeps running
    spark = active or session(options)
    try:
        items = list(enumerate(pieces))
        rdd = spark.sparkContext.parallelize(items, numSlices=max(1, len(items)))
        done = rdd.map(lambda ip: (ip[0], task(ip[1]))).collect()
    finally:
        if active is None:
            spark.stop()
    if options.progress is not None:
        options.progress(len(done), len(pieces))
    return [b for _, b in sorted(done, key=lambda kv: kv[0])]


def session(options: Any) -> Any:
    """A local-mode (or ``options.address``) SparkSession set up for loopback."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise RuntimeError("the spark engine needs PySpark: pip install 'telltale[spark]' (and a Java 17 runtime)") from None
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers import telltale from this environment
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    return (SparkSession.builder.appName("telltale-profile")
            .master(options.address or f"local[{options.workers}]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate())


def partials(df: Any, spec_json: str) -> list[bytes]:
    """One partial profile per partition of ``df``, in partition order."""

    def profile_partition(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        from pyspark import TaskContext

        from telltale.engines.pieces import _spec
        from telltale.profile import Profile

        spec = _spec(spec_json)
        merged = None
        for batch in batches:
            if batch.num_rows:
                p = Profile.from_columns(spec, pa.Table.from_batches([batch]))
                merged = p if merged is None else merged.merge(p)
        if merged is not None:
            ctx = TaskContext.get()
            assert ctx is not None  # this runs inside a Spark task
            part = ctx.partitionId()
            yield pa.RecordBatch.from_pydict({"partition": [part], "profile": [merged.to_bytes()]},
                                             schema=pa.schema([("partition", pa.int64()), ("profile", pa.binary())]))

    rows = df.mapInArrow(profile_partition, _SCHEMA).collect()
    return [bytes(r["profile"]) for r in sorted(rows, key=lambda r: r["partition"])]


def profile_dataframe(df: Any, spec: Any) -> Any:
    """The profile of a Spark DataFrame the caller already has, built in its own tasks."""
    from telltale.engines import merge_in_order

    return merge_in_order(partials(df, spec.model_dump_json()))
