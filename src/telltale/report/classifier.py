"""The report's domain classifier in a helper process, so it uses the second core.

``telltale report`` starts :class:`ClassifierProcess` before it reads any data: the
helper imports scikit-learn (about a second) while the report reads the files, then
trains on the sampled rows while the report profiles them. The helper runs
:mod:`telltale.drift._classifier` by path (it imports nothing else from telltale), and
whatever goes wrong there (no helper, a crash, an error) the fit runs in process instead,
with the same result: same code, same seeds.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import threading
from typing import Any

from telltale.drift.multivariate import Design, MultivariateResult

# Run the classifier file without putting its directory (or the working directory) first
# on sys.path, where its sibling modules could shadow top-level packages.
_BOOT = "import runpy, sys; path = sys.argv[1]; del sys.path[0]; runpy.run_path(path, run_name='__main__')"


class ClassifierProcess:
    """One helper process, fed one job."""

    def __init__(self) -> None:
        from telltale.drift import _classifier

        self._sender: threading.Thread | None = None
        self._design: Design | None = None
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                [sys.executable, "-c", _BOOT, _classifier.__file__],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except OSError:
            self._proc = None

    def submit(self, design: Design) -> None:
        """Hand the job over; returns at once (the pipe is fed from a thread, since the
        helper reads it only once its imports are done)."""
        self._design = design
        if self._proc is None:
            return
        data = pickle.dumps(design.job(), protocol=pickle.HIGHEST_PROTOCOL)
        self._sender = threading.Thread(target=_send, args=(self._proc, data), daemon=True)
        self._sender.start()

    def result(self) -> MultivariateResult:
        """The submitted job's verdict (from the helper, or fitted here if it failed)."""
        design = self._design
        if design is None:
            raise RuntimeError("result() before submit()")
        fitted = self._collect()
        if fitted is None:
            from telltale.drift._classifier import fit_and_explain

            fitted = fit_and_explain(**design.job())
        return design.result(fitted)

    def _collect(self) -> dict[str, Any] | None:
        proc = self._proc
        if proc is None or proc.stdout is None:
            return None
        try:
            raw = proc.stdout.read()
            out = pickle.loads(raw) if raw else None
        except (OSError, pickle.UnpicklingError, EOFError):
            out = None
        if self._sender is not None:
            self._sender.join()
        self.close()
        return out.get("ok") if isinstance(out, dict) else None

    def close(self) -> None:
        """Reap the helper, stopping it first if it is still waiting or working (no job
        was submitted, or the report failed)."""
        proc = self._proc
        self._proc = None
        if proc is None:
            return
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass

    def __enter__(self) -> ClassifierProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _send(proc: subprocess.Popen[bytes], data: bytes) -> None:
    if proc.stdin is None:
        return
    try:
        proc.stdin.write(data)
        proc.stdin.close()
    except (OSError, ValueError):  # the helper died (or was closed); result() falls back
        pass
