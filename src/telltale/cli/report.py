"""``telltale report``: check a current data set against a reference, in CI or every morning.

Exit codes: 0 no critical finding, 1 at least one critical finding, 2 a usage error
(missing file, unreadable data, a spec column in neither set), with a one-line reason.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from telltale.cli._common import missing_files


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        reference: Path | None = typer.Option(None, "--reference", help="Reference data (Parquet or CSV), e.g. the training set, or a saved .profile (from `telltale init` or `telltale profile`); default: the spec's reference: key."),
        current: Path = typer.Option(..., "--current", help="Current data (Parquet or CSV), e.g. yesterday's inputs."),
        spec: Path | None = typer.Option(None, "--spec", help="The service spec; inferred from the reference when omitted."),
        json_out: Path | None = typer.Option(None, "--json", help="Write {findings, summary} as JSON here."),
        html_out: Path | None = typer.Option(None, "--html", help="Write a self-contained HTML report here."),
        multivariate: bool = typer.Option(True, "--multivariate/--no-multivariate", help="Run the domain-classifier drift check."),
        target: str | None = typer.Option(None, "--target", help="The label column: realized performance on both sets, a drop flagged."),
        prediction: str | None = typer.Option(None, "--prediction", help="The model's output column (default: the spec's prediction)."),
        confidence: str | None = typer.Option(None, "--confidence", help="For a classifier: the probability of the predicted class (ROC AUC, log loss, and the estimate when --current has no labels)."),
        probabilities: str | None = typer.Option(None, "--probabilities", help="For a multi-class classifier: every class's probability column, CLASS=COLUMN,... (macro precision, recall and F1 estimated too)."),
    ) -> None:
        """Data quality and drift of --current against --reference (with --target, realized performance, or estimated when --current has no labels); exit 1 on any critical finding."""
        code = run(reference, current, spec, json_out, html_out, multivariate=multivariate, target=target, prediction=prediction,
                   confidence=confidence, probabilities=probabilities)
        raise typer.Exit(code)


def run(reference: Path | None, current: Path, spec: Path | None, json_out: Path | None, html_out: Path | None, *,
        multivariate: bool = True, console: Console | None = None, target: str | None = None,
        prediction: str | None = None, confidence: str | None = None, probabilities: str | None = None) -> int:
    """The command's body, returning its exit code (kept apart from typer for reuse)."""
    from contextlib import nullcontext

    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    # Both cores from the start: the domain classifier's helper process imports
    # scikit-learn while this process reads the data, and trains while it profiles.
    from telltale.report.build import ReportUsageError, build_report, is_profile_path, load_inputs, spec_reference
    from telltale.report.classifier import ClassifierProcess
    from telltale.report.terminal import print_summary

    err = Console(stderr=True, highlight=False, soft_wrap=True)
    missing = missing_files([reference, current])
    if missing:
        err.print("telltale report: " + missing, markup=False)
        return 2
    saved = reference is None or is_profile_path(reference)
    helper = ClassifierProcess() if multivariate and not saved else None  # no reference rows, no classifier
    out = console or Console(highlight=False)
    try:
        probs = parse_probabilities(probabilities)
        with helper or nullcontext(), \
                Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True) as bar:
            task = bar.add_task("reading data")
            seconds: dict[str, float] = {}
            exclude = [c for c in (target, confidence, *(probs or {}).values()) if c is not None]
            ref, cur, sp, source = load_inputs(reference, current, spec, seconds, exclude)
            ref_path = str(reference) if reference is not None else f"{sp.reference} (from the spec)"
            saved_perf = None
            if target is not None and saved:
                from telltale.report.reference_performance import PerformanceUsageError, read_beside

                try:
                    saved_perf = read_beside(reference if reference is not None else spec_reference(spec, sp))
                except PerformanceUsageError as e:
                    raise ReportUsageError(str(e)) from None
            rep = build_report(ref, cur, sp, spec_source=source, reference_path=ref_path, current_path=str(current),
                               multivariate=multivariate and helper is not None, progress=lambda msg: bar.update(task, description=msg),
                               classifier=helper, target=target, prediction=prediction, confidence=confidence,
                               probabilities=probs, reference_performance=saved_perf)
            rep.seconds = {**seconds, **rep.seconds}
            if html_out is not None:
                from telltale.report.html import write_html

                bar.update(task, description="plotting flagged features")
                write_html(rep, html_out, _plotter(rep))
    except ReportUsageError as e:
        err.print(f"telltale report: {e}", markup=False)
        return 2
    except OSError as e:
        err.print(f"telltale report: cannot write {e.filename}: {e.strerror}", markup=False)
        return 2
    if json_out is not None:
        try:
            json_out.write_text(json.dumps(rep.to_dict(), indent=2, allow_nan=False), encoding="utf-8")
        except OSError as e:
            err.print(f"telltale report: cannot write {json_out}: {e.strerror}", markup=False)
            return 2
    print_summary(rep, out)
    return rep.exit_code


def parse_probabilities(text: str | None) -> dict[str, str] | None:
    """``a=p_a,b=p_b`` as {class: column}; ReportUsageError naming the bad item."""
    from telltale.report.build import ReportUsageError

    if text is None:
        return None
    out: dict[str, str] = {}
    for i, item in enumerate(text.split(",")):
        cls, eq, col = item.partition("=")
        if not eq or not cls.strip() or not col.strip():
            raise ReportUsageError(f"--probabilities item {i} {item!r}: give CLASS=COLUMN for every class, e.g. "
                                   "--probabilities setosa=p_setosa,versicolor=p_versicolor,virginica=p_virginica")
        if cls.strip() in out:
            raise ReportUsageError(f"--probabilities item {i} {item!r}: class {cls.strip()!r} is named twice")
        out[cls.strip()] = col.strip()
    if len(out) < 2:
        raise ReportUsageError("--probabilities: name at least two classes (CLASS=COLUMN,CLASS=COLUMN,...)")
    return out


def _plotter(rep: Any) -> Any:
    from telltale.drift.arrays import is_numeric_column
    from telltale.report.plots import feature_plot, profile_values

    def reference_column(name: str) -> Any:
        if rep.saved_reference:  # stand-in values drawn from the saved profile's sketches
            col = rep.reference.fields.get(name)
            return profile_values(col) if col is not None else None
        return rep.reference.column(name) if name in rep.reference.column_names else None

    def plot(name: str) -> str | None:
        ref = reference_column(name)
        cur = rep.current.column(name) if name in rep.current.column_names else None
        if ref is None and cur is None:
            return None
        field = rep.spec.inputs.get(name)
        if field is not None and field.type in ("text", "vector"):
            return None  # the drift findings name the moved n-grams / statistics; no histogram of whole texts
        cols = [c for c in (ref, cur) if c is not None]
        numeric = all(is_numeric_column(c) for c in cols) and (field is None or field.type in ("float", "int", "timestamp"))
        return feature_plot(name, ref, cur, numeric)

    return plot
