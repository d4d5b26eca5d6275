"""The verdict rules for a readable JPEG, from facts already extracted (no I/O here)."""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Mapping
from enum import StrEnum

# The largest THETA still (X, 11008×5504) with headroom; far bigger headers are refused.
MAX_PIXELS = int(11008 * 5504 * 1.5)

_STITCH = "stitch it in the THETA app first"
_DATETIME = re.compile(r"(\d{4}):(\d{2}):(\d{2})[ T]\d{2}:\d{2}:\d{2}")


class Verdict(StrEnum):
    OK = "ok"
    WARNING = "warning"
    NEEDS_REVIEW = "needs_review"
    REJECTED = "rejected"

    @property
    def uploadable(self) -> bool:
        return self in (Verdict.OK, Verdict.WARNING)


_FACTS = "width height model is_theta theta_image_type gpano exif_width exif_height orientation"


class Facts(namedtuple("Facts", _FACTS)):
    """What the verdict rules look at (a named tuple: see jpeg_segments)."""

    __slots__ = ()
    width: int
    height: int
    model: str
    is_theta: bool
    theta_image_type: int | None
    gpano: Mapping[str, str]
    exif_width: int | None
    exif_height: int | None
    orientation: int | None


class Judgement(namedtuple("Judgement", "verdict reasons")):
    __slots__ = ()
    verdict: Verdict
    reasons: tuple[str, ...]


def pixel_cap_reason(width: int, height: int) -> str | None:
    if width * height <= MAX_PIXELS:
        return None
    return (
        f"pixel count over the cap: the header declares {width}×{height} "
        f"({width * height / 1e6:.1f} Mpx; the limit is {MAX_PIXELS / 1e6:.1f} Mpx)"
    )


def judge(facts: Facts) -> Judgement:
    size = f"{facts.width}×{facts.height}"
    projection = facts.gpano.get("ProjectionType")
    rejections = []
    if facts.theta_image_type in (2, 3):
        rejections.append(f"dual-fisheye image: {_STITCH}")
    elif facts.theta_image_type in (4, 5, 6):
        rejections.append(f"single-fisheye image: {_STITCH}")
    if projection is not None and projection.strip().lower() != "equirectangular":
        rejections.append(f"projection is {projection or 'empty'}, not equirectangular")
    if facts.width != 2 * facts.height:
        rejections.append(f"not a 360° panorama: {size} is not 2:1")
    if rejections:
        return Judgement(Verdict.REJECTED, tuple(rejections))

    gpano_equirectangular = projection is not None
    if not gpano_equirectangular and facts.theta_image_type != 1:
        reason = "2:1 but no GPano and no THETA image type: nothing proves it is a 360° photo"
        return Judgement(Verdict.NEEDS_REVIEW, (reason,))

    warnings = []
    if not gpano_equirectangular:
        warnings.append("THETA equirectangular photo without GPano: viewers may show it flat")
    warnings += _size_disagreements(facts)
    if facts.orientation not in (None, 1):
        warnings.append(
            f"EXIF Orientation is {facts.orientation}, not 1: a panorama is never rotated, "
            "it is used as stored"
        )
    from_theta = facts.is_theta or facts.theta_image_type is not None
    notes = [] if from_theta else ["not from a RICOH THETA"]
    if facts.gpano.get("UsePanoramaViewer", "").strip().lower() == "false":
        # Not a verdict rule in the metadata notes: worth saying, not worth blocking.
        notes.append("GPano UsePanoramaViewer is False")
    if warnings:
        return Judgement(Verdict.WARNING, (*warnings, *notes))
    if from_theta:
        headline = f"stitched 360° photo from {facts.model or 'a RICOH THETA'}, {size}"
    else:
        camera = f" ({facts.model})" if facts.model else ""
        headline = f"equirectangular 360° photo{camera}, {size}, not from a RICOH THETA"
        notes.remove("not from a RICOH THETA")
    return Judgement(Verdict.OK, (headline, *notes))


def _size_disagreements(facts: Facts) -> list[str]:
    real = (facts.width, facts.height)
    shown = f"{facts.width}×{facts.height}"
    reasons: list[str] = []
    gpano = facts.gpano
    for prefix in ("CroppedAreaImage", "FullPano"):
        width = gpano.get(f"{prefix}WidthPixels")
        height = gpano.get(f"{prefix}HeightPixels")
        if width is None or height is None:
            continue
        if (_as_int(width), _as_int(height)) != real:
            reason = f"GPano says {width}×{height} but the image is {shown}"
            if reason not in reasons:
                reasons.append(reason)
    if facts.exif_width is not None and facts.exif_height is not None:
        if (facts.exif_width, facts.exif_height) != real:
            reason = f"EXIF says {facts.exif_width}×{facts.exif_height} but the image is {shown}"
            if reason not in reasons:
                reasons.append(reason)
    return reasons


def _as_int(text: str) -> int | None:
    if len(text) <= 15 and text.isdigit() and text.isascii():
        return int(text)  # the usual "5376", exact as a float too: no float on the way
    try:
        return int(float(text.strip()))
    except (ValueError, OverflowError):  # not a number; "inf", "1e999" (no int); "nan"
        return None


def date_from_exif(value: str | None) -> str | None:
    """ "YYYY-MM-DD" from an EXIF date-time, or None when absent or not a real date."""
    match = _DATETIME.match(value or "")
    if match is None:
        return None
    # Checked here rather than by datetime.date (~1 ms to import, on every start of the
    # command line): "0000:00:00 00:00:00" and other placeholders are not dates.
    year, month, day = (int(part) for part in match.groups())
    if not (1 <= year and 1 <= month <= 12 and 1 <= day <= _days_in(year, month)):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _days_in(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31
