"""A real HTTP server on 127.0.0.1 standing in for a webhook, Slack or PagerDuty endpoint.

It records every request (path, headers, raw body) and answers with a status the test
chooses; ``down()`` closes its socket so connections are refused, ``up()`` listens again
on the same port.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class StandIn:
    def __init__(self, status: int = 200, answer: bytes = b'{"status":"success"}') -> None:
        self.requests: list[Received] = []
        self.status = status
        self.answer = answer
        self.headers: dict[str, str] = {}
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                outer.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, raw))
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                for k, v in outer.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(outer.answer)))
                self.end_headers()
                self.wfile.write(outer.answer)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def down(self) -> None:
        """Stop listening: connections to the port are refused until ``up()``."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def close(self) -> None:
        self.down()
