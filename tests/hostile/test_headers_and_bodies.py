"""Issues 10.7 and 10.8: security headers everywhere, local docs, compressed bodies,
slow bodies and slow headers."""

from __future__ import annotations

import gzip
import re
import socket
import time
import zlib
from pathlib import Path

import httpx
import pytest

from telltale.server import create_app
from telltale.server.headers import API_CSP
from telltale.store import Store
from tests.server.conftest import ServerHandle, ThreadServer
from tests.server.helpers import eta_record

T0 = 1_767_225_600.0


def test_every_answer_carries_the_security_headers(module_server: ServerHandle) -> None:
    with module_server.client() as c:
        answers = {p: c.get(p) for p in ("/", "/docs", "/healthz", "/readyz", "/metrics", "/v1/services", "/v1/services/nope", "/openapi.json")}
        answers["401"] = httpx.get(module_server.url + "/v1/services")
    for where, resp in answers.items():
        assert resp.headers["x-content-type-options"] == "nosniff", where
        assert resp.headers["x-frame-options"] == "DENY", where
        assert resp.headers["referrer-policy"] == "no-referrer", where
        assert "frame-ancestors 'none'" in resp.headers["content-security-policy"], where
    assert answers["/v1/services"].headers["content-security-policy"] == API_CSP
    page_csp = answers["/"].headers["content-security-policy"]
    assert re.search(r"script-src 'self' 'sha256-[A-Za-z0-9+/=]{44}'", page_csp)  # the page's inline script, by hash
    assert "unsafe-inline" not in page_csp.split("style-src")[0]


def test_docs_load_every_asset_from_this_server(module_server: ServerHandle) -> None:
    page = httpx.get(module_server.url + "/docs")
    refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert refs and all(r.startswith("/docs/assets/") for r in refs), refs
    for ref in refs:
        asset = httpx.get(module_server.url + ref)
        assert asset.status_code == 200 and len(asset.content) > 100, ref
    assert "SwaggerUIBundle" in httpx.get(module_server.url + "/docs/assets/swagger-ui-bundle.js").text
    assert httpx.get(module_server.url + "/docs/assets/..%2Fsecret").status_code == 404
    assert "script-src 'self';" in page.headers["content-security-policy"]


def test_gzip_bodies_are_inflated_under_the_cap_and_other_encodings_refused(module_server: ServerHandle) -> None:
    batch = httpx.Request("POST", "/", json={"records": [eta_record(i, T0 + i, prefix="gz") for i in range(50)]}).content
    with module_server.client() as c:
        url = "/v1/services/eta/predictions"
        ok = c.post(url, content=gzip.compress(batch), headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
        assert ok.status_code == 200 and ok.json()["accepted"] == 50, ok.text
        deflated = httpx.Request("POST", "/", json={"records": [eta_record(i, T0 + i, prefix="df") for i in range(3)]}).content
        ok2 = c.post(url, content=zlib.compress(deflated), headers={"Content-Type": "application/json", "Content-Encoding": "deflate"})
        assert ok2.json()["accepted"] == 3
        bomb = gzip.compress(b"[" + b" " * 20_000_000 + b"]")  # 20 MB of blanks in 20 kB
        refused = c.post(url, content=bomb, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
        assert refused.status_code == 413
        assert refused.json() == {"detail": "the body inflates to more than 10000000 bytes, the limit; send smaller batches"}
        br = c.post(url, content=b"xx", headers={"Content-Type": "application/json", "Content-Encoding": "br"})
        assert br.status_code == 415
        assert br.json() == {"detail": "Content-Encoding 'br' is not supported; send gzip, deflate or an uncompressed body"}
        corrupt = c.post(url, content=b"\x1f\x8b not gzip", headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
        assert corrupt.status_code == 400 and corrupt.json()["detail"].startswith("the body is not valid gzip data")


@pytest.fixture
def quick_server(tmp_path: Path):
    """An in-process server whose body and header deadlines are short enough to test."""
    from telltale.server.protocol import DeadlineH11Protocol

    class Quick(DeadlineH11Protocol):
        header_timeout_s = 0.5

    store = Store.open(f"sqlite:///{tmp_path / 't.db'}")
    token = store.create_token("default")
    srv = ThreadServer(create_app(store, body_timeout_s=0.5), http=Quick)
    yield srv, token
    srv.stop()
    store.close()


def _raw(port: int, data: bytes, wait_s: float) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        time.sleep(wait_s)
        s.settimeout(3)
        chunks = []
        try:
            while chunk := s.recv(65536):
                chunks.append(chunk)
        except (TimeoutError, ConnectionResetError):
            chunks.append(b"<still open>")
        return b"".join(chunks)


def test_a_body_that_dribbles_in_is_408_and_headers_that_never_end_are_cut(quick_server) -> None:
    srv, token = quick_server
    head = (f"PUT /v1/services/eta/spec HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/yaml\r\nContent-Length: 100\r\n\r\nservice: eta\n").encode()
    t0 = time.perf_counter()
    answer = _raw(srv.port, head, 1.0)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"did not arrive in time (at most 0.5 s in all" in answer
    assert time.perf_counter() - t0 < 3
    t0 = time.perf_counter()
    assert _raw(srv.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", 1.0) == b""  # closed, no answer
    assert time.perf_counter() - t0 < 3
    assert httpx.get(srv.url + "/healthz").status_code == 200
