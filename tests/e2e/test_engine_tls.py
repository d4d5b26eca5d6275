"""TLS is verified with the OS trust store, whatever the caller asks: a self-signed server
is refused with a readable reason, and no request is sent on to it."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

from thetadesk.core.api import Image360Client
from thetadesk.core.errors import ServerUnreachable


@pytest.fixture
def self_signed_server(tmp_path: Path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            seen.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/", seen
    server.shutdown()
    server.server_close()


def test_an_untrusted_certificate_is_refused(self_signed_server) -> None:
    url, seen = self_signed_server
    client = Image360Client(url, connect_timeout=5, read_timeout=5)
    client.session.verify = False  # even a careless caller cannot turn verification off
    with pytest.raises(ServerUnreachable, match="certificate is not trusted"):
        client.sign_in("tutorial", "theta360DotGuide")
    assert seen == []
