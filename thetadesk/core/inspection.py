"""Inspect one photo file, read-only, and give it a verdict with human-readable reasons.

The rules are those of the project's THETA metadata notes (docs/theta-metadata.md in the
shared folder): `ok`, `warning` (uploadable, but tell the user), `needs_review` (2:1 with
nothing proving it is a 360 photo) and `rejected`.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from thetadesk.core import verdict_rules
from thetadesk.core.exif import ExifInfo, parse_exif
from thetadesk.core.file_types import DESCRIBE_BYTES, SNIFF_BYTES, describe_non_jpeg, is_jpeg
from thetadesk.core.jpeg_segments import (
    WINDOW_BYTES,
    JpegStructureError,
    ends_with_end_marker,
    has_end_marker,
    read_header,
)
from thetadesk.core.theta_models import camera_code, clean_model, is_theta_model
from thetadesk.core.verdict_rules import Verdict
from thetadesk.core.xmp import read_xmp

__all__ = ["Inspection", "Verdict", "inspect_file"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Inspection:
    path: Path
    verdict: Verdict
    reasons: tuple[str, ...]  # the first one is the headline shown on a tile
    size_bytes: int
    make: str = ""
    model: str = ""
    camera_code: str = ""
    is_theta: bool = False
    firmware: str = ""
    width: int | None = None
    height: int | None = None
    progressive: bool = False
    projection: str | None = None
    # Left out of the hash (a mapping is not hashable); equality still compares it.
    gpano: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    theta_image_type: int | None = None
    date_taken: str | None = None
    datetime_original: str | None = None
    has_gps: bool = False
    orientation: int | None = None
    exif_width: int | None = None
    exif_height: int | None = None
    has_embedded_thumbnail: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "path": printable_path(self.path),
            "verdict": self.verdict.value,
            "uploadable": self.verdict.uploadable,
            "reasons": list(self.reasons),
            "size_bytes": self.size_bytes,
            "make": self.make,
            "model": self.model,
            "camera_code": self.camera_code,
            "is_theta": self.is_theta,
            "firmware": self.firmware,
            "width": self.width,
            "height": self.height,
            "progressive": self.progressive,
            "projection": self.projection,
            "gpano": dict(self.gpano),
            "theta_image_type": self.theta_image_type,
            "date_taken": self.date_taken,
            "datetime_original": self.datetime_original,
            "has_gps": self.has_gps,
            "orientation": self.orientation,
            "exif_width": self.exif_width,
            "exif_height": self.exif_height,
            "has_embedded_thumbnail": self.has_embedded_thumbnail,
        }


class _Rejected(Exception):
    """A reason to stop early; the file gets verdict `rejected`."""


def inspect_file(path: str | os.PathLike[str]) -> Inspection:
    """Inspect one file. Never raises for problems with the file: those become `rejected`."""
    file_path = path if isinstance(path, Path) else Path(path)
    size = 0
    try:
        size = _regular_file_size(file_path)
        return _inspect_jpeg(file_path, size)
    except _Rejected as rejected:
        return Inspection(file_path, Verdict.REJECTED, (str(rejected),), size)
    except OSError as error:
        reason = f"cannot read the file: {error.strerror or error}"
        return Inspection(file_path, Verdict.REJECTED, (reason,), size)
    except Exception:  # a bug here must not stop a batch: log it, reject this one file
        log.exception("inspection of %s failed", file_path)
        reason = "unexpected error while reading the file (details in the log)"
        return Inspection(file_path, Verdict.REJECTED, (reason,), size)


def _regular_file_size(path: Path) -> int:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise _Rejected("file not found") from None
    if stat.S_ISDIR(info.st_mode):
        raise _Rejected("this is a folder, not a photo file")
    if not stat.S_ISREG(info.st_mode):
        # Opening a FIFO or a device could block or never end.
        raise _Rejected("not a regular file")
    if info.st_size == 0:
        raise _Rejected("empty file (zero bytes)")
    return info.st_size


def _inspect_jpeg(path: Path, size: int) -> Inspection:
    # Read-only, always. Unbuffered: the header comes in one read of a window (a THETA
    # header fits), the end in another, with no copy through a buffer in between.
    with open(path, "rb", buffering=0) as stream:
        prefix = stream.read(WINDOW_BYTES)
        if not is_jpeg(prefix[:SNIFF_BYTES]):
            head = prefix[:DESCRIBE_BYTES] + stream.read(DESCRIBE_BYTES - len(prefix))
            raise _Rejected(f"not a JPEG: this is {describe_non_jpeg(head)}")
        try:
            header = read_header(stream, size, prefix)
        except JpegStructureError as error:
            raise _Rejected(str(error)) from None
        assert header.frame is not None  # read_header guarantees a frame before SOS
        frame = header.frame
        over_cap = verdict_rules.pixel_cap_reason(frame.width, frame.height)
        if over_cap:
            raise _Rejected(over_cap)
        if size <= len(prefix):
            ends = ends_with_end_marker(prefix[:size])
        else:
            ends = has_end_marker(stream, size)
        if not ends:
            raise _Rejected("truncated file: the JPEG end marker is missing (incomplete copy?)")
    exif = parse_exif(header.exif) if header.exif is not None else ExifInfo()
    xmp = read_xmp(header.xmp, header.extended_xmp)
    ricoh = exif.ricoh
    model = clean_model(exif.model)
    facts = verdict_rules.Facts(
        width=frame.width,
        height=frame.height,
        model=model,
        is_theta=is_theta_model(model),
        theta_image_type=ricoh.theta_image_type if ricoh else None,
        gpano=xmp.gpano,
        exif_width=exif.pixel_width,
        exif_height=exif.pixel_height,
        orientation=exif.orientation,
    )
    judgement = verdict_rules.judge(facts)
    notes = [*header.notes, *exif.problems, *xmp.problems]
    return Inspection(
        path=path,
        verdict=judgement.verdict,
        reasons=tuple(_printable(reason) for reason in (*judgement.reasons, *notes)),
        size_bytes=size,
        make=clean_model(exif.make),
        model=model,
        camera_code=camera_code(model, ricoh.serial if ricoh else None),
        is_theta=facts.is_theta,
        firmware=clean_model(exif.software),
        width=frame.width,
        height=frame.height,
        progressive=frame.progressive,
        projection=xmp.gpano.get("ProjectionType"),
        gpano=MappingProxyType(dict(xmp.gpano)),
        theta_image_type=facts.theta_image_type,
        date_taken=verdict_rules.date_from_exif(exif.datetime_original),
        datetime_original=exif.datetime_original,
        has_gps=exif.has_gps,
        orientation=exif.orientation,
        exif_width=exif.pixel_width,
        exif_height=exif.pixel_height,
        has_embedded_thumbnail=exif.thumbnail is not None,
    )


def printable_path(path: str | os.PathLike[str]) -> str:
    """The path as text that can always be encoded, printed or put in JSON.

    A Linux name that is not valid UTF-8 decodes to lone surrogates, which no UTF-8 writer
    accepts: its bad bytes become backslash escapes instead (as the upload queue shows them).
    """
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _printable(text: str) -> str:
    # Reasons quote values from the file; a damaged one must not put control bytes on a tile.
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else "?" for char in text)
