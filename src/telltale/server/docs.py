"""``/docs``: Swagger UI over ``/openapi.json``, every asset served from this server.

The files come from the pinned ``swagger-ui-bundle`` package (Swagger UI's own dist
folder), so the docs work offline and the page's CSP can forbid every other origin.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

router = APIRouter()

#: The only files served from the bundle, with their media types.
_ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "favicon-32x32.png": "image/png",
}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>telltale API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head><body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/docs.js"></script>
</body></html>
"""

#: Swagger UI sets inline styles on its elements, hence 'unsafe-inline' for styles only.
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


@lru_cache(maxsize=1)
def _bundle_dir() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


@router.get("/docs", include_in_schema=False)
def docs() -> HTMLResponse:
    return HTMLResponse(_PAGE, headers={"Content-Security-Policy": DOCS_CSP})


@router.get("/docs/assets/{name}", include_in_schema=False)
def asset(name: str) -> FileResponse:
    if name == "docs.js":
        return FileResponse(Path(__file__).with_name("static") / "docs.js", media_type="text/javascript")
    if name not in _ASSETS:
        raise HTTPException(404, f"no docs asset {name!r}")
    return FileResponse(_bundle_dir() / name, media_type=_ASSETS[name], headers={"Cache-Control": "public, max-age=86400"})
