"""The ``spark`` engine: Spark reads the files, and each partition is profiled in its task.

``spark.read.parquet`` (or ``.csv``) splits the input as Spark always does; every task
receives its partition as Arrow record batches (``DataFrame.mapInArrow``), profiles them
and yields one row: its partition index and the profile's bytes. The driver merges the
partials in partition order. ``profile_dataframe`` does the same for any DataFrame a
Spark user already has (a table, a join). Without an ``address`` Spark runs in local
mode with ``workers`` cores, its UI off and bound to loopback; it needs a Java runtime
(Debian's OpenJDK 17).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from telltale.engines.pieces import Piece

#: What each task yields: its partition index and its partial profile.
_SCHEMA = "partition long, profile binary"


def run(pieces: Sequence[Piece], spec_json: str, options: Any) -> list[bytes]:
    paths = list(dict.fromkeys(p.path for p in pieces))
    spark = session(options)
    try:
        csv = [p for p in paths if p.lower().endswith((".csv", ".tsv"))]
        if csv and len(csv) != len(paths):
            raise ValueError("the spark engine reads one format per run: give only Parquet or only CSV files")
        reader = spark.read.option("header", "true").option("inferSchema", "true")
        df = reader.csv(paths) if csv else spark.read.parquet(*paths)
        out = partials(df, spec_json)
    finally:
        spark.stop()
    if options.progress is not None:
        options.progress(len(pieces), len(pieces))
    return out


def session(options: Any) -> Any:
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
            part = TaskContext.get().partitionId()
            yield pa.RecordBatch.from_pydict({"partition": [part], "profile": [merged.to_bytes()]},
                                             schema=pa.schema([("partition", pa.int64()), ("profile", pa.binary())]))

    rows = df.mapInArrow(profile_partition, _SCHEMA).collect()
    return [bytes(r["profile"]) for r in sorted(rows, key=lambda r: r["partition"])]


def profile_dataframe(df: Any, spec: Any) -> Any:
    """The profile of a Spark DataFrame the caller already has, built in its own tasks."""
    from telltale.engines import merge_in_order

    return merge_in_order(partials(df, spec.model_dump_json()))
