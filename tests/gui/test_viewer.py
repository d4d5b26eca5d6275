"""The 360° viewer: the projection is right, the widget answers drag, wheel and keys, the
dialog decodes off the GUI thread and closes with no thread left behind."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from tests.core.samples import sample
from tests.gui.helpers import OFFSCREEN_SIZE_HINTS
from thetadesk.gui import viewer as viewer_module
from thetadesk.gui.viewer import (
    DEFAULT_FOV,
    EquirectRenderer,
    PanoramaView,
    PanoramaViewer,
    ViewerError,
    load_equirect,
    open_viewer,
)

# Shown dialogs make the offscreen platform say this; it is about the platform, not the app.
pytestmark = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS)


# -- the projection --------------------------------------------------------------------------


def column_texture(width: int = 720, height: int = 360) -> np.ndarray:
    """Each pixel holds its own (row, column): what a view samples can be read back."""
    rows, cols = np.mgrid[0:height, 0:width]
    return (0xFF000000 | (rows << 12) | cols).astype(np.uint32)


def sampled(pixel: int) -> tuple[int, int]:
    return (pixel >> 12) & 0xFFF, pixel & 0xFFF  # (row, column)


def reference(texture: np.ndarray, yaw: float, pitch: float, fov: float, w: int, h: int):
    """The textbook projection in float64 with arctan2, written independently of the viewer."""
    th, tw = texture.shape
    focal = (w / 2) / math.tan(math.radians(fov) / 2)
    x, y = np.meshgrid(np.arange(w) + 0.5 - w / 2, h / 2 - 0.5 - np.arange(h))
    z = np.full_like(x, focal)
    norm = np.sqrt(x * x + y * y + z * z)
    x, y, z = x / norm, y / norm, z / norm
    p = math.radians(pitch)
    y2, z2 = y * math.cos(p) + z * math.sin(p), z * math.cos(p) - y * math.sin(p)
    lon = np.arctan2(x, z2) + math.radians(yaw)
    lat = np.arcsin(np.clip(y2, -1, 1))
    u = np.floor((lon / (2 * math.pi) + 0.5) * tw).astype(int) % tw
    v = np.clip(np.floor((0.5 - lat / math.pi) * th).astype(int), 0, th - 1)
    return texture[v, u]


def render(texture, yaw=0.0, pitch=0.0, fov=DEFAULT_FOV, size=(160, 90), smooth=False):
    out = np.empty((size[1], size[0]), np.uint32)
    EquirectRenderer(texture).render(yaw, pitch, fov, out, smooth=smooth)
    return out


def test_default_view_looks_at_the_middle_of_the_photo():
    out = render(column_texture())
    row, col = sampled(int(out[45, 80]))
    assert abs(row - 180) <= 1 and abs(col - 360) <= 1
    # 90° across: the left and right edges are 45° either side of the centre (90 columns).
    assert abs(sampled(int(out[45, 0]))[1] - 270) <= 2
    assert abs(sampled(int(out[45, 159]))[1] - 450) <= 2


def test_yaw_turns_right_and_pitch_looks_up():
    texture = column_texture()
    assert abs(sampled(int(render(texture, yaw=90.0)[45, 80]))[1] - 540) <= 1
    assert abs(sampled(int(render(texture, yaw=-90.0)[45, 80]))[1] - 180) <= 1
    assert sampled(int(render(texture, pitch=45.0)[45, 80]))[0] == pytest.approx(90, abs=1)
    assert sampled(int(render(texture, pitch=-90.0)[45, 80]))[0] >= 358  # the nadir


@pytest.mark.parametrize(
    ("yaw", "pitch", "fov"),
    [(0, 0, 90), (37.5, 12, 60), (-170, -45, 100), (180, 89.9, 120), (10, -60, 20), (359, 5, 75)],
)
def test_matches_the_textbook_projection(yaw, pitch, fov):
    texture = column_texture()
    # The fast path turns by whole texture columns: compare at the yaw it actually uses.
    used_yaw = round(yaw / 360 * 720) * 360 / 720
    expected = reference(texture, used_yaw, pitch, fov, 160, 90)
    out = render(texture, yaw, pitch, fov)
    # float32 against float64: a pixel right on a column boundary may round the other way.
    assert np.mean(out != expected) < 0.005


def test_every_view_stays_inside_the_texture():
    texture = column_texture(64, 32)
    renderer = EquirectRenderer(texture)
    out = np.empty((37, 51), np.uint32)  # odd sizes: a centre column with x == 0
    values = set(texture.ravel().tolist())
    for yaw in (-720.0, -180.0, 0.0, 179.99, 180.0, 1e6):
        for pitch in (-90.0, -89.99, 0.0, 90.0):
            for fov in (20.0, 120.0):
                for smooth in (False, True):
                    renderer.render(yaw, pitch, fov, out, smooth=smooth)
                    if not smooth:
                        assert set(out.ravel().tolist()) <= values


def test_bilinear_blends_neighbours_and_keeps_flat_colour():
    flat = np.full((90, 180), 0xFF336699, np.uint32)
    assert np.all(render(flat, smooth=True) == 0xFF336699)
    # Black and white halves: the smooth frame has greys on the border, the fast one not.
    halves = np.full((90, 180), 0xFF000000, np.uint32)
    halves[:, 90:] = 0xFFFFFFFF
    fast, smooth = render(halves, fov=20.0), render(halves, fov=20.0, smooth=True)
    assert set(np.unique(fast).tolist()) == {0xFF000000, 0xFFFFFFFF}
    greens = (smooth >> 8) & 0xFF
    assert np.any((greens > 0) & (greens < 255))
    assert np.all(smooth >> 24 == 0xFF)


# -- decoding ------------------------------------------------------------------------------


def write_jpeg(path: Path, width: int, height: int, colour=(200, 30, 10)) -> Path:
    Image.new("RGB", (width, height), colour).save(path, quality=95)
    return path


def test_load_equirect_gives_rgb32_pixels(tmp_path: Path):
    texture = load_equirect(write_jpeg(tmp_path / "pano.jpg", 256, 128))
    assert texture.shape == (128, 256) and texture.dtype == np.uint32
    red, green, blue = (texture >> 16) & 0xFF, (texture >> 8) & 0xFF, texture & 0xFF
    assert np.all(texture >> 24 == 0xFF)
    assert abs(int(np.median(red)) - 200) <= 3
    assert abs(int(np.median(green)) - 30) <= 3
    assert abs(int(np.median(blue)) - 10) <= 3


def test_load_equirect_scales_a_large_photo_down(tmp_path: Path):
    texture = load_equirect(write_jpeg(tmp_path / "big.jpg", 1600, 800), max_width=500)
    assert texture.shape == (250, 500)


def test_load_equirect_refuses_what_is_not_an_image(tmp_path: Path):
    path = tmp_path / "notes.jpg"
    path.write_text("not a photo")
    with pytest.raises(ViewerError, match="notes.jpg"):
        load_equirect(path)


# -- the widget and the dialog ---------------------------------------------------------------


@pytest.fixture
def pano(tmp_path: Path) -> Path:
    image = Image.new("RGB", (512, 256))
    for x in range(0, 512, 32):  # vertical stripes so a turned view looks different
        image.paste((x // 2, 255 - x // 2, 128), (x, 0, x + 16, 256))
    image.save(tmp_path / "R0010001.JPG", quality=90)
    return tmp_path / "R0010001.JPG"


def opened(qtbot, path: Path) -> PanoramaViewer:
    # Not shown: the widgets are driven through their own methods and painted with grab().
    viewer = PanoramaViewer(path)
    qtbot.addWidget(viewer)
    viewer.panorama_view.resize(320, 180)
    qtbot.waitSignal(viewer.loaded, timeout=10_000).wait()
    return viewer


def mouse(widget, kind: QEvent.Type, x: float, y: float, buttons=Qt.MouseButton.LeftButton):
    button = Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    event = QMouseEvent(
        kind, QPointF(x, y), QPointF(x, y), button, buttons, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)


def test_viewer_shows_progress_then_the_view(qtbot, pano: Path):
    viewer = PanoramaViewer(pano)
    qtbot.addWidget(viewer)
    assert viewer.is_loading()  # decoding runs in the pool; the window is there already
    assert "R0010001.JPG" in viewer.windowTitle()
    qtbot.waitSignal(viewer.loaded, timeout=10_000).wait()
    assert not viewer.is_loading()
    view = viewer.panorama_view
    assert view.has_texture()
    view.resize(320, 180)
    image = view.grab().toImage()
    colours = {image.pixel(x, 90) for x in range(0, 320, 4)}
    assert len(colours) > 2, "the view should show the stripes, not one flat colour"


def test_drag_wheel_and_keys_move_the_view(qtbot, pano: Path):
    viewer = opened(qtbot, pano)
    view = viewer.panorama_view
    view.resize(400, 200)
    changes = []
    view.viewChanged.connect(lambda *v: changes.append(v))

    mouse(view, QEvent.Type.MouseButtonPress, 200, 100)
    mouse(view, QEvent.Type.MouseMove, 240, 80)  # right and up
    mouse(view, QEvent.Type.MouseButtonRelease, 240, 80, Qt.MouseButton.NoButton)
    yaw, pitch, fov = view.view()
    degrees_per_pixel = DEFAULT_FOV / 400
    assert yaw == pytest.approx(-40 * degrees_per_pixel)  # the scene follows the hand
    assert pitch == pytest.approx(-20 * degrees_per_pixel)
    assert changes[-1] == view.view()

    wheel = QWheelEvent(
        QPointF(200, 100),
        QPointF(200, 100),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view, wheel)
    assert view.view()[2] == pytest.approx(DEFAULT_FOV * 0.9)

    view.reset_view()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.view()[0] == pytest.approx(5.0)
    qtbot.keyClick(view, Qt.Key.Key_Up)
    assert view.view()[1] == pytest.approx(5.0)
    qtbot.keyClick(view, Qt.Key.Key_Minus)
    assert view.view()[2] == pytest.approx(DEFAULT_FOV / 0.9)
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert view.view() == (0.0, 0.0, DEFAULT_FOV)


def test_view_limits(qtbot):
    view = PanoramaView()
    qtbot.addWidget(view)
    view.set_view(190.0, 120.0, 500.0)
    assert view.view() == (-170.0, 90.0, viewer_module.MAX_FOV)
    view.set_view(0.0, -120.0, 1.0)
    assert view.view() == (0.0, -90.0, viewer_module.MIN_FOV)


def test_turning_changes_the_picture_and_refines_when_still(qtbot, pano: Path):
    viewer = opened(qtbot, pano)
    view = viewer.panorama_view
    view.resize(320, 180)
    before = view.grab().toImage()
    view.turn(30.0, 0.0)
    assert view.grab().toImage() != before
    assert not view.is_refined()
    qtbot.waitUntil(view.is_refined, timeout=5_000)  # bilinear frame once the view is still
    assert view.grab().toImage() != before


def test_a_file_that_cannot_be_shown_says_why(qtbot, tmp_path: Path):
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"\xff\xd8 not really a jpeg")
    viewer = PanoramaViewer(path)
    qtbot.addWidget(viewer)
    with qtbot.waitSignal(viewer.failed, timeout=10_000) as blocker:
        pass
    assert "broken.jpg" in blocker.args[0]
    assert viewer.error_text() == blocker.args[0]
    assert not viewer.is_loading()


def test_closing_while_decoding_leaves_no_thread_and_no_late_update(qtbot, pano: Path):
    viewer = PanoramaViewer(pano)
    qtbot.addWidget(viewer)
    loaded = []
    viewer.loaded.connect(lambda: loaded.append(True))
    viewer.reject()  # at once, most likely while the decode runs

    assert viewer._pool.activeThreadCount() == 0  # done() waited for the pool
    QApplication.processEvents()
    assert loaded == []  # a decode that finished anyway is dropped
    assert viewer.is_loading()


def test_closing_after_load_leaves_no_thread(qtbot, pano: Path):
    viewer = opened(qtbot, pano)
    viewer.reject()
    assert not viewer.isVisible()
    assert viewer.shutdown(0)


def test_open_viewer_deletes_itself_when_closed(qtbot, pano: Path, monkeypatch):
    shown = []
    monkeypatch.setattr(PanoramaViewer, "show", lambda self: shown.append(self))  # see opened()
    viewer = open_viewer(pano)
    assert shown == [viewer]
    assert viewer.testAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    qtbot.waitSignal(viewer.loaded, timeout=10_000).wait()
    destroyed = []
    viewer.destroyed.connect(lambda: destroyed.append(True))
    viewer.close()
    qtbot.waitUntil(lambda: destroyed == [True], timeout=5_000)  # deleteLater ran


@pytest.mark.samples
def test_real_theta_v_photo_opens_at_full_size(qtbot):
    viewer = opened(qtbot, sample("R0014760.JPG"))
    view = viewer.panorama_view
    assert view._renderer is not None
    assert (view._renderer.width, view._renderer.height) == (5376, 2688)
