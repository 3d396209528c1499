"""Recording stays light: the guard imports it on its hot path's first call."""

from __future__ import annotations

import subprocess
import sys


def test_importing_telltale_record_pulls_in_no_server_or_database_dependency() -> None:
    code = (
        "import sys, telltale.record\n"
        "heavy = ['sqlalchemy', 'httpx', 'fastapi', 'uvicorn', 'pandas', 'prometheus_client', 'numpy']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
