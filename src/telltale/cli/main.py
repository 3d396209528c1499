"""``telltale``: the command line entry point.

Each command lives in a module of its own under ``telltale.cli`` and exposes
``register(app)``; this module only assembles them, so heavy imports (the server,
pandas) happen when a command runs, not when ``telltale --help`` does.
"""

from __future__ import annotations

import importlib

import typer

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
_COMMANDS = ("check", "init", "report", "profile", "serve", "token", "findings", "performance", "review", "export", "slo", "control", "alerts", "timeline", "drill", "demo")

for _name in _COMMANDS:
    try:
        _module = importlib.import_module(f"telltale.cli.{_name}")
    except ModuleNotFoundError as _e:
        if _e.name != f"telltale.cli.{_name}":
            raise
        continue  # that command is not built yet
    _module.register(app)


if __name__ == "__main__":
    app()
