"""Public lists: public photos only, by category, with working preview URLs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import requests
from PIL import Image

from tests.server.api_client import TIMEOUT, bearer, upload
from tests.server.conftest import Account, SignedIn
from tests.server.jpeg_samples import with_broken_scan, write_jpeg
from tests.support.live_server import LiveServer


def _public(server: LiveServer, path: str, **kwargs: object) -> list[dict]:
    response = requests.get(f"{server.url}/api/{path}/", timeout=TIMEOUT, **kwargs)
    assert response.status_code == 200, response.text
    assert isinstance(response.json(), list)
    return response.json()


@pytest.fixture(scope="module")
def categorised(live_server: LiveServer, demo_sign_in: SignedIn,
                tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """One public photo per category of interest, plus a private one."""
    access = demo_sign_in.account().access
    folder = tmp_path_factory.mktemp("public-lists")
    photos = {}
    for key, category, public in (("estate", "REAL_ESTATE", "true"),
                                  ("car", "AUTOMOTIVE", "true"),
                                  ("gis", "GIS", "true"),
                                  ("private", "REAL_ESTATE", "false")):
        path = write_jpeg(folder / f"{key}.jpg", 1200, 600)
        response = upload(live_server.url, access, path, title=key, category=category,
                          is_public=public)
        assert response.status_code == 201, response.text
        photos[key] = response.json()
    return photos


def test_lists_filter_by_category_and_hide_private(live_server: LiveServer,
                                                   categorised: dict[str, dict]) -> None:
    everything = {p["id"] for p in _public(live_server, "photos")}
    estates = {p["id"] for p in _public(live_server, "realestate")}
    cars = {p["id"] for p in _public(live_server, "automotive")}

    ids = {key: photo["id"] for key, photo in categorised.items()}
    assert {ids["estate"], ids["car"], ids["gis"]} <= everything
    assert ids["estate"] in estates and ids["car"] not in estates
    assert ids["car"] in cars and ids["estate"] not in cars
    assert ids["gis"] not in estates | cars
    assert ids["private"] not in everything | estates


def test_public_items_carry_preview_urls_that_serve_jpegs(live_server: LiveServer,
                                                          categorised: dict[str, dict]) -> None:
    item = next(p for p in _public(live_server, "realestate")
                if p["id"] == categorised["estate"]["id"])

    sizes = {}
    for key in ("thumb_url", "medium_url"):
        response = requests.get(item[key], timeout=TIMEOUT)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "image/jpeg"
        with Image.open(io.BytesIO(response.content)) as preview:
            assert preview.format == "JPEG"
            sizes[key] = preview.size
    assert sizes["thumb_url"] == (512, 256)
    # The original is smaller than the medium size: it is never upscaled.
    assert sizes["medium_url"] == (1200, 600)


def test_public_lists_ignore_a_bad_token(live_server: LiveServer,
                                         categorised: dict[str, dict]) -> None:
    listed = _public(live_server, "photos", headers=bearer("expired.or.garbage"))

    assert categorised["car"]["id"] in {p["id"] for p in listed}


def test_own_list_still_has_private_photo(live_server: LiveServer, demo_account: Account,
                                          categorised: dict[str, dict]) -> None:
    response = requests.get(f"{live_server.url}/api/user-photo/",
                            headers=bearer(demo_account.access), timeout=TIMEOUT)

    private = next(p for p in response.json() if p["id"] == categorised["private"]["id"])
    assert private["is_public"] is False


def test_photo_that_cannot_be_decoded_has_no_preview(live_server: LiveServer,
                                                     demo_account: Account,
                                                     tmp_path: Path) -> None:
    path = write_jpeg(tmp_path / "broken.jpg")
    path.write_bytes(with_broken_scan(path.read_bytes()))
    photo = upload(live_server.url, demo_account.access, path, title="broken",
                   is_public="false").json()

    response = requests.get(photo["thumb_url"], timeout=TIMEOUT)

    assert response.status_code == 404
    assert "detail" in response.json()
