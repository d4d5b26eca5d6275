"""The tile grid: a QListView in icon mode that shows a hint while it is empty."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from thetadesk.gui.tile_delegate import TileDelegate, thumbnail_size

EMPTY_HINT = "Drop RICOH THETA photos or folders here\nor use Add Photos…"


class PhotoGrid(QListView):
    """Signals:
    viewportChanged(): which tiles are on screen may have changed (scrolled, resized,
        rows added, removed or filtered).
    """

    viewportChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        # IconMode turns on free movement, which makes the view accept drops itself (as
        # internal moves); static tiles leave drops to the window, which copies files in.
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setSpacing(6)
        self.setWordWrap(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.NoDragDrop)
        self.setMouseTracking(True)  # tooltips per tile
        self.setItemDelegate(TileDelegate(self))
        self.verticalScrollBar().valueChanged.connect(self.viewportChanged)

    def setModel(self, model) -> None:  # type: ignore[no-untyped-def]  # noqa: ANN001
        super().setModel(model)
        if model is not None:
            for signal in (
                model.rowsInserted,
                model.rowsRemoved,
                model.modelReset,
                model.layoutChanged,
            ):
                signal.connect(self.viewportChanged)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.viewportChanged.emit()

    def thumbnail_pixels(self) -> QSize:
        """A tile's thumbnail area in device pixels (what a sharp decode is made for)."""
        size = thumbnail_size()
        ratio = self.devicePixelRatioF()
        return QSize(round(size.width() * ratio), round(size.height() * ratio))

    def visible_indexes(self) -> list[QModelIndex]:
        """The tiles on screen (even partly), in row order: the viewport sampled at half a
        tile's spacing, so no tile is missed and none off screen is counted."""
        model = self.model()
        if model is None or model.rowCount() == 0:
            return []
        area = self.viewport().rect()
        tile = self.sizeHintForIndex(model.index(0, 0))
        step_x = max(8, tile.width() // 2)
        step_y = max(8, tile.height() // 2)
        xs = [*range(area.left(), area.right(), step_x), area.right()]
        ys = [*range(area.top(), area.bottom(), step_y), area.bottom()]
        found: dict[int, QModelIndex] = {}
        for y in ys:
            for x in xs:
                index = self.indexAt(QPoint(x, y))
                if index.isValid():
                    found.setdefault(index.row(), index)
        return [found[row] for row in sorted(found)]

    def paintEvent(self, event: QPaintEvent) -> None:
        delegate = self.itemDelegate()
        framed = isinstance(delegate, TileDelegate)
        if framed:
            delegate.begin_frame()
        try:
            super().paintEvent(event)
        finally:
            later = delegate.end_frame() if framed else QRect()
        if not later.isEmpty():
            # The tiles over this frame's limit: painted in the next frame, after whatever
            # else waits in the event loop (a paint never holds the window for long). The
            # whole viewport, not `later`: a scroll before then moves the stale pictures to
            # where `later` no longer is (cached tiles cost one drawPixmap each).
            viewport = self.viewport()
            QTimer.singleShot(0, viewport, viewport.update)
        model = self.model()
        if model is not None and model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, EMPTY_HINT)
            painter.end()
