"""Deleting: the owner's photo goes with its file; another user's stays untouched."""

from __future__ import annotations

from pathlib import Path

import requests

from tests.server.api_client import TIMEOUT, delete, own_photos, stored_name, upload
from tests.server.conftest import Account
from tests.server.jpeg_samples import write_jpeg
from tests.support.live_server import LiveServer


def _stored_file(server: LiveServer, photo: dict) -> Path:
    return server.data_dir / "media" / "photos" / stored_name(photo)


def test_owner_deletes_photo_and_file(live_server: LiveServer, demo_account: Account,
                                      tmp_path: Path) -> None:
    photo = upload(live_server.url, demo_account.access, write_jpeg(tmp_path / "gone.jpg"),
                   title="gone").json()
    assert requests.get(photo["thumb_url"], timeout=TIMEOUT).status_code == 200

    response = delete(live_server.url, demo_account.access, photo["id"])

    assert response.status_code == 204
    assert photo["id"] not in {p["id"] for p in own_photos(live_server.url, demo_account.access)}
    assert requests.get(photo["image"], timeout=TIMEOUT).status_code == 404
    assert not _stored_file(live_server, photo).exists()
    assert not list((live_server.data_dir / "cache").rglob(_stored_file(live_server, photo).name))


def test_other_users_photo_is_not_found_and_kept(live_server: LiveServer, demo_account: Account,
                                                 other_account: Account, tmp_path: Path) -> None:
    photo = upload(live_server.url, demo_account.access, write_jpeg(tmp_path / "mine.jpg"),
                   title="mine").json()

    response = delete(live_server.url, other_account.access, photo["id"])

    assert response.status_code == 404
    assert "detail" in response.json()
    assert photo["id"] in {p["id"] for p in own_photos(live_server.url, demo_account.access)}
    assert photo["id"] not in {p["id"] for p in own_photos(live_server.url, other_account.access)}
    assert _stored_file(live_server, photo).exists()
    assert requests.get(photo["image"], timeout=TIMEOUT).status_code == 200


def test_unknown_id_is_not_found(live_server: LiveServer, demo_account: Account) -> None:
    response = delete(live_server.url, demo_account.access, 987654321)

    assert response.status_code == 404
    assert "detail" in response.json()
