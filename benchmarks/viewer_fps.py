"""Frame rate of the 360° viewer at 960×540 on a 5.5K photo (issue 5: at least 30 per second).

Loads the real THETA V still ../shared/samples/R0014760.JPG (5376×2688) when it is there,
else a synthetic 5376×2688 JPEG, the way the viewer does (`load_equirect`), into the
viewer's own widget (`PanoramaView`) sized 960×540 under Qt's offscreen platform. Each frame
changes the view and calls `repaint()`, which renders synchronously: projection, QImage
copy into a QImage and QPainter draw into the widget's backing store. Three motions are timed:

- turn: dragging sideways (yaw changes every frame; the projection table is reused),
- tilt: dragging diagonally (yaw and pitch change every frame; the table is recomputed),
- zoom: the wheel (field of view changes every frame; rays and table recomputed),

plus the bilinear frame drawn once the view stops moving. The claim is about the worst
motion.

    python benchmarks/viewer_fps.py [--frames 300] [--write-results]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
SAMPLE = ROOT.parent / "shared" / "samples" / "R0014760.JPG"
SIZE = (960, 540)
TARGET_FPS = 30.0
SECTION = "## 360 viewer frame rate (issue 5)"
SECTION_TEXT = f"""{SECTION}

`python benchmarks/viewer_fps.py --write-results`: the viewer's widget (`PanoramaView`) at
960×540 under the offscreen platform on a 5.5K photo (the real R0014760.JPG, 5376×2688, else
a synthetic one of that size), texture kept at full 5376×2688. Each frame changes the view
and calls `repaint()` (numpy projection, copy into a QImage, QPainter draw). "turn" drags sideways,
"tilt" drags diagonally (table recomputed every frame), "zoom" turns the wheel every frame;
"refined" is the single bilinear frame drawn when the view stops. Claim: the worst motion is
at least {TARGET_FPS:.0f} frames per second on the 2-core machine.

| date | photo | decode | turn | tilt | zoom | refined | result |
|---|---|---|---|---|---|---|---|
"""


def synthetic_photo(folder: Path) -> Path:
    """A 5376×2688 JPEG with detail everywhere (gradients plus a grid), like a real still."""
    import numpy as np
    from PIL import Image

    height, width = 2688, 5376
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack(
        [(x * 255 // width), (y * 255 // height), ((x // 64 + y // 64) % 2) * 200 + 30], axis=-1
    ).astype(np.uint8)
    path = folder / "synthetic_5376x2688.jpg"
    Image.fromarray(rgb).save(path, quality=90)
    return path


def time_motion(view, app, frames: int, step) -> float:
    """Frames per second for `frames` synchronous repaints, view changed by step(i) before each."""
    for i in range(5):  # warm-up: first allocations, table for this motion
        view.set_view(*step(i))
        view.repaint()
    start = time.perf_counter()
    for i in range(frames):
        view.set_view(*step(i + 5))
        view.repaint()
    elapsed = time.perf_counter() - start
    app.processEvents()
    return frames / elapsed


def write_row(line: str) -> None:
    """Add a row to this benchmark's own table, creating the section if it is missing.

    Other benchmarks append their own sections to the same file: only our table is touched.
    """
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if SECTION not in text:
        text = text.rstrip("\n") + "\n\n" + SECTION_TEXT + line + "\n"
    else:
        head, rest = text.split(SECTION, 1)
        lines = rest.split("\n")
        # The last table row of our section: the last line starting with "|" before a line
        # that does not, once the table has started.
        last = max(i for i, row in enumerate(lines) if row.startswith("|") and _in_table(lines, i))
        lines.insert(last + 1, line)
        text = head + SECTION + "\n".join(lines)
    RESULTS.write_text(text, encoding="utf-8")


def _in_table(lines: list[str], index: int) -> bool:
    first = next(i for i, row in enumerate(lines) if row.startswith("|"))
    return all(row.startswith("|") for row in lines[first : index + 1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--photo", type=Path, help="another equirectangular JPEG")
    parser.add_argument("--write-results", action="store_true", help="add a row to RESULTS.md")
    args = parser.parse_args()

    import PySide6
    from PySide6.QtWidgets import QApplication

    from thetadesk.gui.viewer import PanoramaView, load_equirect

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory(prefix="viewer-fps-") as tmp:
        photo = args.photo or (SAMPLE if SAMPLE.is_file() else synthetic_photo(Path(tmp)))
        start = time.perf_counter()
        texture = load_equirect(photo)
        decode_s = time.perf_counter() - start

    view = PanoramaView()
    view.resize(*SIZE)
    view.show()
    app.processEvents()
    view.set_texture(texture)
    assert (view.width(), view.height()) == SIZE, (view.width(), view.height())

    frames = args.frames
    turn = time_motion(view, app, frames, lambda i: (i * 0.7, 10.0, 90.0))
    tilt = time_motion(
        view, app, frames, lambda i: (i * 0.7, 60.0 * ((i % 200) / 100.0 - 1.0), 90.0)
    )
    zoom = time_motion(view, app, frames, lambda i: (30.0, -5.0, 40.0 + (i % 160) * 0.5))
    view._smooth = True  # the refined frame, as drawn after the view stops
    refine_frames = max(10, frames // 10)
    start = time.perf_counter()
    for _ in range(refine_frames):
        view.repaint()
    refined = refine_frames / (time.perf_counter() - start)
    view.close()

    worst = min(turn, tilt, zoom)
    verdict = "PASS" if worst >= TARGET_FPS else "FAIL"
    name = f"{photo.name} {texture.shape[1]}×{texture.shape[0]}"
    print(f"photo: {name}; decode + texture {decode_s:.2f} s; {os.cpu_count()} CPUs")
    print(f"turn {turn:.0f} fps, tilt {tilt:.0f} fps, zoom {zoom:.0f} fps at 960×540")
    print(f"refined (bilinear) frame: {1000 / refined:.0f} ms")
    print(f"worst motion {worst:.0f} fps (target {TARGET_FPS:.0f}): {verdict}")
    if args.write_results:
        stamp = dt.date.today().isoformat()
        row = (
            f"| {stamp} | {name} | {decode_s:.2f} s | {turn:.0f} fps | {tilt:.0f} fps | "
            f"{zoom:.0f} fps | {1000 / refined:.0f} ms | worst {worst:.0f} fps, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"PySide6 {PySide6.__version__}: {verdict} |"
        )
        write_row(row)
        print(f"wrote a row to {RESULTS}")
    return 0 if worst >= TARGET_FPS else 1


if __name__ == "__main__":
    sys.exit(main())
