"""Tile thumbnails decoded on a thread pool, as QImage (QPixmap belongs to the GUI thread)."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QThread, QThreadPool, Signal
from PySide6.QtGui import QImage

from thetadesk.core.thumbnails import embedded_thumbnail_as_is, thumbnail_jpeg
from thetadesk.gui.background import Outcome, run_in_pool

log = logging.getLogger(__name__)

THUMBNAIL_SIDE = 320


def decode_thumbnail(path: Path, max_side: int = THUMBNAIL_SIDE) -> QImage:
    """Runs in a pool thread: the embedded EXIF thumbnail if any, else a reduced decode.

    A null QImage means no thumbnail could be made (the tile keeps its placeholder).
    """
    as_is = embedded_thumbnail_as_is(path, max_side=max_side)
    if as_is is not None:
        image = QImage.fromData(as_is, "JPG")
        if not image.isNull():
            return image
    data = thumbnail_jpeg(path, max_side=max_side)
    image = QImage.fromData(data) if data else QImage()
    return image


class ThumbnailLoader(QObject):
    """Requests thumbnails and emits them on the GUI thread.

    Signals:
        loaded(path, stamp, image): `stamp` is whatever the requester passed (the model's row
            stamp), so it can drop a result whose row was removed meanwhile.
    """

    loaded = Signal(object, int, QImage)

    def __init__(self, parent: QObject | None = None, *, max_side: int = THUMBNAIL_SIDE) -> None:
        super().__init__(parent)
        self._max_side = max_side
        # Its own pool, so closing the window can wait for exactly these jobs.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(2, min(4, QThread.idealThreadCount())))

    @property
    def pool(self) -> QThreadPool:
        """Short jobs that read photo files (inspection of restored rows) share it."""
        return self._pool

    def request(self, path: Path, stamp: int) -> None:
        max_side = self._max_side

        def done(outcome: Outcome[QImage]) -> None:
            if outcome.error is not None:
                log.warning("no thumbnail for %s: %s", path.name, outcome.error)
                return
            if outcome.value is not None and not outcome.value.isNull():
                self.loaded.emit(path, stamp, outcome.value)

        run_in_pool(lambda: decode_thumbnail(path, max_side), self, done, pool=self._pool)

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Drop jobs not started yet and wait for running ones."""
        self._pool.clear()
        return self._pool.waitForDone(timeout_ms)
