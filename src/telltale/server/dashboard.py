"""``/``: the landing page, one self-contained HTML file (no CDN, no build step).

Its Content-Security-Policy allows exactly the page's own inline script and style (by
hash, computed from the file) and same-origin requests.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from telltale.server.headers import page_csp

router = APIRouter()


@lru_cache(maxsize=1)
def _page() -> tuple[str, str]:
    html = (Path(__file__).with_name("static") / "index.html").read_text(encoding="utf-8")
    return html, page_csp(html)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def landing() -> HTMLResponse:
    html, csp = _page()
    return HTMLResponse(html, headers={"Content-Security-Policy": csp})
