"""The upload size cap answers 413 JSON {"detail", "max_bytes"}, early when it can."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.server.api_client import obtain_tokens, own_photos, upload
from tests.server.jpeg_samples import noisy_jpeg_bytes, write_jpeg
from tests.support.live_server import DEMO_PASSWORD, DEMO_USERNAME, LiveServer, start_server

CAP = 8192


@pytest.fixture(scope="module")
def capped_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("image360-capped") / "data"
    with start_server(data_dir, env={"IMAGE360_MAX_UPLOAD_BYTES": str(CAP)}) as server:
        yield server


@pytest.fixture(scope="module")
def capped_access(capped_server: LiveServer) -> str:
    return obtain_tokens(capped_server.url, DEMO_USERNAME, DEMO_PASSWORD)["access"]


def test_file_over_the_cap_is_413_json(capped_server: LiveServer, capped_access: str,
                                       tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    path.write_bytes(noisy_jpeg_bytes(96, 96))
    assert path.stat().st_size > CAP

    response = upload(capped_server.url, capped_access, path, title="too big")

    assert response.status_code == 413
    assert response.json()["max_bytes"] == CAP
    assert response.json()["detail"]
    assert response.json()["retryable"] is False
    assert own_photos(capped_server.url, capped_access) == []


def test_file_under_the_cap_is_accepted(capped_server: LiveServer, capped_access: str,
                                        tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "small.jpg")
    assert path.stat().st_size <= CAP

    assert upload(capped_server.url, capped_access, path, title="fits").status_code == 201


def test_declared_oversized_body_is_refused_before_it_is_sent(capped_server: LiveServer,
                                                              capped_access: str) -> None:
    address = urlsplit(capped_server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        # Headers only: the server must answer without waiting for a gigabyte of body.
        connection.putrequest("POST", "/api/upload-photo/")
        connection.putheader("Authorization", f"Bearer {capped_access}")
        connection.putheader("Content-Type", "multipart/form-data; boundary=x")
        connection.putheader("Content-Length", str(10**9))
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()

    assert response.status == 413
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(body)["max_bytes"] == CAP
    assert json.loads(body)["retryable"] is False
