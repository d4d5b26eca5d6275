"""Another host on loopback that records every request reaching it: the target of a
redirect that must never be followed (no token, no password, no photo may arrive there)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Arrival:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _record(self) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        with self.server.lock:
            self.server.arrivals.append(Arrival(self.command, self.path, headers))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _record

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        pass  # quiet: the test reads `arrivals`


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    lock: threading.Lock
    arrivals: list[Arrival]


class OtherHost:
    """`with OtherHost() as other:` then redirect to `other.url`; check `other.arrivals`.

    Its URL names the host `localhost` while the server under test is `127.0.0.1`: another
    host name, which is what decides whether a client may carry credentials along.
    """

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.lock = threading.Lock()
        self._server.arrivals = []
        self.url = f"http://localhost:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def arrivals(self) -> list[Arrival]:
        with self._server.lock:
            return list(self._server.arrivals)

    def __enter__(self) -> OtherHost:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
