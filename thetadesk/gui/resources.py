"""Finding the files in `resources/`, in a source checkout and in a PyInstaller bundle.

`python -m thetadesk.gui.resources` re-renders the PNG icon from its SVG source.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICON_SVG = "thetadesk.svg"
ICON_PNG = "thetadesk-256.png"


def resource_dir() -> Path:
    """`resources/` beside the package, or inside the bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        # build_installer.spec copies resources/ to resources/ at the bundle root.
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(name: str) -> Path:
    return resource_dir() / name


def app_icon() -> QIcon:
    """The window icon: the SVG for crisp scaling, the PNG where no SVG plugin is present."""
    icon = QIcon()
    for name in (ICON_SVG, ICON_PNG):
        path = resource_path(name)
        if path.is_file():
            icon.addFile(str(path))
    return icon


def render_png(svg: Path, png: Path, side: int = 256) -> bool:
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        return False
    image = QImage(side, side, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image.save(str(png))


if __name__ == "__main__":
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication(sys.argv)
    ok = render_png(resource_path(ICON_SVG), resource_path(ICON_PNG))
    raise SystemExit(0 if ok else 1)
