"""`image360-server --production --workers N`: gunicorn worker processes share all state."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import requests

from tests.server.api_client import TIMEOUT, bearer, obtain_tokens, own_photos, upload
from tests.server.jpeg_samples import write_jpeg
from tests.support.live_server import DEMO_PASSWORD, DEMO_USERNAME, start_server

pytestmark = pytest.mark.skipif(os.name != "posix", reason="gunicorn runs on POSIX only")

WORKERS = 2


def test_gunicorn_workers_serve_one_consistent_api(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = start_server(data_dir, extra_args=("--production", "--workers", str(WORKERS)))
    try:
        assert requests.get(f"{server.url}/api/health/", timeout=TIMEOUT).json()["status"] == "ok"
        tokens = obtain_tokens(server.url, DEMO_USERNAME, DEMO_PASSWORD)
        path = write_jpeg(tmp_path / "shared.jpg")
        first = upload(server.url, tokens["access"], path, title="shared")
        assert first.status_code == 201, first.text

        # Whichever worker answers, the photo, its dedupe, its links and the tokens agree.
        for _ in range(6):
            assert [p["id"] for p in own_photos(server.url, tokens["access"])] == \
                [first.json()["id"]]
        assert upload(server.url, tokens["access"], path, title="again").status_code == 200
        assert requests.get(first.json()["image"], timeout=TIMEOUT).content == path.read_bytes()

        # Refresh races across processes: still exactly one winner.
        start = threading.Barrier(4)
        codes: list[int] = []

        def race() -> None:
            start.wait(timeout=30)
            codes.append(requests.post(f"{server.url}/api/token/refresh/",
                                       json={"refresh": tokens["refresh"]},
                                       timeout=TIMEOUT).status_code)

        threads = [threading.Thread(target=race) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(codes) == [200, 401, 401, 401]
        assert requests.get(f"{server.url}/api/protected/", headers=bearer(tokens["access"]),
                            timeout=TIMEOUT).status_code == 200
        # READY comes once the socket listens; the workers boot right after.
        assert server.log().count("Booting worker") == WORKERS
    finally:
        code = server.stop()
    assert code == 0, server.log()
    assert "Traceback" not in server.log()
