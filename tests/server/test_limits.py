"""Bodies over the limit get 413 before they are read; bodies under it are served."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from tests.conftest import EXAMPLE_SPEC
from tests.server.conftest import ServerHandle, start_server
from tests.server.helpers import eta_record

LIMIT = 64 * 1024
T0 = 1_767_225_600.0


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    db = tmp_path_factory.mktemp("limits") / "telltale.db"
    h = start_server(f"sqlite:///{db}", specs=[EXAMPLE_SPEC], max_body_bytes=LIMIT)
    yield h
    h.stop()


def raw_request(server: ServerHandle, head: str, body: bytes = b"") -> tuple[int, bytes]:
    """Send a request by hand and read the status line and body of the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(head.encode() + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


def test_declared_length_over_the_limit_is_refused_before_the_body(small_server: ServerHandle) -> None:
    # Declares 50 MB but sends none of it: a 413 can only come from the header alone.
    head = (
        "POST /v1/services/eta/predictions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {small_server.token}\r\nContent-Type: application/json\r\n"
        "Content-Length: 50000000\r\n\r\n"
    )
    status, body = raw_request(small_server, head)
    assert status == 413
    assert f"the limit is {LIMIT} bytes" in json.loads(body)["detail"]


def test_streamed_body_over_the_limit_is_cut_off(small_server: ServerHandle) -> None:
    records = [eta_record(i, T0, prefix="big") for i in range(400)]  # about 130 kB
    payload = json.dumps({"records": records}).encode()
    assert len(payload) > LIMIT

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        for i in range(0, len(payload), 8192):
            yield payload[i:i + 8192]

    with small_server.client() as client:
        resp = client.post("/v1/services/eta/predictions", content=chunks(), headers={"content-type": "application/json"})
        assert resp.status_code == 413
        assert "more than 65536 bytes streamed" in resp.json()["detail"]
        # nothing of the refused body was stored
        assert client.get("/v1/services/eta").json()["records"] == 0


def test_a_body_under_the_limit_is_served(small_server: ServerHandle) -> None:
    records = [eta_record(i, T0, prefix="small") for i in range(50)]
    with small_server.client() as client:
        resp = client.post("/v1/services/eta/predictions", json={"records": records})
        assert resp.status_code == 200 and resp.json()["accepted"] == 50
