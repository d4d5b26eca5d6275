"""An interactive 360° viewer for an equirectangular photo: drag to look around, wheel to zoom.

No OpenGL: the photo is decoded once, in a pool thread, to an in-memory texture (numpy
uint32 pixels in QImage's RGB32 layout, at most `TEXTURE_MAX_WIDTH` wide), and every frame
is a rectilinear (pinhole) projection computed with numpy:

- Per output size, field of view and pitch, one table of texture columns and rows is
  computed (lon = atan2 and lat = asin of each pixel's ray, rotated by the pitch). Yaw is
  only a shift along the equirectangular columns, so dragging sideways reuses the table.
- A frame is then one add, one wrap-around and one gather (`np.take`) into a numpy buffer,
  copied into a Qt-owned QImage (about a millisecond) and drawn with QPainter.
- While the view moves, pixels are sampled nearest; 150 ms after it stops, the same view is
  drawn once more with bilinear filtering (sharp edges when zoomed in, no shimmer).

benchmarks/viewer_fps.py measures the frame rate at 960×540 on a 5.5K photo; the number is
in benchmarks/RESULTS.md.

Known: PySide6 6.12.0 on CPython 3.11 drops a reference to None/True/False on every call of
a method returning void or bool, so a long session aborts with "deallocating None"; 6.11.3
does not (see the report that came with this module).

Not done: GPano PosePitch/PoseRoll are not applied (THETA writes 0 for zenith-corrected
stills, which is the default), and the projection is rendered at the widget's logical size,
so on a high-DPI screen it is scaled up by Qt rather than rendered at device pixels.
"""

from __future__ import annotations

