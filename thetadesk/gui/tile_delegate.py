"""Paints one photo tile: thumbnail, file name, verdict badge with its reason, upload state."""

from __future__ import annotations

import time

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QPixmapCache,
    QTextLayout,
)
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from thetadesk.gui.photo_model import PhotoRole, PhotoRow, UploadState
from thetadesk.gui.thumbnails import as_image

TILE_WIDTH = 240
THUMB_HEIGHT = 112  # 2:1 panoramas fill the tile's width at this height
PADDING = 8

VERDICT_LABELS = {
    "ok": ("OK", QColor("#2f855a")),
    "warning": ("Warning", QColor("#c05621")),
    "needs_review": ("Needs review", QColor("#6b46c1")),
    "rejected": ("Rejected", QColor("#c53030")),
}
CHECKING = ("Checking…", QColor("#718096"))
NOT_CHECKED = ("Not checked", QColor("#718096"))

# Each upload state's badge, drawn over the thumbnail's corner: its own background, so it
# reads the same in light and dark themes.
STATE_BADGES = {
    UploadState.CHECKING: ("Checking", QColor("#718096")),
    UploadState.QUEUED: ("Queued", QColor("#2b6cb0")),
    UploadState.UPLOADING: ("Uploading", QColor("#3182ce")),
    UploadState.UPLOADED: ("✓ Uploaded", QColor("#2f855a")),
    UploadState.FAILED: ("✗ Failed", QColor("#c53030")),
    UploadState.SKIPPED: ("Duplicate", QColor("#4a5568")),
    UploadState.HELD: ("Held", QColor("#6b46c1")),
    UploadState.PAUSED: ("Paused", QColor("#b7791f")),
    UploadState.REJECTED: ("Not sent", QColor("#9b2c2c")),
    UploadState.CANCELLED: ("Cancelled", QColor("#4a5568")),
}

STATE_TEXT = {
    UploadState.CHECKING: "",
    UploadState.QUEUED: "Queued",
    UploadState.UPLOADING: "Uploading",
    UploadState.UPLOADED: "✓ Uploaded",
    UploadState.FAILED: "✗ Failed",
    UploadState.SKIPPED: "Skipped: duplicate",
    UploadState.HELD: "Held: not uploaded until confirmed",
    UploadState.PAUSED: "Paused",
    UploadState.REJECTED: "Not uploaded",
    UploadState.CANCELLED: "Cancelled",
}
STATE_COLORS = {
    UploadState.UPLOADED: QColor("#2f855a"),
    UploadState.FAILED: QColor("#c53030"),
}
_REASON_SHOWN = {UploadState.QUEUED, UploadState.FAILED, UploadState.CHECKING, UploadState.PAUSED}


def thumbnail_size() -> QSize:
    """The thumbnail area of a tile, in logical pixels."""
    return QSize(TILE_WIDTH - 3 * PADDING, THUMB_HEIGHT)


def state_badge(row: PhotoRow) -> tuple[str, QColor]:
    label, color = STATE_BADGES[row.state]
    if row.state is UploadState.UPLOADING:
        label = f"↑ {row.progress}%"
    return label, color


def state_line(row: PhotoRow) -> str:
    text = STATE_TEXT[row.state]
    if row.state is UploadState.UPLOADED and row.photo_id is not None:
        text += f" (photo {row.photo_id})"
    elif row.state is UploadState.SKIPPED and row.reason:
        text = f"Skipped: {row.reason}"
    elif row.reason and row.state in _REASON_SHOWN:
        text = f"{text}: {row.reason}" if text else row.reason
    return text


def readable(color: QColor, palette: QPalette) -> QColor:
    """A status colour as text on the view's background: lighter on a dark theme."""
    if palette.color(QPalette.ColorRole.Base).lightness() < 128:
        return color.lighter(170)
    return color


def camera_line(row: PhotoRow) -> str:
    """e.g. 'RICOH THETA V · 5376×2688'; empty while checking."""
    inspection = row.inspection
    if inspection is None:
        return ""
    parts = [inspection.model] if inspection.model else []
    if inspection.width and inspection.height:
        parts.append(f"{inspection.width}×{inspection.height}")
    return " · ".join(parts)


def wrapped_lines(text: str, font: QFont, width: int, max_lines: int) -> list[str]:
    """Word-wrap `text` to at most `max_lines`, eliding the last one if it runs over."""
    layout = QTextLayout(text, font)
    metrics = QFontMetrics(font)
    lines: list[str] = []
    layout.beginLayout()
    while len(lines) < max_lines:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        start = line.textStart()
        if len(lines) == max_lines - 1:
            lines.append(metrics.elidedText(text[start:], Qt.TextElideMode.ElideRight, width))
        else:
            lines.append(text[start : start + line.textLength()].rstrip())
    layout.endLayout()
    return lines


# What in a view item's state changes how a tile looks (the style's panel draws them).
_STATES_DRAWN = (
    QStyle.StateFlag.State_Selected,
    QStyle.StateFlag.State_MouseOver,
    QStyle.StateFlag.State_HasFocus,
    QStyle.StateFlag.State_Active,
    QStyle.StateFlag.State_Enabled,
)

