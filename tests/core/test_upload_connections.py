"""How uploads use connections: kept alive for one stream, a new one per photo in parallel."""

from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path

import pytest

from thetadesk.core.api import Image360Client


class _Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless asked otherwise
    connections: list[int] = []  # noqa: RUF012 (set per server below)
    bodies: list[int] = []  # noqa: RUF012

    def setup(self) -> None:
        super().setup()
        self.connections.append(self.client_address[1])  # one handler per connection

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        length = int(self.headers["Content-Length"])
        received = 0
        while received < length:
            received += len(self.rfile.read(min(65536, length - received)))
        self.bodies.append(received)
        body = json.dumps({"id": len(self.bodies)}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder():
    handler = type("Handler", (_Recorder,), {"connections": [], "bodies": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    paths = []
    for n in range(3):
        path = tmp_path / f"R00{n}.JPG"
        path.write_bytes(bytes([n]) * 300_000)
        paths.append(path)
    return paths


@pytest.mark.parametrize(("fresh", "connections"), [(False, 1), (True, 3)])
def test_uploads_reuse_or_renew_their_connection(recorder, photos, fresh, connections):
    server, handler = recorder
    client = Image360Client(f"http://127.0.0.1:{server.server_address[1]}")
    client.tokens.set("access", "refresh")
    for photo in photos:
        assert client.upload_photo(photo, {"title": photo.stem}, fresh_connection=fresh)["id"]
    assert len(handler.bodies) == 3
    assert all(size > 300_000 for size in handler.bodies)
    assert len(handler.connections) == connections
