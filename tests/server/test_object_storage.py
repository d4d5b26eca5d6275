"""Media in S3-compatible object storage (django-storages), against moto's server on loopback."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pytest
import requests

from tests.server.api_client import TIMEOUT, delete, obtain_tokens, upload
from tests.server.jpeg_samples import write_jpeg
from tests.support.live_server import DEMO_PASSWORD, DEMO_USERNAME, LiveServer, server_env

BUCKET = "image360-test-media"
PREFIX = "tenant-a"
REGION = "us-east-1"
KEYS = {"aws_access_key_id": "moto-test-key", "aws_secret_access_key": "moto-test-secret"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 stand-in as a separate process on a loopback port, with an empty bucket."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("moto") / "moto.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=server_env())
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text(errors="replace")
            try:
                requests.get(f"{endpoint}/moto-api/", timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "moto did not start"
                time.sleep(0.2)
        _s3(endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _s3(endpoint: str):  # noqa: ANN202 - boto3 clients have no importable type
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **KEYS)


def _keys(endpoint: str) -> set[str]:
    listed = _s3(endpoint).list_objects_v2(Bucket=BUCKET)
    return {item["Key"] for item in listed.get("Contents", [])}


@pytest.fixture(scope="module")
def s3_server(s3_endpoint: str, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[LiveServer]:
    from tests.support.live_server import start_server

    env = {
        "IMAGE360_S3_BUCKET": BUCKET,
        "IMAGE360_S3_ENDPOINT_URL": s3_endpoint,
        "IMAGE360_S3_REGION": REGION,
        "IMAGE360_S3_ACCESS_KEY_ID": KEYS["aws_access_key_id"],
        "IMAGE360_S3_SECRET_ACCESS_KEY": KEYS["aws_secret_access_key"],
        "IMAGE360_S3_PREFIX": PREFIX,
        "IMAGE360_S3_ADDRESSING_STYLE": "path",
    }
    with start_server(tmp_path_factory.mktemp("image360-s3") / "data", env=env) as server:
        yield server


@pytest.fixture(scope="module")
def s3_access(s3_server: LiveServer) -> str:
    return obtain_tokens(s3_server.url, DEMO_USERNAME, DEMO_PASSWORD)["access"]


def _object_key(photo: dict) -> str:
    # Path-style pre-signed URL: /<bucket>/<key>
    return urlsplit(photo["image"]).path.removeprefix(f"/{BUCKET}/")


def test_upload_lands_in_the_bucket_byte_identical(s3_endpoint: str, s3_server: LiveServer,
                                                   s3_access: str, tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "to the bucket.jpg", 640, 320)
    original = path.read_bytes()

    response = upload(s3_server.url, s3_access, path, title="bucket")

    assert response.status_code == 201, response.text
    photo = response.json()
    key = _object_key(photo)
    assert key.startswith(f"{PREFIX}/photos/") and key.endswith(".jpg")
    stored = _s3(s3_endpoint).get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert stored == original
    assert hashlib.sha256(stored).hexdigest() == photo["sha256"]
    # Nothing of it on the app server's disk.
    assert not list((s3_server.data_dir / "media").rglob("*.jpg"))


def test_image_is_a_presigned_expiring_link(s3_endpoint: str, s3_server: LiveServer,
                                            s3_access: str, tmp_path: Path) -> None:
    photo = upload(s3_server.url, s3_access, write_jpeg(tmp_path / "signed.jpg"),
                   title="signed", is_public="false").json()

    link = urlsplit(photo["image"])
    assert photo["image"].startswith(s3_endpoint)
    query = parse_qs(link.query)
    assert "X-Amz-Signature" in query and query["X-Amz-Expires"] == ["3600"]
    download = requests.get(photo["image"], timeout=TIMEOUT)
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == photo["sha256"]
    unsigned = requests.get(urlunsplit(link._replace(query="")), timeout=TIMEOUT)
    assert unsigned.status_code == 403


def test_previews_are_kept_in_the_bucket(s3_endpoint: str, s3_server: LiveServer,
                                         s3_access: str, tmp_path: Path) -> None:
    photo = upload(s3_server.url, s3_access, write_jpeg(tmp_path / "preview.jpg", 1024, 512),
                   title="preview").json()
    storage_key = Path(_object_key(photo)).stem

    response = requests.get(photo["thumb_url"], timeout=TIMEOUT)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert f"{PREFIX}/cache/thumb/{storage_key}.jpg" in _keys(s3_endpoint)
    again = requests.get(photo["thumb_url"], timeout=TIMEOUT)  # served from the bucket now
    assert again.content == response.content


def test_duplicate_and_delete_in_the_bucket(s3_endpoint: str, s3_server: LiveServer,
                                            s3_access: str, tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "once.jpg", 300, 150)
    first = upload(s3_server.url, s3_access, path, title="once")
    keys_after_first = _keys(s3_endpoint)

    second = upload(s3_server.url, s3_access, path, title="once again")

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert _keys(s3_endpoint) == keys_after_first

    photo = first.json()
    assert requests.get(photo["medium_url"], timeout=TIMEOUT).status_code == 200
    storage_key = Path(_object_key(photo)).stem
    assert delete(s3_server.url, s3_access, photo["id"]).status_code == 204
    assert not {key for key in _keys(s3_endpoint) if storage_key in key}
