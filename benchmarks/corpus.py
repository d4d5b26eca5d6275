"""Batches of real-format THETA JPEGs for the benchmarks.

Every file has the structure a THETA V writes (see the shared samples' notes): APP1 Exif
(big-endian TIFF with Make/Model/Software/Orientation, an Exif IFD with DateTimeOriginal and
PixelX/YDimension, a Ricoh MakerNote with its THETA sub-IFD, a GPS IFD and IFD1 holding a
320×160 JPEG thumbnail), APP1 XMP with GPano, a 50 KB Ricoh APP5 segment, then quantisation
and Huffman tables, the frame header and the scan. The metadata is built by the test suite's
fixture code (tests/support/theta_fixtures.py), which writes real EXIF independently of
thetadesk's reader.

Sizes:
- "small": the fixture's own 64×32 pixels with a THETA-size 320×160 embedded thumbnail
  (~20 KB): the header structure and the thumbnail without the bulk.
- "v": 5376×2688, a real Pillow-encoded scan of about 4 MB, like a THETA V / S still.
- "x": 11008×5504, a real scan of about 11 MB, like a THETA X still.

The scan of each size is encoded once and shared; every file gets its own header (serial,
date, thumbnail), so files differ in content (and SHA-256) while building stays fast. A
batch also holds a few files that are not uploadable as they are (dual-fisheye, no GPano),
as a card straight from a camera does, so every verdict path is exercised.
"""

from __future__ import annotations

import io
import os
import struct
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.theta_fixtures import (  # noqa: E402  (after the path set-up)
    XMP_HEADER,
    app1,
    build_exif,
    build_xmp_packet,
    gpano_properties,
    insert_segments,
    make_theta_jpeg,
    thumbnail_bytes,
)

SIZES = {"v": (5376, 2688), "x": (11008, 5504)}
MODELS = ("RICOH THETA V", "RICOH THETA Z1", "RICOH THETA SC2", "RICOH THETA X")
APP5_BYTES = 50_000  # the Ricoh APP5 segment a THETA V writes after the XMP
_templates: dict[str, bytes] = {}


def _template(kind: str) -> bytes:
    """One real encoded scan of the size (tables, frame header, scan), made once."""
    if kind not in _templates:
        from PIL import Image

        width, height = SIZES[kind]
        # Smooth structure plus fine noise: compresses like a real outdoor 360 still.
        noise = Image.effect_noise((width // 4, height // 4), 48).resize((width, height))
        gradient = Image.linear_gradient("L").resize((width, height))
        image = Image.merge("RGB", (noise, gradient, Image.blend(noise, gradient, 0.5)))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=88)
        _templates[kind] = out.getvalue()
    return _templates[kind]


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _header_segments(index: int, width: int, height: int) -> list[bytes]:
    model = MODELS[index % len(MODELS)]
    dual_fisheye = index % 20 == 7  # not stitched: rejected
    no_gpano = index % 25 == 11  # THETA equirectangular without GPano: warning
    exif = build_exif(
        model=model,
        software=f"{model} Ver 3.30.1",
        datetime=f"2024:05:{1 + index % 28:02d} {index % 24:02d}:{index % 60:02d}:09",
        pixel_size=(width, height),
        image_type=2 if dual_fisheye else 1,
        serial=f"{10100000 + index}",
        thumbnail=thumbnail_bytes(320, 160, seed=index),
    )
    segments = [app1(exif)]
    if not (dual_fisheye or no_gpano):
        segments.append(app1(XMP_HEADER + build_xmp_packet(gpano_properties(width, height))))
    rng = (index * 2654435761) & 0xFFFFFFFF
    segments.append(_segment(0xE5, rng.to_bytes(4, "big") * (APP5_BYTES // 4)))
    return segments


def build_batch(folder: Path, count: int, kind: str = "v", *, start: int = 0) -> list[Path]:
    """Write `count` files named R0100000.JPG… into `folder`; return their paths.

    Their modification time is set an hour back: the upload engine waits for files written
    in the last seconds (a copy may still be going on).
    """
    folder.mkdir(parents=True, exist_ok=True)
    past = time.time() - 3600
    paths = []
    for index in range(start, start + count):
        path = folder / f"R{100000 + index:07d}.JPG"
        if kind == "small":
            make_theta_jpeg(
                path,
                model=MODELS[index % len(MODELS)],
                serial=f"{10100000 + index}",
                image_type=2 if index % 20 == 7 else 1,
                gpano=not (index % 20 == 7 or index % 25 == 11),
                thumbnail=(320, 160),  # what THETA V, Z1 and X embed
                seed=index,
            )
        else:
            width, height = SIZES[kind]
            path.write_bytes(
                insert_segments(_template(kind), _header_segments(index, width, height))
            )
        os.utime(path, (past, past))
        paths.append(path)
    return paths


def total_bytes(paths: Sequence[Path]) -> int:
    return sum(path.stat().st_size for path in paths)


if __name__ == "__main__":  # a quick look: python benchmarks/corpus.py DIR COUNT KIND
    made = build_batch(
        Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else "v"
    )
    print(f"{len(made)} files, {total_bytes(made) / 1e6:.1f} MB")
