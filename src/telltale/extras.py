"""The optional extras: what each one installs, and the error when one is missing.

``pip install telltale`` brings the guard, the contract, the spec and recording to a
SQLite store or a server over HTTP. The rest comes with an extra (pyproject.toml,
``[project.optional-dependencies]``); whatever needs one calls :func:`require` first, so
a lean install answers ``telltale serve needs the server extra: pip install
'telltale[server]'`` instead of a traceback about ``fastapi``.

>>> require("server", what="telltale serve")  # all extras are installed here
>>> str(MissingExtra("telltale serve", ["server"]))
"telltale serve needs the server extra: pip install 'telltale[server]'"
"""

from __future__ import annotations

import importlib.util

from telltale.errors import TelltaleError

#: Each extra and the top-level modules it installs, in pyproject.toml's order. An extra
#: counts as installed when every one of them can be found (found, not imported: cheap).
EXTRAS: dict[str, tuple[str, ...]] = {
    "server": ("fastapi", "uvicorn", "swagger_ui_bundle", "scipy", "pyarrow"),
    "report": ("pyarrow", "scipy", "sklearn", "matplotlib"),
    "postgres": ("psycopg",),
    "dask": ("dask", "distributed"),
    "spark": ("pyspark",),
    "otel": ("opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http", "opentelemetry.semconv"),
}


class MissingExtra(TelltaleError, ImportError):
    """``what`` needs extras that are not installed; the message says how to add them."""

    def __init__(self, what: str, extras: list[str], detail: str = "") -> None:
        self.what = what
        self.extras = list(extras)
        noun = "extra" if len(self.extras) == 1 else "extras"
        names = " and ".join(self.extras)
        message = f"{what} needs the {names} {noun}: pip install 'telltale[{','.join(self.extras)}]'"
        super().__init__(f"{message} ({detail})" if detail else message)


def installed(extra: str) -> bool:
    """True when every module of ``extra`` can be imported."""
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}: one of {', '.join(EXTRAS)}")
    return all(_findable(m) for m in EXTRAS[extra])


def require(*extras: str, what: str) -> None:
    """Raise :class:`MissingExtra` naming those of ``extras`` that are not installed."""
    missing = [e for e in extras if not installed(e)]
    if missing:
        raise MissingExtra(what, missing)


def extra_for(module: str | None) -> str | None:
    """The extra that installs ``module`` (a dotted name from ``ModuleNotFoundError.name``)."""
    if not module:
        return None
    for extra, modules in EXTRAS.items():
        for m in modules:
            if module == m or module.startswith(m + ".") or m.startswith(module + "."):
                return extra
    return None


def _findable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a module set to None
        return False