HEADLINE_LINES = 2
TEXT_LINES = 3 + HEADLINE_LINES  # name, verdict + camera, headline, upload state


# At most this many tiles are painted afresh in one paint of the grid; the others show
# their previous picture (or an empty frame) and are painted in the next frames. A big drop
# changes every tile on screen at once, and painting ~40 of them in one go (~1.5 ms each)
# froze the window for up to ~80 ms; eight keep a frame well under 20 ms.
TILES_PAINTED_PER_FRAME = 8
# And after the first, no more once a frame has spent this long on them: while other
# threads run Python code (a drop being checked), every Qt call a tile makes may wait for
# the GIL, and eight tiles then took 40-80 ms.
FRESH_TILES_BUDGET_S = 0.010


class TileDelegate(QStyledItemDelegate):
    """Layout, top to bottom: thumbnail; file name; verdict badge and camera; the verdict's
    headline reason on up to two lines; upload state or a progress bar.

    A view that calls begin_frame() and end_frame() around its paint gets the per-frame
    limit above; end_frame() says where tiles still wait to be painted.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fresh_left: int | None = None  # None: no limit (not inside a framed paint)
        self._frame_deadline = 0.0
        self._deferred = QRect()
        self._last_key: dict[tuple[int, int], str] = {}  # (model, row stamp) -> last key

    def begin_frame(self) -> None:
        self._fresh_left = TILES_PAINTED_PER_FRAME
        self._frame_deadline = time.perf_counter() + FRESH_TILES_BUDGET_S
        self._deferred = QRect()

    def end_frame(self) -> QRect:
        """The area of the tiles left for a later frame (empty when none was)."""
        self._fresh_left = None
        deferred, self._deferred = self._deferred, QRect()
        return deferred

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        line = QFontMetrics(option.font).height() + 4
        return QSize(TILE_WIDTH, 3 * PADDING + THUMB_HEIGHT + 6 + TEXT_LINES * line)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Draws the tile's cached picture; paints it first if the row, its selection or
        hover state, the tile's size or the palette changed since (GUI thread only, as
        every paint). A grid that repaints while thousands of rows change then costs one
        drawPixmap per tile on screen instead of ~20 QPainter calls and text layouts."""
        row = index.data(PhotoRole.ROW)
        if not isinstance(row, PhotoRow):
            return
        if not row.version:  # not from a PhotoModel: nothing tells its versions apart
            self._paint_tile(painter, option, row)
            return
        device = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        size = option.rect.size()
        # One flag at a time: combining these flags into one mask crashes PySide6 6.11.
        state = "".join("1" if option.state & flag else "0" for flag in _STATES_DRAWN)
        key = (
            f"thetadesk-tile:{row.stamp}:{row.version}:{state}:{size.width()}x"
            f"{size.height()}@{ratio}:{option.palette.cacheKey()}:{option.font.key()}"
        )
        view = option.widget
        if view is not None:
            # Room for two screens of tiles (QPixmapCache's default, 10 MB, holds about
            # eleven tiles on a high-DPI screen: it would paint every tile every time).
            need_kb = int(2 * view.width() * view.height() * ratio * ratio * 4 / 1024)
            if QPixmapCache.cacheLimit() < need_kb:
                QPixmapCache.setCacheLimit(need_kb)
        pixmap = QPixmapCache.find(key)
        if pixmap is None or pixmap.isNull():
            if self._fresh_left is not None:
                if self._fresh_left <= 0 or (
                    self._fresh_left < TILES_PAINTED_PER_FRAME
                    and time.perf_counter() > self._frame_deadline
                ):
                    self._paint_previous(painter, option, index, row, size * ratio)
                    self._deferred = self._deferred.united(option.rect)
                    return
                self._fresh_left -= 1
            pixmap = QPixmap(size * ratio)
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            tile = QStyleOptionViewItem(option)
            tile.rect = QRect(QPoint(0, 0), size)
            tile_painter = QPainter(pixmap)
            try:
                self._paint_tile(tile_painter, tile, row)
            finally:
                tile_painter.end()
            QPixmapCache.insert(key, pixmap)
            if len(self._last_key) > 50_000:  # rows long gone: start again
                self._last_key.clear()
            self._last_key[(id(index.model()), row.stamp)] = key
        painter.drawPixmap(option.rect.topLeft(), pixmap)

    def _paint_previous(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
        row: PhotoRow,
        pixels: QSize,
    ) -> None:
        """A tile whose turn is in a later frame: its last picture, else an empty frame."""
        previous = QPixmapCache.find(self._last_key.get((id(index.model()), row.stamp), ""))
        if previous is not None and not previous.isNull() and previous.size() == pixels:
            painter.drawPixmap(option.rect.topLeft(), previous)
            return
        tile = option.rect.adjusted(PADDING // 2, PADDING // 2, -PADDING // 2, -PADDING // 2)
        painter.save()
        painter.setPen(QPen(option.palette.color(QPalette.ColorRole.Mid), 1))
        painter.drawRoundedRect(QRectF(tile), 6, 6)
        painter.restore()

    def _paint_tile(self, painter: QPainter, option: QStyleOptionViewItem, row: PhotoRow) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawPrimitive(
            QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget
        )

        palette = option.palette
        tile = option.rect.adjusted(PADDING // 2, PADDING // 2, -PADDING // 2, -PADDING // 2)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.drawRoundedRect(QRectF(tile), 6, 6)

        inner = tile.adjusted(PADDING, PADDING, -PADDING, -PADDING)
        thumb_rect = QRect(inner.left(), inner.top(), inner.width(), THUMB_HEIGHT)
        self._paint_thumbnail(painter, thumb_rect, as_image(row.thumbnail), palette)
        self._paint_state_badge(painter, thumb_rect, row, option.font)

        font = QFont(option.font)
        line = QFontMetrics(font).height() + 4
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_color = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter

        def next_line() -> QRect:
            nonlocal y
            rect = QRect(inner.left(), y, inner.width(), line)
            y += line
            return rect

        y = thumb_rect.bottom() + 6
        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text_color)
        name = QFontMetrics(bold).elidedText(
            row.path.name, Qt.TextElideMode.ElideMiddle, inner.width()
        )
        painter.drawText(next_line(), left, name)

        self._paint_verdict(painter, next_line(), row, font, text_color)

        painter.setFont(font)
        painter.setPen(text_color)
        headline = wrapped_lines(row.headline, font, inner.width(), HEADLINE_LINES)
        for _ in range(HEADLINE_LINES):
            rect = next_line()
            if headline:
                painter.drawText(rect, left, headline.pop(0))

        self._paint_state(painter, next_line(), row, font, palette, text_color, selected)
        painter.restore()

    @staticmethod
    def _paint_thumbnail(
        painter: QPainter, rect: QRect, image: QImage | None, palette: QPalette
    ) -> None:
        if image is None or image.isNull():
            painter.fillRect(rect, palette.color(QPalette.ColorRole.AlternateBase))
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "…")
            return
        size = image.size().scaled(rect.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(rect.center())
        # Drawing the QImage directly: no QPixmap has to be made for it anywhere.
        painter.drawImage(target, image)

    @staticmethod
    def _paint_pill(painter: QPainter, rect: QRect, label: str, color: QColor, font: QFont) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(QRectF(rect), 4, 4)
        painter.setFont(font)
        painter.setPen(QColor("white"))  # on the badge's own saturated colour
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)

    @classmethod
    def _paint_state_badge(
        cls, painter: QPainter, thumb: QRect, row: PhotoRow, font: QFont
    ) -> None:
        label, color = state_badge(row)
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        small.setBold(True)
        metrics = QFontMetrics(small)
        width = metrics.horizontalAdvance(label) + 12
        height = metrics.height() + 4
        badge = QRect(thumb.right() - width - 4, thumb.top() + 4, width, height)
        cls._paint_pill(painter, badge, label, color, small)

    @staticmethod
    def _paint_verdict(
        painter: QPainter, rect: QRect, row: PhotoRow, font: QFont, text_color: QColor
    ) -> None:
        if row.verdict in VERDICT_LABELS:
            label, color = VERDICT_LABELS[row.verdict]
        else:
            label, color = CHECKING if row.state is UploadState.CHECKING else NOT_CHECKED
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        small.setBold(True)
        metrics = QFontMetrics(small)
        badge = QRect(
            rect.left(), rect.top() + 1, metrics.horizontalAdvance(label) + 12, rect.height() - 2
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRoundedRect(QRectF(badge), 4, 4)
        painter.setFont(small)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, label)

        rest = QRect(badge.right() + 6, rect.top(), rect.right() - badge.right() - 6, rect.height())
        painter.setFont(font)
        muted = QColor(text_color)
        muted.setAlphaF(0.7)
        painter.setPen(muted)
        camera = QFontMetrics(font).elidedText(
            camera_line(row), Qt.TextElideMode.ElideRight, rest.width()
        )
        painter.drawText(rest, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, camera)

    @staticmethod
    def _paint_state(
        painter: QPainter,
        rect: QRect,
        row: PhotoRow,
        font: QFont,
        palette: QPalette,
        text_color: QColor,
        selected: bool = False,
    ) -> None:
        painter.setFont(font)
        if row.state is UploadState.UPLOADING:
            bar = rect.adjusted(0, 3, 0, -3)
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
            painter.setBrush(palette.color(QPalette.ColorRole.Base))
            painter.drawRoundedRect(QRectF(bar), 3, 3)
            filled = QRect(bar)
            filled.setWidth(bar.width() * row.progress // 100)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(QRectF(filled), 3, 3)
            painter.setPen(text_color)
            painter.drawText(bar, Qt.AlignmentFlag.AlignCenter, f"Uploading {row.progress}%")
            return
        color = STATE_COLORS.get(row.state)
        # On the selection's highlight, the highlight's own text colour reads best.
        painter.setPen(readable(color, palette) if color and not selected else text_color)
        text = QFontMetrics(font).elidedText(
            state_line(row), Qt.TextElideMode.ElideRight, rect.width()
        )
        painter.drawText(rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