import logging
import math
import threading
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, QPointF, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import (
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from thetadesk.core.verdict_rules import MAX_PIXELS
from thetadesk.gui.background import Outcome, run_in_pool, stop_pool

log = logging.getLogger(__name__)

# A 5.5K still (5376 wide) is kept at full size: at the default 90° field of view a 960-wide
# window shows 1344 texture columns, so there is detail left to zoom into. An X's 11K still is
# decoded at half size by the JPEG decoder itself (DCT scaling), never at full size.
TEXTURE_MAX_WIDTH = 5504

DEFAULT_FOV = 90.0
MIN_FOV, MAX_FOV = 20.0, 120.0
KEY_STEP_DEGREES = 5.0
WHEEL_ZOOM = 0.9  # the field of view shrinks by this factor per wheel notch
REFINE_AFTER_MS = 150
CLOSE_WAIT_MS = 10_000  # a decode takes well under a second; closing waits for it to end


class ViewerError(Exception):
    """The photo cannot be shown; str(error) is a sentence for the user."""


class _Cancelled(Exception):
    pass


# -- decoding (pool thread) ---------------------------------------------------------------------


def load_equirect(
    path: Path,
    max_width: int = TEXTURE_MAX_WIDTH,
    should_cancel: Callable[[], bool] = lambda: False,
) -> np.ndarray:
    """Decode `path` to a texture: (height, width) uint32 in QImage.Format_RGB32 (0xFFRRGGBB).

    Runs in a pool thread (no Qt object is touched). A photo wider than `max_width` is scaled
    down, by the JPEG decoder's DCT scaling where it can, then by a resize.
    """
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ViewerError(f"the image is too large to show ({width}×{height})")
            if width > max_width:
                image.draft("RGB", (max_width, max(1, max_width * height // width)))
            rgb = image.convert("RGB")
    except OSError as error:  # Pillow's "cannot identify", truncated data, missing file...
        raise ViewerError(f"cannot show {path.name}: {error}") from error
    if should_cancel():
        raise _Cancelled
    if rgb.width > max_width:
        size = (max_width, max(1, round(max_width * rgb.height / rgb.width)))
        rgb = rgb.resize(size, Image.Resampling.BILINEAR)
    if should_cancel():
        raise _Cancelled
    rgbx = np.asarray(rgb.convert("RGBX"))  # bytes R, G, B, X per pixel
    packed = rgbx.view("<u4").reshape(rgbx.shape[:2])  # 0xXXBBGGRR
    # Format_RGB32 is 0xFFRRGGBB in a native uint32: swap R and B, set alpha.
    texture = (packed & np.uint32(0x0000FF00)) | np.uint32(0xFF000000)
    texture |= (packed & np.uint32(0xFF)) << np.uint32(16)
    texture |= (packed >> np.uint32(16)) & np.uint32(0xFF)
    return texture


# -- projection (numpy, no Qt) ------------------------------------------------------------------


class EquirectRenderer:
    """Renders rectilinear views of an equirectangular texture into a caller's buffer.

    Angles are in degrees: yaw 0 looks at the middle column of the photo (the direction a
    THETA's lens faced), positive yaw turns right, positive pitch looks up; `fov` is the
    horizontal field of view.
    """

    def __init__(self, texture: np.ndarray) -> None:
        if texture.ndim != 2 or texture.dtype != np.uint32 or min(texture.shape) < 2:
            raise ValueError("texture must be a 2-D uint32 array of at least 2×2")
        self.texture = np.ascontiguousarray(texture)
        self.height, self.width = self.texture.shape
        self._flat = self.texture.reshape(-1)
        self._rays_key: tuple[int, int, float] | None = None
        self._table_key: tuple[int, int, float, float] | None = None

    def render(
        self, yaw: float, pitch: float, fov: float, out: np.ndarray, *, smooth: bool = False
    ) -> None:
        """Fill `out` ((h, w) uint32, C-contiguous) with the view; bilinear when `smooth`."""
        h, w = out.shape
        self._prepare(w, h, fov, pitch)
        shift = (yaw / 360.0) * self.width
        if smooth:
            self._render_bilinear(shift, out)
            return
        whole = int(round(shift)) % self.width
        index = self._index
        np.add(self._col, whole, out=index)
        np.subtract(index, self.width, out=index, where=index >= self.width)
        index += self._row_start
        # mode="clip": with "raise", take() buffers `out`; every index is in range anyway.
        np.take(self._flat, index, out=out, mode="clip")

    # The ray through pixel (i, j), before normalisation, is (x_i, y_j, f): x depends on the
    # column only and y on the row only. Pitch rotates it about the x axis, so
    #   lon = atan2(x_i, f cos p - y_j sin p)      (second argument: one value per row)
    #   lat = asin((y_j cos p + f sin p) / |ray|)  (|ray| does not change with pitch)
    # which needs arctan and arcsin of (h, w) arrays but no arctan2, the slow one.

    def _rays(self, w: int, h: int, fov: float) -> None:
        key = (w, h, fov)
        if self._rays_key == key:
            return
        focal = (w / 2.0) / math.tan(math.radians(fov) / 2.0)
        self._x = np.arange(w, dtype=np.float64) + (0.5 - w / 2.0)
        self._y = (h / 2.0 - 0.5) - np.arange(h, dtype=np.float64)
        self._focal = focal
        x32 = self._x.astype(np.float32)
        y32 = self._y.astype(np.float32)
        norm2 = x32[None, :] ** 2 + (y32[:, None] ** 2 + np.float32(focal * focal))
        self._inv_norm = (1.0 / np.sqrt(norm2)).astype(np.float32)
        # Adds ±π to lon where the ray points backwards (second atan2 argument negative).
        self._half_turn = np.where(self._x >= 0, math.pi, -math.pi).astype(np.float32)
        self._lon = np.empty((h, w), np.float32)
        self._lat = np.empty((h, w), np.float32)
        self._scratch = np.empty((h, w), np.float32)
        self._col = np.empty((h, w), np.int32)
        self._row_start = np.empty((h, w), np.int32)
        self._index = np.empty((h, w), np.int32)
        self._rays_key = key
        self._table_key = None

    def _prepare(self, w: int, h: int, fov: float, pitch: float) -> None:
        self._rays(w, h, fov)
        key = (w, h, fov, pitch)
        if self._table_key == key:
            return
        cos_p, sin_p = math.cos(math.radians(pitch)), math.sin(math.radians(pitch))
        forward = self._focal * cos_p - self._y * sin_p  # per row
        forward[forward == 0.0] = 1e-9  # straight up or down: atan(±inf) is what we want
        up = (self._y * cos_p + self._focal * sin_p).astype(np.float32)  # per row
        lon, lat = self._lon, self._lat
        np.divide(self._x.astype(np.float32)[None, :], forward.astype(np.float32)[:, None], lon)
        np.arctan(lon, out=lon)
        behind = forward < 0
        lon[behind] += self._half_turn
        np.multiply(self._inv_norm, up[:, None], out=lat)
        np.clip(lat, -1.0, 1.0, out=lat)
        np.arcsin(lat, out=lat)
        # Continuous texture coordinates: u in [0, width], v in [0, height].
        lon *= np.float32(self.width / (2 * math.pi))
        lon += np.float32(self.width / 2)
        lat *= np.float32(-self.height / math.pi)
        lat += np.float32(self.height / 2)
        scratch = self._scratch
        np.floor(lon, out=scratch)
        col = self._col
        np.copyto(col, scratch, casting="unsafe")
        np.clip(col, 0, self.width, out=col)  # rounding can step just outside [0, width]
        np.subtract(col, self.width, out=col, where=col >= self.width)
        np.floor(lat, out=scratch)
        row = self._row_start
        np.copyto(row, scratch, casting="unsafe")
        np.clip(row, 0, self.height - 1, out=row)
        row *= self.width
        self._table_key = key

    def _render_bilinear(self, shift: float, out: np.ndarray) -> None:
        width, height = self.width, self.height
        u = self._lon + np.float32(shift - 0.5)  # sample positions relative to pixel centres
        v = self._lat - np.float32(0.5)
        u0 = np.floor(u)
        v0 = np.floor(v)
        # Weights in 1/256 steps for the packed-channel arithmetic below.
        fu = ((u - u0) * 256).astype(np.uint32)
        fv = ((v - v0) * 256).astype(np.uint32)
        c0 = np.mod(u0.astype(np.int64), width).astype(np.int32)
        c1 = c0 + 1
        c1[c1 == width] = 0  # wrap around the seam
        r0 = np.clip(v0.astype(np.int32), 0, height - 1) * width
        r1 = np.clip(v0.astype(np.int32) + 1, 0, height - 1) * width
        flat = self._flat
        top = _lerp_packed(np.take(flat, r0 + c0), np.take(flat, r0 + c1), fu)
        bottom = _lerp_packed(np.take(flat, r1 + c0), np.take(flat, r1 + c1), fu)
        out[...] = _lerp_packed(top, bottom, fv)


def _lerp_packed(a: np.ndarray, b: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """a + (b - a) * weight / 256 on every 8-bit channel of packed 0xAARRGGBB pixels.

    Two channels at a time in 16-bit lanes (0x00RR00BB and 0x00AA00GG), so no unpacking.
    """
    inverse = np.uint32(256) - weight
    mask = np.uint32(0x00FF00FF)
    low = ((a & mask) * inverse + (b & mask) * weight) >> np.uint32(8)
    high = (((a >> np.uint32(8)) & mask) * inverse + ((b >> np.uint32(8)) & mask) * weight) >> (
        np.uint32(8)
    )
    return (low & mask) | ((high & mask) << np.uint32(8))


# -- the widget ---------------------------------------------------------------------------------


class PanoramaView(QWidget):
    """Shows a texture from `load_equirect` as an interactive rectilinear view.

    Drag with the mouse to look around, wheel or +/- to zoom, arrow keys to turn, Home or 0
    to reset.

    Signals:
        viewChanged(yaw, pitch, fov): degrees, after every change of the view.
    """

    viewChanged = Signal(float, float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setMinimumSize(320, 180)
        self._renderer: EquirectRenderer | None = None
        self._yaw, self._pitch, self._fov = 0.0, 0.0, DEFAULT_FOV
        self._image = QImage()
        self._frame = np.zeros((0, 0), np.uint32)
        self._drag_from: QPointF | None = None
        self._smooth = False
        self._drawn_smooth = False
        self._refine = QTimer(self)
        self._refine.setSingleShot(True)
        self._refine.setInterval(REFINE_AFTER_MS)
        self._refine.timeout.connect(self._draw_refined)

    # public API

    def set_texture(self, texture: np.ndarray) -> None:
        self._renderer = EquirectRenderer(texture)
        self._smooth = False
        self._refine.start()
        self.update()

    def has_texture(self) -> bool:
        return self._renderer is not None

    def is_refined(self) -> bool:
        """True once the view has been still long enough to be drawn with bilinear filtering."""
        return self._smooth

    def view(self) -> tuple[float, float, float]:
        """(yaw, pitch, fov) in degrees."""
        return self._yaw, self._pitch, self._fov

    def set_view(self, yaw: float, pitch: float, fov: float) -> None:
        yaw = (yaw + 180.0) % 360.0 - 180.0
        pitch = min(90.0, max(-90.0, pitch))
        fov = min(MAX_FOV, max(MIN_FOV, fov))
        if (yaw, pitch, fov) == (self._yaw, self._pitch, self._fov):
            return
        self._yaw, self._pitch, self._fov = yaw, pitch, fov
        self._smooth = False
        self._refine.start()  # restarts: refine once the view has been still for a moment
        self.update()
        self.viewChanged.emit(yaw, pitch, fov)

    def reset_view(self) -> None:
        self.set_view(0.0, 0.0, DEFAULT_FOV)

    def zoom(self, factor: float) -> None:
        self.set_view(self._yaw, self._pitch, self._fov * factor)

    def turn(self, d_yaw: float, d_pitch: float) -> None:
        self.set_view(self._yaw + d_yaw, self._pitch + d_pitch, self._fov)

    def sizeHint(self) -> QSize:
        return QSize(960, 540)

    # painting

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            if self._renderer is None or self.width() < 1 or self.height() < 1:
                painter.fillRect(self.rect(), Qt.GlobalColor.black)
                return
            self._render_frame()
            painter.drawImage(0, 0, self._image)
        finally:
            painter.end()

    def _render_frame(self) -> None:
        assert self._renderer is not None
        h, w = self.height(), self.width()
        if self._frame.shape != (h, w):
            self._frame = np.empty((h, w), np.uint32)
        self._renderer.render(self._yaw, self._pitch, self._fov, self._frame, smooth=self._smooth)
        self._drawn_smooth = self._smooth
        # A deep copy into a QImage that Qt owns: no Qt object ever points into numpy memory
        # (a QImage wrapping a Python buffer, or numpy writing through bits(), leaves that to
        # the bindings' lifetime handling). About a millisecond at 960×540.
        self._image = QImage(self._frame.tobytes(), w, h, 4 * w, QImage.Format.Format_RGB32).copy()

    def frame(self) -> QImage:
        """A copy of the last rendered frame (for tests and screenshots)."""
        return self._image.copy()

    def _draw_refined(self) -> None:
        if self._drag_from is not None:  # the button is still down: more motion may follow
            self._refine.start()
            return
        if self._renderer is not None and not self._smooth:
            self._smooth = True
            self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._smooth = False
        self._refine.start()
        super().resizeEvent(event)

    # input

    def _degrees_per_pixel(self) -> float:
        return self._fov / max(1, self.width())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is None:
            super().mouseMoveEvent(event)
            return
        delta = event.position() - self._drag_from
        self._drag_from = event.position()
        scale = self._degrees_per_pixel()
        # Grab the scene: dragging right brings what is on the left into view.
        self.turn(-delta.x() * scale, delta.y() * scale)
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._drag_from is not None:
            self._drag_from = None
            self.setCursor(Qt.CursorShape.OpenHandCursor)
            self._refine.start()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120.0
        if notches:
            self.zoom(WHEEL_ZOOM**notches)
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = KEY_STEP_DEGREES * self._fov / DEFAULT_FOV
        key = event.key()
        actions: dict[int, Callable[[], None]] = {
            Qt.Key.Key_Left: lambda: self.turn(-step, 0.0),
            Qt.Key.Key_Right: lambda: self.turn(step, 0.0),
            Qt.Key.Key_Up: lambda: self.turn(0.0, step),
            Qt.Key.Key_Down: lambda: self.turn(0.0, -step),
            Qt.Key.Key_Plus: lambda: self.zoom(WHEEL_ZOOM),
            Qt.Key.Key_Equal: lambda: self.zoom(WHEEL_ZOOM),
            Qt.Key.Key_Minus: lambda: self.zoom(1 / WHEEL_ZOOM),
            Qt.Key.Key_Home: self.reset_view,
            Qt.Key.Key_0: self.reset_view,
        }
        action = actions.get(key)
        if action is None:
            super().keyPressEvent(event)
            return
        action()
        event.accept()


# -- the dialog ---------------------------------------------------------------------------------


class PanoramaViewer(QDialog):
    """A window with the 360° view of one photo; shows a busy bar while the photo decodes.

    Signals:
        loaded(): the photo is decoded and shown.
        failed(message): it could not be decoded; the message is also shown in the window.
    """

    loaded = Signal()
    failed = Signal(str)

    _LOADING, _VIEW, _ERROR = 0, 1, 2

    def __init__(
        self, path: Path, parent: QWidget | None = None, *, max_width: int = TEXTURE_MAX_WIDTH
    ) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.setWindowTitle(f"{self.path.name} — 360° view")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.resize(1000, 600)

        self._busy = QProgressBar()
        self._busy.setRange(0, 0)  # busy indicator: decoding has no meaningful percentage
        self._busy.setTextVisible(False)
        loading = QWidget()
        loading_layout = QVBoxLayout(loading)
        loading_layout.addStretch(1)
        loading_layout.addWidget(
            QLabel(f"Opening {self.path.name}…"), 0, Qt.AlignmentFlag.AlignHCenter
        )
        loading_layout.addWidget(self._busy)
        loading_layout.addStretch(1)

        self.panorama_view = PanoramaView()
        self._error = QLabel()
        self._error.setWordWrap(True)
        self._error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self._pages = QStackedWidget()
        self._pages.addWidget(loading)
        self._pages.addWidget(self.panorama_view)
        self._pages.addWidget(self._error)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self._reset = QPushButton("Reset View")
        self._reset.setEnabled(False)
        self._reset.clicked.connect(self.panorama_view.reset_view)
        buttons.addButton(self._reset, QDialogButtonBox.ButtonRole.ResetRole)
        hint = QLabel("Drag to look around · wheel or +/− to zoom · arrow keys to turn")
        hint.setEnabled(False)  # greyed: a hint, not content

        layout = QVBoxLayout(self)
        layout.addWidget(self._pages, 1)
        layout.addWidget(hint)
        layout.addWidget(buttons)

        # Its own pool, so closing can wait for exactly this decode and nothing else.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._cancel = threading.Event()
        cancel = self._cancel
        source = self.path
        # The pool job must hold no strong reference to this dialog: if it dropped the last
        # one, the dialog (and its timers) would be destroyed in the pool thread, which Qt
        # does not survive. It gets a C++-owned child as receiver and a weak callback.
        this = weakref.ref(self)

        def deliver(outcome: Outcome[np.ndarray]) -> None:
            viewer = this()
            if viewer is not None:
                viewer._decoded(outcome)

        run_in_pool(
            lambda: load_equirect(source, max_width, cancel.is_set),
            QObject(self),
            deliver,
            pool=self._pool,
        )

    def is_loading(self) -> bool:
        return self._pages.currentIndex() == self._LOADING

    def error_text(self) -> str:
        return self._error.text() if self._pages.currentIndex() == self._ERROR else ""

    def _decoded(self, outcome: Outcome[np.ndarray]) -> None:
        if self._cancel.is_set():
            return
        if outcome.error is not None or outcome.value is None:
            error = outcome.error
            if isinstance(error, _Cancelled):
                return
            if isinstance(error, ViewerError):
                message = str(error)
            else:
                log.error("decoding %s for the viewer failed: %r", self.path, error)
                message = f"cannot show {self.path.name}: {error}"
            self._error.setText(message)
            self._pages.setCurrentIndex(self._ERROR)
            self.failed.emit(message)
            return
        self.panorama_view.set_texture(outcome.value)
        self._pages.setCurrentIndex(self._VIEW)
        self._reset.setEnabled(True)
        self.panorama_view.setFocus()
        self.loaded.emit()

    def shutdown(self, timeout_ms: int = CLOSE_WAIT_MS) -> bool:
        """Cancel a decode not finished yet and wait for its thread; True when none is left."""
        self._cancel.set()
        return stop_pool(self._pool, timeout_ms)

    def done(self, result: int) -> None:
        # Every way of closing a dialog (Close button, Esc, window close) ends up here.
        if not self.shutdown():
            log.warning("the viewer's decoding thread did not stop in time")
        super().done(result)


def open_viewer(path: Path, parent: QWidget | None = None) -> PanoramaViewer:
    """Open a non-modal viewer for `path` and return it; it deletes itself when closed."""
    viewer = PanoramaViewer(path, parent)
    viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    viewer.show()
    return viewer
