"""What the commands share: a console that does not wrap when piped, naming every missing
input file at once, opening a store that must already exist, and finding the token
``telltale serve`` saved."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console

#: Width of tables when the output is not a terminal (a pipe, a file, CI's log): wide
#: enough that a message column is not folded one word a line.
PIPE_WIDTH = 200


def console(*, stderr: bool = False) -> Console:
    """A Console as wide as the terminal, or :data:`PIPE_WIDTH` (or ``$COLUMNS``) when piped."""
    stream = sys.stderr if stderr else sys.stdout
    width = None
    if not stream.isatty():
        width = int(os.environ["COLUMNS"]) if os.environ.get("COLUMNS", "").isdigit() else PIPE_WIDTH
    return Console(highlight=False, soft_wrap=True, stderr=stderr, width=width)


def missing_files(paths: list[Path | None]) -> str | None:
    """``"a.csv: file not found; b.csv: file not found"`` for every path that does not exist
    (None entries are inputs not given), or None when all do: a command checks its inputs
    before it reads data, starts a helper or opens the store."""
    missing = [p for p in paths if p is not None and not p.exists()]
    return "; ".join(f"{p}: file not found" for p in missing) if missing else None


class NoStore(Exception):
    """A read-only command was pointed at a SQLite file that does not exist."""


def sqlite_path(db: str) -> Path | None:
    """The file of a ``sqlite:///`` URL; None for PostgreSQL or an in-memory database."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        u = make_url(db)
    except ArgumentError:
        return None
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database).expanduser()


def require_existing(db: str) -> None:
    """Refuse (NoStore) a SQLite URL whose file is missing, instead of creating it empty."""
    path = sqlite_path(db)
    if path is not None and not path.exists():
        raise NoStore(f"no database at {path}: start the server first (`telltale serve --db {db}`) or pass the --db it uses")


def saved_token(db: str = "sqlite:///telltale.db") -> tuple[str | None, Path | None]:
    """The token ``telltale serve`` saved beside the SQLite file of ``db`` (and where)."""
    path = sqlite_path(db)
    if path is None:
        return None, None
    file = Path(str(path) + ".token")
    try:
        return file.read_text(encoding="utf-8").strip() or None, file
    except OSError:
        return None, file
