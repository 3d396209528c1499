"""The telltale HTTP server: ingestion, services, findings, control, metrics, dashboard.

FastAPI loads only when :func:`create_app` or :func:`run_server` is called, so that
importing this package (for :mod:`telltale.server.run`, say) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telltale.extras import require

if TYPE_CHECKING:
    from fastapi import FastAPI


def create_app(store: Any, **kwargs: Any) -> FastAPI:
    require("server", what="the telltale server")
    from telltale.server.app import create_app as _create_app

    return _create_app(store, **kwargs)


def run_server(**kwargs: Any) -> None:
    require("server", what="the telltale server")
    from telltale.server.run import run_server as _run_server

    _run_server(**kwargs)


__all__ = ["create_app", "run_server"]
