"""Every photo query is scoped to its owner; media links are signed where they must be."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests

from tests.server.api_client import (
    TIMEOUT,
    bearer,
    delete,
    obtain_tokens,
    own_photos,
    stored_name,
    upload,
)
from tests.server.conftest import Account, SignedIn
from tests.server.jpeg_samples import write_jpeg
from tests.support.live_server import DEMO_PASSWORD, DEMO_USERNAME, LiveServer


@pytest.fixture(scope="module")
def b_photos(live_server: LiveServer, other_sign_in: SignedIn,
             tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """User B's photos: one public, one private."""
    access = other_sign_in.account().access
    folder = tmp_path_factory.mktemp("owner-b")
    photos = {}
    for key, public in (("public", "true"), ("private", "false")):
        response = upload(live_server.url, access, write_jpeg(folder / f"{key}.jpg", 600, 300),
                          title=f"b-{key}", is_public=public)
        assert response.status_code == 201, response.text
        photos[key] = response.json()
    return photos


def _stored(server: LiveServer, photo: dict) -> Path:
    return server.data_dir / "media" / "photos" / stored_name(photo)


def _without_signature(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(query=""))


def _with_signature(url: str, signature: str) -> str:
    return urlunsplit(urlsplit(url)._replace(query=urlencode({"sig": signature})))


def _signature(url: str) -> str:
    return parse_qs(urlsplit(url).query)["sig"][0]


def test_a_cannot_list_read_or_delete_bs_photos(live_server: LiveServer, demo_account: Account,
                                                other_account: Account,
                                                b_photos: dict[str, dict]) -> None:
    for photo in b_photos.values():
        listed = {p["id"] for p in own_photos(live_server.url, demo_account.access)}
        assert photo["id"] not in listed
        read = requests.get(f"{live_server.url}/api/user-photo/{photo['id']}/",
                            headers=bearer(demo_account.access), timeout=TIMEOUT)
        assert read.status_code == 404 and read.json()["retryable"] is False
        by_hash = requests.get(f"{live_server.url}/api/user-photo/",
                               params={"sha256": photo["sha256"]},
                               headers=bearer(demo_account.access), timeout=TIMEOUT)
        assert by_hash.status_code == 200 and by_hash.json() == []
        deleted = delete(live_server.url, demo_account.access, photo["id"])
        assert deleted.status_code == 404 and deleted.json()["retryable"] is False

    # B's rows and files are all still there, byte for byte.
    own = {p["id"]: p for p in own_photos(live_server.url, other_account.access)}
    for photo in b_photos.values():
        assert photo["id"] in own
        stored = _stored(live_server, photo)
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == photo["sha256"]
        read = requests.get(f"{live_server.url}/api/user-photo/{photo['id']}/",
                            headers=bearer(other_account.access), timeout=TIMEOUT)
        assert read.status_code == 200 and read.json()["sha256"] == photo["sha256"]


def test_originals_need_a_valid_signature(live_server: LiveServer,
                                          b_photos: dict[str, dict]) -> None:
    for photo in b_photos.values():
        assert requests.get(photo["image"], timeout=TIMEOUT).status_code == 200
        bare = requests.get(_without_signature(photo["image"]), timeout=TIMEOUT)
        assert bare.status_code == 404
        forged = _with_signature(photo["image"], _signature(photo["image"])[:-2] + "xx")
        assert requests.get(forged, timeout=TIMEOUT).status_code == 404

    # A signature is bound to its photo (and to the original, not a preview).
    public, private = b_photos["public"], b_photos["private"]
    swapped = _with_signature(private["image"], _signature(public["image"]))
    assert requests.get(swapped, timeout=TIMEOUT).status_code == 404
    preview_with_original_sig = _with_signature(private["thumb_url"],
                                                _signature(private["image"]))
    assert requests.get(preview_with_original_sig, timeout=TIMEOUT).status_code == 404


def test_private_previews_are_signed_and_public_ones_open(live_server: LiveServer,
                                                          b_photos: dict[str, dict]) -> None:
    public, private = b_photos["public"], b_photos["private"]
    for key in ("thumb_url", "medium_url"):
        assert "sig=" not in public[key]
        assert requests.get(public[key], timeout=TIMEOUT).status_code == 200
        assert "sig=" in private[key]
        assert requests.get(private[key], timeout=TIMEOUT).status_code == 200
        bare = requests.get(_without_signature(private[key]), timeout=TIMEOUT)
        assert bare.status_code == 404


def test_public_lists_link_only_public_photos(live_server: LiveServer,
                                              b_photos: dict[str, dict]) -> None:
    listed = requests.get(f"{live_server.url}/api/photos/", timeout=TIMEOUT).json()
    ids = {item["id"] for item in listed}

    assert b_photos["public"]["id"] in ids
    assert b_photos["private"]["id"] not in ids
    assert all(stored_name(item) != stored_name(b_photos["private"]) for item in listed)


def test_links_expire(server_factory: Callable[..., LiveServer], tmp_path: Path) -> None:
    server = server_factory(env={"IMAGE360_MEDIA_URL_MAX_AGE": "2"})
    access = obtain_tokens(server.url, DEMO_USERNAME, DEMO_PASSWORD)["access"]
    photo = upload(server.url, access, write_jpeg(tmp_path / "brief.jpg"), title="brief",
                   is_public="false").json()
    signed_at = time.monotonic()
    assert requests.get(photo["image"], timeout=TIMEOUT).status_code == 200

    # Signatures carry whole seconds: 3.2 s later the 2 s max age has surely passed.
    time.sleep(max(0.0, signed_at + 3.2 - time.monotonic()))
    for url in (photo["image"], photo["thumb_url"]):
        expired = requests.get(url, timeout=TIMEOUT)
        assert expired.status_code == 403
        assert expired.json()["retryable"] is False
        assert "expired" in expired.json()["detail"]

    # Listing again gives fresh links.
    fresh = own_photos(server.url, access)[0]
    assert requests.get(fresh["image"], timeout=TIMEOUT).status_code == 200
