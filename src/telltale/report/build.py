"""The batch report's statistics: read two data sets, run every check, collect the verdicts.

Rendering (terminal, JSON, HTML, plots) lives in sibling modules and only reads the
:class:`Report` built here. Data stays columnar: pyarrow tables in, profiles (sketches)
for the data-quality checks, numpy buffers for the exact drift statistics.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telltale.drift.arrays import DriftReport, drift_columns, drift_inputs
from telltale.drift.multivariate import AUC_CRITICAL, MultivariateResult, design_matrix
from telltale.errors import TelltaleError
from telltale.report.rows import CheckRow
from telltale.spec.model import BLANK, ServiceSpec
from telltale.types import Finding

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    from telltale.report.classifier import ClassifierProcess
    from telltale.report.performance import PerformanceResult
    from telltale.report.reference_performance import ReferencePerformance

#: Kinds the report computes exactly on the raw columns rather than on profiles.
DRIFT_KINDS = ("drift", "prediction_drift", "multivariate_drift")
_KIND_ORDER = ("schema", "type", "unit", "nulls", "range", "category", "duplicates", "segment", *DRIFT_KINDS)


class ReportUsageError(TelltaleError, ValueError):
    """The report cannot run on what it was given; the message is one line naming the fix."""


@dataclass
class Report:
    spec: ServiceSpec
    spec_source: str
    reference_path: str
    current_path: str
    reference: Any  # pyarrow.Table
    current: Any
    findings: list[Finding]
    checks: list[CheckRow]
    drift: DriftReport
    seconds: dict[str, float] = field(default_factory=dict)
    performance: PerformanceResult | None = None  # with --target: realized, or estimated without current labels

    @property
    def critical(self) -> bool:
        return any(f.severity == "critical" for f in self.findings)

    @property
    def exit_code(self) -> int:
        """1 when any finding is critical, else 0 (usage errors exit 2 before a report exists)."""
        return 1 if self.critical else 0

    @property
    def flagged_features(self) -> list[str]:
        return list(dict.fromkeys(f.feature for f in self.findings if f.feature))

    def summary(self) -> dict[str, Any]:
        sev = Counter(f.severity for f in self.findings)
        mv = self.drift.multivariate
        return {
            "reference": {"path": self.reference_path, **_size(self.reference)},
            "current": {"path": self.current_path, "rows": self.current.num_rows, "columns": self.current.num_columns},
            "spec": self.spec_source,
            "checks_run": sum(1 for c in self.checks if c.status != "skipped"),
            "findings": len(self.findings),
            "critical": sev.get("critical", 0),
            "warning": sev.get("warning", 0),
            "by_kind": dict(Counter(f.kind for f in self.findings)),
            "features_flagged": self.flagged_features,
            "multivariate_auc": None if mv is None or mv.auc != mv.auc else round(mv.auc, 4),
            "exit_code": self.exit_code,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
            **({"performance": self.performance.to_dict()} if self.performance is not None else {}),
        }

    @property
    def saved_reference(self) -> bool:
        """True when the reference is a saved profile rather than data."""
        return not hasattr(self.reference, "num_rows")

    def to_dict(self) -> dict[str, Any]:
        return {"findings": [f.to_dict() for f in self.findings], "summary": self.summary()}


#: File endings of a saved reference profile (``telltale init`` writes ``<spec>.reference.profile``).
PROFILE_SUFFIXES = (".profile",)


def is_profile_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in PROFILE_SUFFIXES


def _size(side: Any) -> dict[str, Any]:
    if hasattr(side, "num_rows"):  # a pyarrow Table
        return {"rows": side.num_rows, "columns": side.num_columns}
    return {"rows": side.n, "columns": len(side.inputs), "profile": True}


def spec_reference(spec_path: str | Path | None, spec: ServiceSpec) -> Path:
    """The reference the spec's ``reference:`` key names, relative to the spec's folder."""
    return Path(spec_path or ".").parent / str(spec.reference)


def load_inputs(reference: str | Path | None, current: str | Path, spec_path: str | Path | None,
                seconds: dict[str, float] | None = None, exclude: Collection[str] = ()) -> tuple[Any, Any, ServiceSpec, str]:
    """Read the reference (data, or a saved profile), the current data and the spec (or
    infer one from reference data, leaving the ``exclude`` columns out of its inputs);
    ``seconds`` receives the time spent reading and inferring.

    With a saved profile the reference is a :class:`~telltale.profile.Profile` and the
    spec is required: a profile keeps summaries, not the contract. Without ``reference``
    the spec's own ``reference:`` key names the profile (relative to the spec file)."""
    from telltale.errors import SpecError
    from telltale.infer import DataError, read_table

    timing = seconds if seconds is not None else {}
    t0 = time.perf_counter()
    spec: ServiceSpec | None = None
    if spec_path is not None:
        from telltale.spec import load_spec

        try:
            spec = load_spec(spec_path)
        except SpecError as e:
            raise ReportUsageError(str(e).splitlines()[0]) from None
    if reference is None:
        if spec is None or not spec.reference:
            raise ReportUsageError("no reference: pass --reference (data or a saved .profile), or a --spec whose reference: key names one")
        reference = spec_reference(spec_path, spec)
    saved = is_profile_path(reference)
    if saved and spec is None:
        raise ReportUsageError(f"{reference}: a saved reference profile needs --spec (the telltale.yaml `telltale init` wrote beside it)")
    try:
        ref = read_profile(reference) if saved else read_table(reference)
        cur = read_table(current)
    except DataError as e:
        raise ReportUsageError(str(e)) from None
    for name, path, rows in (("reference", reference, ref.n if saved else ref.num_rows), ("current", current, cur.num_rows)):
        if rows == 0:
            raise ReportUsageError(f"{path}: the {name} data has no rows")
    timing["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if spec is not None:
        source = str(spec_path)
    else:
        spec, source = infer_spec(ref, exclude), "inferred from the reference"
    timing["spec"] = time.perf_counter() - t0
    ref_names = set(ref.fields) if saved else set(ref.column_names)
    absent = [n for n in spec.inputs if n not in ref_names and n not in cur.column_names]
    if absent:
        raise ReportUsageError(f"column {absent[0]!r} named in the spec is in neither data set"
                               f"{f' (nor {len(absent) - 1} more)' if len(absent) > 1 else ''}; fix the spec or the data")
    return ref, cur, spec, source


def read_profile(path: str | Path) -> Any:
    """A saved profile (``Profile.to_bytes``), or DataError naming the file and the problem."""
    from telltale.infer import DataError
    from telltale.profile import Profile

    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{p}: file not found") from None
    except OSError as e:
        raise DataError(f"{p}: cannot be read: {e.strerror}") from None
    try:
        return Profile.from_bytes(data)
    except ValueError as e:
        raise DataError(f"{p}: {e}; write one with `telltale init` or `telltale profile`") from None


def infer_spec(table: Any, exclude: Collection[str] = ()) -> ServiceSpec:
    """A spec inferred from reference data: the contract only, people's decisions left blank;
    ``exclude`` names columns that are not inputs (the label, the scores)."""
    from telltale.infer import infer
    from telltale.spec import spec_from_dict

    if exclude:
        table = table.drop_columns([c for c in dict.fromkeys(exclude) if c in table.column_names])
    inf = infer(table, describe=False)  # the contract only: no medians for comments nobody reads
    if not inf.inputs:
        raise ReportUsageError("no column of the reference can be an input (supported: numbers, booleans, strings, timestamps)")
    return spec_from_dict({"service": "report", "owner": BLANK, "inputs": {f.name: f.to_spec() for f in inf.inputs}})


def build_report(reference: Any, current: Any, spec: ServiceSpec, *, spec_source: str = "", reference_path: str = "",
                 current_path: str = "", multivariate: bool = True, progress: Callable[[str], None] | None = None,
                 classifier: ClassifierProcess | None = None, target: str | None = None, prediction: str | None = None,
                 confidence: str | None = None, probabilities: Mapping[str, str] | None = None,
                 reference_performance: ReferencePerformance | None = None) -> Report:
    """Run every data-quality check (on profiles) and the drift checks (on the columns);
    with ``target`` (the label column), realized performance on both sets too, or on the
    reference and estimated on the current set when it has no labels (``report.performance``).

    With ``classifier`` (a helper process), the multivariate check's classifier trains
    there while this process profiles the data; without, it trains here, last. A
    :class:`~telltale.profile.Profile` as ``reference`` (a saved one) profiles only the
    current data (see ``_build_on_profile``), and ``target`` then needs ``reference_performance``
    (what ``telltale init`` saved of the labelled reference)."""
    from telltale.profile import Profile

    step = progress or (lambda _msg: None)
    perf: PerformanceResult | None = None
    if isinstance(reference, Profile):
        if target is not None:
            if reference_performance is None:
                raise ReportUsageError("--target with a saved reference profile needs the reference's performance, which `telltale "
                                       "init --target Y --prediction P --confidence C` saves beside it (.performance); run that, "
                                       "or pass the reference data file (--reference train.parquet)")
            _, current, perf = _performance(reference_performance, current, spec, target, prediction, confidence, probabilities)
        return _build_on_profile(reference, current, spec, step, spec_source=spec_source,
                                 reference_path=reference_path, current_path=current_path, perf=perf)
    seconds: dict[str, float] = {}
    if target is not None:
        reference, current, perf = _performance(reference, current, spec, target, prediction, confidence, probabilities)
    ref_cols = {n: reference.column(n) for n in reference.column_names}
    cur_cols = {n: current.column(n) for n in current.column_names}
    t0 = time.perf_counter()
    design: Any = None
    inputs = drift_inputs(ref_cols, cur_cols, spec) if multivariate else []
    if inputs:
        design = design_matrix(ref_cols, cur_cols, features=inputs)
        if classifier is not None and not isinstance(design, MultivariateResult):
            classifier.submit(design)
    seconds["multivariate_sample"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    step("profiling reference and current")
    # Two threads: the sketches' C++ and NumPy release the GIL for much of the work.
    with ThreadPoolExecutor(max_workers=2) as pool:
        ref_f = pool.submit(Profile.from_columns, spec, reference)
        cur_p = Profile.from_columns(spec, current)
        ref_p = ref_f.result()
    seconds["profiles"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    findings, rows = _quality(spec, cur_p, ref_p, step)
    seconds["quality"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    drift = drift_columns(ref_cols, cur_cols, spec, multivariate=False, progress=lambda n: step(f"drift: {n}"))
    seconds["drift"] = time.perf_counter() - t0
    if design is not None:
        t0 = time.perf_counter()
        step("multivariate (domain classifier)")
        if isinstance(design, MultivariateResult):
            mv = design
        elif classifier is not None:
            mv = classifier.result()
        else:
            from telltale.drift._classifier import fit_and_explain

            mv = design.result(fit_and_explain(**design.job()))
        drift = replace(drift, multivariate=mv)
        seconds["multivariate"] = time.perf_counter() - t0
    for r in drift.results:
        rows.append(CheckRow(r.kind, r.feature, r.severity or "passed", r.statistic, r.value, r.threshold, r.message))
    for name, why in drift.skipped.items():
        rows.append(CheckRow("drift", name, "skipped", detail=why))
    if drift.multivariate is not None:
        mv = drift.multivariate
        rows.append(CheckRow("multivariate_drift", None, mv.severity or "passed", "domain_classifier_auc", mv.auc, AUC_CRITICAL, mv.message))
    findings.extend(drift.findings())
    if perf is not None:
        findings.extend(perf.findings)
        rows.extend(perf.check_rows())
    findings.sort(key=_order)
    return Report(spec, spec_source, reference_path, current_path, reference, current, findings, rows, drift, seconds, perf)


def _performance(reference: Any, current: Any, spec: ServiceSpec, target: str, prediction: str | None,
                 confidence: str | None, probabilities: Mapping[str, str] | None) -> tuple[Any, Any, PerformanceResult]:
    """Performance of both sets; the label and score columns are then dropped from what
    the data checks see (they are not model inputs)."""
    from telltale.report.performance import Columns, performance_findings
    from telltale.report.reference_performance import PerformanceUsageError

    prediction = prediction or spec.prediction
    if prediction is None:
        raise ReportUsageError("--target needs the model's output too: pass --prediction COLUMN (or set prediction: in the spec)")
    cols = Columns(target, prediction, confidence, probabilities)
    try:
        perf = performance_findings(reference, current, spec, cols)
    except PerformanceUsageError as e:
        raise ReportUsageError(str(e)) from None
    drop = [c for c in cols.extra if c not in spec.inputs and c != prediction]

    def keep(t: Any) -> Any:
        return t.drop_columns([c for c in drop if c in t.column_names]) if hasattr(t, "drop_columns") else t

    return keep(reference), keep(current), perf


def _quality(spec: ServiceSpec, cur_p: Any, ref_p: Any, step: Callable[[str], None]) -> tuple[list[Finding], list[CheckRow]]:
    """Every data-quality check on the two profiles: its findings, and a row per check."""
    from telltale.checks import CHECKS

    findings: list[Finding] = []
    rows: list[CheckRow] = []
    for kind, check in CHECKS.items():
        step(f"checking {kind}")
        found = [f for f in check(spec, cur_p, ref_p, None) if f.kind not in DRIFT_KINDS]
        findings.extend(found)
        rows.extend(CheckRow(f.kind, f.feature, f.severity, f.statistic, f.value, f.threshold, f.message) for f in found)
        if not found:
            rows.append(CheckRow(kind, None, "passed", detail=f"no {kind} problem in {len(spec.inputs)} fields"))
    return findings, rows


def _build_on_profile(reference: Any, current: Any, spec: ServiceSpec, step: Callable[[str], None], *,
                      spec_source: str, reference_path: str, current_path: str, perf: PerformanceResult | None = None) -> Report:
    """The report against a saved reference profile: only the current data is profiled.

    Drift is measured between the two profiles (the sketch forms of the same statistics
    the server runs per window, within the sketches' stated error); the domain classifier
    needs reference rows, which a profile does not keep, so it is listed as skipped."""
    from telltale.drift.profiles import drift_results
    from telltale.profile import Profile

    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    step("profiling current")
    cur_p = Profile.from_columns(spec, current)
    seconds["profiles"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    findings, rows = _quality(spec, cur_p, reference, step)
    seconds["quality"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    step("drift")
    drift = DriftReport(drift_results(spec, cur_p, reference),
                        skipped={"(multivariate)": "the domain classifier needs reference rows; a saved profile keeps none"})
    seconds["drift"] = time.perf_counter() - t0
    for r in drift.results:
        rows.append(CheckRow(r.kind, r.feature, r.severity or "passed", r.statistic, r.value, r.threshold, r.message))
    rows.append(CheckRow("multivariate_drift", None, "skipped", detail=drift.skipped["(multivariate)"]))
    findings.extend(drift.findings())
    if perf is not None:
        findings.extend(perf.findings)
        rows.extend(perf.check_rows())
    findings.sort(key=_order)
    return Report(spec, spec_source, reference_path, current_path, reference, current, findings, rows, drift, seconds, perf)


def _order(f: Finding) -> tuple[int, int]:
    return (0 if f.severity == "critical" else 1, _KIND_ORDER.index(f.kind) if f.kind in _KIND_ORDER else len(_KIND_ORDER))
