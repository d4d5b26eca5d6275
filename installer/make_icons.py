"""Make the platform icons in resources/ from the one source image.

    python installer/make_icons.py            # resources/thetadesk.ico and resources/thetadesk.icns
    python installer/make_icons.py --source resources/thetadesk-256.png

The source is resources/thetadesk.svg, rendered by Qt's SVG renderer at every size the
formats hold, so small sizes are drawn crisply instead of shrunk from one bitmap. A PNG
source also works (it is then only resampled). Pillow writes both containers: .ico for the
Windows exe and installer, .icns for the macOS bundle. The outputs are committed, so a
Windows or macOS build does not need to run this; run it again when the source changes.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
DEFAULT_SOURCE = RESOURCES / "thetadesk.svg"

# Windows shell sizes (16-48 for lists and the taskbar, 256 for large icon views).
ICO_SIZES = [16, 20, 24, 32, 40, 48, 64, 128, 256]
# What Pillow's ICNS writer stores: 16 to 512 at 1x and 2x, 1024 for 512@2x.
ICNS_SIZES = [16, 32, 64, 128, 256, 512, 1024]


def _render_svg(svg: Path, sides: list[int]) -> dict[int, Image.Image]:
    # Qt only here, so a PNG source works without it.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {svg} is not an SVG Qt can render")
    images = {}
    for side in sides:
        image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        images[side] = Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGBA")
    return images


def _resample_png(png: Path, sides: list[int]) -> dict[int, Image.Image]:
    with Image.open(png) as source:
        source = source.convert("RGBA")
        return {side: source.resize((side, side), Image.Resampling.LANCZOS) for side in sides}


def make_icons(source: Path, out_dir: Path) -> list[Path]:
    sides = sorted(set(ICO_SIZES) | set(ICNS_SIZES))
    if source.suffix.lower() == ".svg":
        images = _render_svg(source, sides)
    else:
        images = _resample_png(source, sides)

    ico = out_dir / "thetadesk.ico"
    largest = images[max(ICO_SIZES)]
    # Pillow takes each listed size from append_images when one matches exactly.
    largest.save(
        ico,
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)],
    )

    icns = out_dir / "thetadesk.icns"
    biggest = images[max(ICNS_SIZES)]
    biggest.save(
        icns,
        format="ICNS",
        append_images=[images[s] for s in ICNS_SIZES if s != max(ICNS_SIZES)],
    )
    return [ico, icns]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out-dir", type=Path, default=RESOURCES)
    args = parser.parse_args(argv)
    source = args.source
    if not source.is_file() and source == DEFAULT_SOURCE:
        source = RESOURCES / "thetadesk-256.png"
    if not source.is_file():
        parser.error(f"no source image at {args.source}")
    for path in make_icons(source, args.out_dir):
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
