"""Uploading: 201 with the photo, stored byte for byte, listed for its owner."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import requests

from tests.server.api_client import TIMEOUT, bearer, delete, own_photos, stored_name, upload
from tests.server.conftest import Account
from tests.server.jpeg_samples import png_bytes, with_declared_size, write_jpeg
from tests.support.live_server import LiveServer

PHOTO_FIELDS = {
    "id", "title", "name", "description", "attribution", "license_link", "date_taken",
    "camera_model", "category", "order", "image", "created_at", "size_bytes", "width",
    "height", "sha256", "thumb_url", "medium_url",
}


def test_upload_answers_201_with_the_photo(live_server: LiveServer, demo_account: Account,
                                           tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "Living room.jpg", 96, 48)

    response = upload(live_server.url, demo_account.access, path, title="Living room",
                      description="north wing", attribution="A. Photographer",
                      license_link="https://creativecommons.org/licenses/by/4.0/",
                      date_taken="2024-05-17", camera_model="Z1", category="REAL_ESTATE",
                      order=7)

    assert response.status_code == 201, response.text
    photo = response.json()
    assert PHOTO_FIELDS <= set(photo)
    assert photo["title"] == photo["name"] == "Living room"
    assert photo["description"] == "north wing"
    assert photo["attribution"] == "A. Photographer"
    assert photo["license_link"] == "https://creativecommons.org/licenses/by/4.0/"
    assert photo["date_taken"] == "2024-05-17"
    assert (photo["camera_model"], photo["category"], photo["order"]) == ("Z1", "REAL_ESTATE", 7)
    assert (photo["width"], photo["height"]) == (96, 48)
    assert photo["size_bytes"] == path.stat().st_size
    assert photo["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_user_photo_is_a_bare_array_with_the_upload(live_server: LiveServer,
                                                    demo_account: Account,
                                                    tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "listed.jpg")
    created = upload(live_server.url, demo_account.access, path, title="listed").json()

    photos = own_photos(live_server.url, demo_account.access)

    assert isinstance(photos, list)
    listed = next(photo for photo in photos if photo["id"] == created["id"])
    # The same photo; only the signed link to the original is made afresh for each answer.
    assert {**listed, "image": None} == {**created, "image": None}
    assert stored_name(listed) == stored_name(created)


def test_image_url_downloads_the_original_bytes(live_server: LiveServer, demo_account: Account,
                                                tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "original.jpg", 80, 40)
    original = path.read_bytes()
    photo = upload(live_server.url, demo_account.access, path,
                   filename="../../escape attempt.jpg").json()

    download = requests.get(photo["image"], timeout=TIMEOUT)

    assert download.status_code == 200
    assert download.headers["Content-Type"] == "image/jpeg"
    assert download.content == original
    assert hashlib.sha256(download.content).hexdigest() == photo["sha256"]
    # Stored under a server-made name, never the client's.
    name = stored_name(photo)
    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", name)
    stored = live_server.data_dir / "media" / "photos" / name
    assert stored.read_bytes() == original


def test_name_is_accepted_for_title_and_blank_fields_take_defaults(
        live_server: LiveServer, demo_account: Account, tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "alias.jpg")

    response = upload(live_server.url, demo_account.access, path, name="From name",
                      license_link="", date_taken="", camera_model="", category="", order="")

    assert response.status_code == 201, response.text
    photo = response.json()
    assert photo["title"] == photo["name"] == "From name"
    assert (photo["license_link"], photo["date_taken"], photo["camera_model"]) == ("", None, "")
    assert (photo["category"], photo["order"]) == ("OTHER", 1000)


def test_bad_fields_give_per_field_errors(live_server: LiveServer, demo_account: Account,
                                          tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "bad fields.jpg")

    response = upload(live_server.url, demo_account.access, path, title="bad",
                      license_link="not a url", date_taken="17.05.2024", camera_model="Q9",
                      category="FOOD", order="many")

    assert response.status_code == 400
    errors = response.json()
    assert errors.pop("retryable") is False
    assert set(errors) == {"license_link", "date_taken", "camera_model", "category", "order"}
    assert all(isinstance(messages, list) and messages for messages in errors.values())


def test_missing_image_is_a_field_error(live_server: LiveServer, demo_account: Account) -> None:
    response = requests.post(f"{live_server.url}/api/upload-photo/",
                             headers=bearer(demo_account.access), data={"title": "no file"},
                             timeout=TIMEOUT)

    assert response.status_code == 400
    assert "image" in response.json()


def test_non_jpeg_is_refused(live_server: LiveServer, demo_account: Account,
                             tmp_path: Path) -> None:
    disguised = tmp_path / "really-a-png.jpg"
    disguised.write_bytes(png_bytes())
    text = tmp_path / "notes.jpg"
    text.write_text("hello", encoding="ascii")
    before = len(own_photos(live_server.url, demo_account.access))

    for path in (disguised, text):
        response = upload(live_server.url, demo_account.access, path, title=path.stem)
        assert response.status_code == 400, response.text
        assert "image" in response.json()

    assert len(own_photos(live_server.url, demo_account.access)) == before


def test_header_declaring_huge_dimensions_is_refused(live_server: LiveServer,
                                                     demo_account: Account,
                                                     tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "bomb.jpg")
    path.write_bytes(with_declared_size(path.read_bytes(), 30000, 15000))

    response = upload(live_server.url, demo_account.access, path, title="bomb")

    assert response.status_code == 400
    assert "pixels" in " ".join(response.json()["image"])


def test_largest_theta_size_is_accepted_from_the_header(live_server: LiveServer,
                                                        demo_account: Account,
                                                        tmp_path: Path) -> None:
    # Only the header is read at upload, so a small file declaring 11008 x 5504 is enough.
    path = write_jpeg(tmp_path / "theta-x.jpg")
    path.write_bytes(with_declared_size(path.read_bytes(), 11008, 5504))

    response = upload(live_server.url, demo_account.access, path, title="theta x",
                      is_public="false")

    assert response.status_code == 201, response.text
    assert (response.json()["width"], response.json()["height"]) == (11008, 5504)
    assert delete(live_server.url, demo_account.access, response.json()["id"]).status_code == 204
