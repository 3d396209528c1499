"""The ``dask`` engine: pieces mapped over a Dask cluster (``dask.distributed``).

Without an ``address`` a ``LocalCluster`` of ``workers`` single-threaded processes is
started on loopback for the run and closed after (the sketches' C++ holds the GIL, so
processes, not threads, are what run in parallel). Each task reads and profiles one
piece (the task: a picklable callable, e.g. ``functools.partial`` of a module-level
function) and returns its result; the results come back in piece order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from telltale.engines.pieces import Piece


def run(pieces: Sequence[Piece], task: Callable[[Piece], Any], options: Any) -> list[Any]:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise RuntimeError("the dask engine needs Dask: pip install 'telltale[dask]'") from None

    cluster = None
    if options.address is None:
        cluster = LocalCluster(n_workers=options.workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, silence_logs=40)
    client = Client(cluster if cluster is not None else options.address)
    try:
        futures = client.map(task, list(pieces), pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        out: list[Any] = [None] * len(futures)
        got = [False] * len(futures)
        for done, fut in enumerate(as_completed(futures), 1):
            out[index[fut.key]] = fut.result()
            got[index[fut.key]] = True
            if options.progress is not None:
                options.progress(done, len(futures))
        assert all(got)  # as_completed yields every future once
        return out
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
