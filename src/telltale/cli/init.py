"""``telltale init``: write a spec and a reference profile from training data.

The spec carries the inferred contract with a comment per field saying what was seen,
and leaves every human decision (owners, SLOs, rules, fallbacks) as a marked blank that
``telltale check`` lists until someone fills it.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import typer

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "none", "~"}


def register(app: typer.Typer) -> None:
    @app.command()
    def init(
        reference: Path = typer.Option(..., "--reference", help="Training or reference data: a .parquet or .csv file."),
        target: str = typer.Option(None, "--target", help="The label column (kept out of the inputs)."),
        prediction: str = typer.Option(None, "--prediction", help="The model's output column, if the data has one."),
        confidence: str = typer.Option(None, "--confidence", help="A classifier's probability of the predicted class: saved with the labels so that `telltale report --target` can estimate performance."),
        out: Path = typer.Option(Path("telltale.yaml"), "--out", help="Where to write the spec."),
        service: str = typer.Option(None, "--service", help="Service name (default: from the data file's name)."),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing spec."),
    ) -> None:
        """Infer a spec and a reference profile from training data; leave owners, SLOs,
        rules and fallbacks as blanks for `telltale check` to list."""
        from telltale.infer import DataError

        try:
            result = write_init(reference, out, target=target, prediction=prediction, confidence=confidence, service=service, force=force)
        except DataError as e:
            typer.echo(f"telltale init: {e}", err=True)
            raise typer.Exit(2) from None
        typer.echo(result)


def write_init(reference: Path, out: Path, *, target: str | None = None, prediction: str | None = None,
               confidence: str | None = None, service: str | None = None, force: bool = False) -> str:
    """Write the spec at ``out`` and the profile beside it (and, with a target and a prediction,
    the reference's performance summary for ``telltale report --target``); return a summary line."""
    from telltale.infer import DataError, infer, read_table, spec_data
    from telltale.profile import Profile
    from telltale.spec import check_spec, load_spec

    if out.exists() and not force:
        raise DataError(f"{out}: already exists; pass --force to overwrite it")
    if not out.parent.exists():
        raise DataError(f"{out.parent}: directory not found")
    from telltale.infer import MIN_ROWS

    table = read_table(reference)
    if table.num_rows < MIN_ROWS:
        rows = "no rows" if table.num_rows == 0 else f"only {table.num_rows} row{'s' if table.num_rows > 1 else ''}"
        raise DataError(f"{reference}: has {rows}; a contract needs at least {MIN_ROWS} to infer ranges and categories from "
                        "(give the training set, or a sample of production inputs)")
    if confidence is not None and confidence not in table.column_names:
        raise DataError(f"--confidence column {confidence!r} is not in the data; columns are {', '.join(table.column_names[:20])}")
    inf = infer(table.drop_columns([confidence]) if confidence else table, target=target, prediction=prediction)
    if not inf.inputs:
        raise DataError(f"{reference}: no column can be an input (all are the target, the prediction, or unsupported types)")
    name = service or _service_name(reference)
    profile_path = out.with_name(f"{out.stem}.reference.profile")
    data = spec_data(inf, service=name, target=target, prediction=prediction)
    data["reference"] = profile_path.name
    text = render(data, inf, reference, out, profile_path)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        spec = load_spec(tmp)  # never leave behind a spec that does not load
        profile_path.write_bytes(Profile.from_columns(spec, table).to_bytes())
        saved = _save_performance(table, spec, profile_path, target, prediction, confidence)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    blanks = len(check_spec(out))
    return (f"wrote {out} ({len(inf.inputs)} inputs from {inf.rows} rows) and {profile_path.name}{saved}; "
            f"{blanks} decisions are left blank: run `telltale check {out}` to list them")


def _save_performance(table: Any, spec: Any, profile_path: Path, target: str | None, prediction: str | None,
                      confidence: str | None) -> str:
    """With a target and a prediction, the reference's performance summary beside the profile (report/reference_performance.py)."""
    from telltale.infer import DataError
    from telltale.report.reference_performance import PerformanceUsageError, ReferencePerformance, performance_path

    path = performance_path(profile_path)
    if target is None or prediction is None:
        path.unlink(missing_ok=True)  # never leave one from an earlier init that no longer matches
        return ""
    try:
        perf = ReferencePerformance.from_table(table, spec, target, prediction, confidence)
    except PerformanceUsageError as e:
        raise DataError(str(e)) from None
    perf.write(path)
    return f" and {path.name}"


def render(data: dict[str, Any], inf: Any, reference: Path, out: Path, profile_path: Path) -> str:
    """The spec as YAML with comments: what was seen per field, and what to fill."""
    seen = {f.name: f.seen for f in inf.inputs}
    lines = [
        f"# Written by `telltale init` from {reference.name} ({inf.rows} rows).",
        "# The contract below is inferred: review every range and category list.",
        "# FILL_ME marks a decision a person must make; `telltale check` lists what is left.",
        f"service: {_s(data['service'])}",
        "owner: FILL_ME  # the team or person answerable for this service",
        "model_version: unversioned  # set it on every release so findings point at versions",
        "owners:  # who hears about which signals (data quality, model quality, platform)",
        "  data: FILL_ME",
        "  model: FILL_ME",
        "  platform: FILL_ME",
        "",
        "inputs:",
    ]
    width = max(len(_s(k)) for k in data["inputs"]) + 1
    for name, f in data["inputs"].items():
        key = f"{_s(name)}:".ljust(width + 1)
        lines.append(f"  {key} {_flow(f)}  # {seen.get(name, '')}".rstrip())
    for col, why in inf.skipped.items():
        lines.append(f"  # {col}: left out, {why}")
    lines.append("")
    if "output" in data:
        lines += ["output:", *(f"  {k}: {_value(v)}" for k, v in data["output"].items())]
        lines.append("")
    if data.get("target"):
        lines.append(f"target: {_s(data['target'])}")
    if data.get("prediction"):
        lines.append(f"prediction: {_s(data['prediction'])}")
    lines += [
        f"reference: {_s(data['reference'])}  # the reference profile written beside this file",
        "",
        "# FILL_ME: what is served when the model cannot be, in order, e.g.",
        "#   fallback: [rules, {default: 35.0}, abstain]",
        "fallback: []",
        "# FILL_ME: the objectives this service must meet, e.g.",
        "#   - {name: latency, indicator: latency_p99_ms, max: 150, period: 30d}",
        "slos: []",
        "# FILL_ME: when to fall back or roll back, decided before launch, e.g.",
        "#   - {name: unit-change, when: {kind: unit, severity: critical}, then: [fallback, alert]}",
        "rules: []",
        "# Where each signal family's alerts go (docs/alerts.md): `telltale check` wants a route",
        "# for every family the rules and SLOs can raise, e.g.",
        "#   alerting:",
        "#     receivers: {oncall: {webhook: {url: \"https://hooks.example.com/t\", secret_env: TELLTALE_WEBHOOK_SECRET}}}",
        "#     routes: {data: [oncall], model: [oncall], platform: [oncall]}",
        "",
    ]
    return "\n".join(lines)


def _service_name(path: Path) -> str:
    stem = path.name.split(".")[0]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-._")[:64]
    return name or "service"


def _s(x: str) -> str:
    """A YAML scalar for a string: plain when safe, JSON-quoted otherwise."""
    return x if _PLAIN.match(x) and x.lower() not in _YAML_WORDS else json.dumps(x, ensure_ascii=False)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return _s(v)
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return _flow(v)
    return json.dumps(v)


def _flow(d: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in d.items()) + "}"
