"""The ``telltale`` command line (typer + rich)."""
