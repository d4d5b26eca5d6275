"""The upload loop shared by the CLI and the window's worker thread.

It decides what a file's form fields are, sends the original bytes, and turns every
failure into an `UploadResult` with a readable reason, so one bad file never stops a batch.
Sign-in trouble is the exception: it is raised, because nothing else can go up either.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thetadesk.core.errors import ApiError, Cancelled, SignInRequired
from thetadesk.core.inspection import Inspection, Verdict

if TYPE_CHECKING:  # the CLI reads CATEGORIES without importing the HTTP client
    from thetadesk.core.api import Image360Client

log = logging.getLogger(__name__)

CATEGORIES = ("OTHER", "AUTOMOTIVE", "REAL_ESTATE", "CONSTRUCTION", "GIS")


def license_link_problem(text: str) -> str:
    """Why the server would refuse this license link ("" when it would not, or is empty).
    Checked before anything is sent: the server says so only after taking the photo."""
    from urllib.parse import urlsplit

    if not text:
        return ""
    try:
        parts = urlsplit(text)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:  # "https://[x": a bracket that never closes
        ok = False
    if not ok or any(char.isspace() for char in text):
        return f"license link: not a web address starting with https:// ({text!r})"
    return ""


@dataclass(frozen=True)
class UploadDefaults:
    """Batch-wide form values; the title comes from the file name unless given."""

    description: str = ""
    attribution: str = ""
    license_link: str = ""
    category: str = "OTHER"
    order: int = 1000

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"category must be one of {', '.join(CATEGORIES)}")


def upload_fields(
    inspection: Inspection, defaults: UploadDefaults, title: str | None = None
) -> dict[str, str]:
    """The multipart text fields for one photo, in the API's names."""
    return {
        "title": title or inspection.path.stem,
        "description": defaults.description,
        "attribution": defaults.attribution,
        "license_link": defaults.license_link,
        "date_taken": inspection.date_taken or "",
        "camera_model": inspection.camera_code,
        "category": defaults.category,
        "order": str(defaults.order),
    }


class UploadStatus(StrEnum):
    UPLOADED = "uploaded"
    FAILED = "failed"
    HELD = "held"  # needs_review: waits for the user's confirmation
    REJECTED = "rejected"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class UploadResult:
    path: Path
    status: UploadStatus
    reason: str = ""
    retryable: bool = False
    photo: dict[str, Any] = field(default_factory=dict)


def should_send(
    inspection: Inspection, *, include_needs_review: bool = False
) -> UploadStatus | None:
    """None when the file may go up; otherwise why it stays."""
    if inspection.verdict.uploadable:
        return None
    if inspection.verdict is Verdict.NEEDS_REVIEW:
        return None if include_needs_review else UploadStatus.HELD
    return UploadStatus.REJECTED


def upload_one(
    client: Image360Client,
    inspection: Inspection,
    defaults: UploadDefaults,
    *,
    title: str | None = None,
    include_needs_review: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> UploadResult:
    """Upload one inspected file. Raises SignInRequired; every other failure is a result."""
    path = inspection.path
    held = should_send(inspection, include_needs_review=include_needs_review)
    if held is not None:
        reason = inspection.reasons[0] if inspection.reasons else inspection.verdict.value
        return UploadResult(path, held, reason)
    fields = upload_fields(inspection, defaults, title)
    try:
        photo = client.upload_photo(
            path, fields, on_progress=on_progress, should_cancel=should_cancel
        )
    except SignInRequired:
        raise
    except Cancelled:
        return UploadResult(path, UploadStatus.CANCELLED, "cancelled")
    except ApiError as exc:
        log.warning("upload of %s failed: %s", path.name, exc)
        return UploadResult(path, UploadStatus.FAILED, str(exc), retryable=exc.retryable)
    except OSError as exc:
        # The file vanished or became unreadable between the check and the upload.
        return UploadResult(path, UploadStatus.FAILED, f"cannot read the file: {exc.strerror}")
    log.info("uploaded %s as photo %s", path.name, photo.get("id"))
    return UploadResult(path, UploadStatus.UPLOADED, photo=photo)


def upload_all(
    client: Image360Client,
    inspections: Iterable[Inspection],
    defaults: UploadDefaults,
    *,
    include_needs_review: bool = False,
    on_progress: Callable[[Path, int, int], None] | None = None,
    on_result: Callable[[UploadResult], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
) -> list[UploadResult]:
    """Upload each file in turn; stop early only on sign-in trouble or cancellation."""
    results: list[UploadResult] = []
    for inspection in inspections:
        if should_cancel is not None and should_cancel():
            break

        def progress(sent: int, total: int, path: Path = inspection.path) -> None:
            if on_progress is not None:
                on_progress(path, sent, total)

        result = upload_one(
            client,
            inspection,
            defaults,
            include_needs_review=include_needs_review,
            on_progress=progress,
            should_cancel=should_cancel,
        )
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results
