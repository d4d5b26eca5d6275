"""Thin helpers for talking to the live server over HTTP in tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

TIMEOUT = 30


def obtain_tokens(base_url: str, username: str, password: str) -> dict[str, str]:
    response = requests.post(f"{base_url}/api/token/",
                             json={"username": username, "password": password}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def upload(base_url: str, access_token: str, path: Path, *, filename: str | None = None,
           content_type: str = "image/jpeg", **fields: Any) -> requests.Response:
    with path.open("rb") as handle:
        return requests.post(
            f"{base_url}/api/upload-photo/",
            headers=bearer(access_token),
            files={"image": (filename or path.name, handle, content_type)},
            data={key: str(value) for key, value in fields.items()},
            timeout=TIMEOUT,
        )


def own_photos(base_url: str, access_token: str) -> list[dict[str, Any]]:
    response = requests.get(f"{base_url}/api/user-photo/", headers=bearer(access_token),
                            timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def delete(base_url: str, access_token: str, photo_id: int) -> requests.Response:
    return requests.delete(f"{base_url}/api/{photo_id}/delete/", headers=bearer(access_token),
                           timeout=TIMEOUT)


def stored_name(photo: dict[str, Any]) -> str:
    """The storage file name in a photo's (signed) `image` link."""
    return urlsplit(photo["image"]).path.rsplit("/", 1)[-1]
