"""``telltale``: the command line entry point.

Each command lives in a module of its own under ``telltale.cli`` and exposes
``register(app)``; this module only assembles them, so heavy imports (the server,
pyarrow) happen when a command runs, not when ``telltale --help`` does.

A command that needs an optional extra (``telltale serve``: ``[server]``) says so and
exits 2 on an install without it, instead of a traceback (:func:`main`).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import typer

from telltale.extras import MissingExtra, extra_for, require

app = typer.Typer(
    name="telltale",
    help="A reliability layer for AI systems in production.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _main() -> None:
    """A reliability layer for AI systems in production."""


#: Command modules, in the order they appear in --help.
_COMMANDS = ("check", "init", "report", "profile", "backfill", "serve", "token", "findings", "performance", "review", "export", "slo", "control", "alerts", "timeline", "drill", "demo")

for _name in _COMMANDS:
    try:
        _module = importlib.import_module(f"telltale.cli.{_name}")
    except ModuleNotFoundError as _e:
        if _e.name != f"telltale.cli.{_name}":
            raise
        continue  # that command is not built yet
    _module.register(app)


#: The extras each command needs whatever its options (telltale.extras.EXTRAS); others
#: come up from what a run imports (``--engine dask``, a PostgreSQL ``--db``).
NEEDS: dict[str, tuple[str, ...]] = {
    "init": ("report",),
    "report": ("report",),
    "profile": ("report",),
    "backfill": ("report",),
    "export": ("report",),
    "serve": ("server",),
    "demo": ("server", "report"),
}


def main(argv: Sequence[str] | None = None) -> None:
    """The ``telltale`` console script: ``app`` with missing extras told as such."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args if not a.startswith("-")), "")
    try:
        if command in NEEDS and not {"--help", "-h"} & set(args):
            require(*NEEDS[command], what=f"telltale {command}")
        app(args=args, prog_name="telltale")
    except MissingExtra as e:
        _refuse(str(e))
    except ModuleNotFoundError as e:
        extra = extra_for(e.name)
        if extra is None:
            raise
        top = (e.name or "").split(".")[0]
        _refuse(str(MissingExtra(f"telltale {command}".rstrip(), [extra], f"{top} is not installed")))


def _refuse(message: str) -> None:
    print(message, file=sys.stderr)
    raise SystemExit(2)


if __name__ == "__main__":
    main()
