"""Uploads are idempotent per owner: the same bytes again give the existing photo, nothing new."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import requests

from tests.server.api_client import TIMEOUT, bearer, own_photos, upload
from tests.server.conftest import Account
from tests.server.jpeg_samples import write_jpeg
from tests.support.live_server import LiveServer


def _stored_files(server: LiveServer) -> set[str]:
    return {path.name for path in (server.data_dir / "media" / "photos").glob("*.jpg")}


def _by_sha256(server: LiveServer, access: str, sha256: str) -> requests.Response:
    return requests.get(f"{server.url}/api/user-photo/", params={"sha256": sha256},
                        headers=bearer(access), timeout=TIMEOUT)


def test_same_bytes_again_answer_200_with_the_existing_photo(
        live_server: LiveServer, demo_account: Account, tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "twice.jpg", 70, 35, color=(1, 2, 3))
    first = upload(live_server.url, demo_account.access, path, title="first title")
    assert first.status_code == 201, first.text
    photos_before = len(own_photos(live_server.url, demo_account.access))
    files_before = _stored_files(live_server)

    # A retry, even with other fields, is the same photo: nothing is created or changed.
    again = upload(live_server.url, demo_account.access, path, title="second title",
                   category="GIS")

    assert again.status_code == 200, again.text
    assert again.json() == {**first.json(), "image": again.json()["image"]}
    assert again.json()["title"] == "first title"
    assert len(own_photos(live_server.url, demo_account.access)) == photos_before
    assert _stored_files(live_server) == files_before


def test_another_owner_gets_a_photo_of_their_own(live_server: LiveServer, demo_account: Account,
                                                 other_account: Account, tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "shared bytes.jpg", 72, 36, color=(4, 5, 6))
    mine = upload(live_server.url, demo_account.access, path, title="mine")
    theirs = upload(live_server.url, other_account.access, path, title="theirs")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert mine.json()["sha256"] == theirs.json()["sha256"]


def test_sha256_filter_finds_only_the_callers_photo(live_server: LiveServer,
                                                    demo_account: Account,
                                                    other_account: Account,
                                                    tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "findable.jpg", 74, 37, color=(7, 8, 9))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    photo = upload(live_server.url, demo_account.access, path, title="findable").json()

    found = _by_sha256(live_server, demo_account.access, digest)
    found_upper = _by_sha256(live_server, demo_account.access, digest.upper())
    not_theirs = _by_sha256(live_server, other_account.access, digest)
    unknown = _by_sha256(live_server, demo_account.access, "0" * 64)

    assert found.status_code == 200
    assert [item["id"] for item in found.json()] == [photo["id"]]
    assert [item["id"] for item in found_upper.json()] == [photo["id"]]
    assert not_theirs.status_code == 200 and not_theirs.json() == []
    assert unknown.status_code == 200 and unknown.json() == []


def test_malformed_sha256_filter_is_a_field_error(live_server: LiveServer,
                                                  demo_account: Account) -> None:
    for bad in ("", "abc", "g" * 64, "0" * 65):
        response = _by_sha256(live_server, demo_account.access, bad)

        assert response.status_code == 400, bad
        assert response.json()["sha256"]
        assert response.json()["retryable"] is False


def test_concurrent_uploads_of_the_same_bytes_make_one_photo(
        live_server: LiveServer, other_account: Account, tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "raced.jpg", 76, 38, color=(10, 11, 12))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    files_before = _stored_files(live_server)
    senders = 4
    start = threading.Barrier(senders)
    answers: list[requests.Response] = []
    lock = threading.Lock()

    def send() -> None:
        start.wait(timeout=30)
        response = upload(live_server.url, other_account.access, path, title="raced")
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    codes = sorted(response.status_code for response in answers)
    assert codes == [200] * (senders - 1) + [201], [r.text for r in answers]
    assert len({response.json()["id"] for response in answers}) == 1
    assert len(_by_sha256(live_server, other_account.access, digest).json()) == 1
    assert len(_stored_files(live_server) - files_before) == 1
