"""Tile thumbnails made on a thread pool, kept as JPEG bytes (`Picture`) until painted.

A THETA's EXIF thumbnail is a 320×160 JPEG of ~15 KB; decoded it is 200 KB, and a batch
holds thousands of rows: rows keep the JPEG, and tiles decode it when they are painted
(a few at a time, the last ones decoded kept for repaints). QImage, not QPixmap, on the
pool's threads (QPixmap belongs to the GUI thread).

Two kinds of request:

- `request(path, stamp)`, for every new row: the embedded EXIF thumbnail (found without
  parsing the rest of the EXIF), else a reduced decode. Requests are gathered and decoded
  in batches, and each batch comes back in one `loaded` signal, so a 2,000-file drop costs
  the GUI thread a few dozen deliveries instead of 2,000.
- `request_sharp(path, stamp, size)`, for tiles on screen only (the grid asks again as it
  scrolls): a sharper decode of the photo itself at the tile's size, with libjpeg's DCT
  scaling (QImageReader.setScaledSize), so a 5.5K photo never decodes at full size. When
  the tiles on screen change (`keep_sharp`), requests for tiles no longer shown are
  dropped, whether still queued or not yet started.
"""

from __future__ import annotations

import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QObject,
    QRunnable,
    QSize,
    Qt,
    QThread,
    QThreadPool,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QImage, QImageReader

from thetadesk.core.jpeg_segments import JpegStructureError, read_header
from thetadesk.core.thumbnails import quick_embedded_thumbnail, thumbnail_jpeg
from thetadesk.gui.background import stop_pool

log = logging.getLogger(__name__)

THUMBNAIL_SIDE = 320
DECODED_KEPT = 160  # pictures kept decoded for repaints: more than two screens of tiles
SHARP_QUALITY = 92  # a sharp decode is kept re-encoded at this JPEG quality
BATCH = 32  # thumbnails decoded per pool job, and delivered per signal at most
MAX_SHARP_PIXELS = 300 * 1000 * 1000  # a header that claims more is not decoded at all


class Picture:
    """A thumbnail as JPEG bytes and its pixel size; `image()` decodes it (GUI thread).

    The few decoded last are kept (any thread may make a Picture; only the GUI thread
    decodes one), so a tile repainted as its row changes does not decode it again.
    """

    __slots__ = ("data", "_width", "_height")  # hashed by identity: the cache's key

    def __init__(self, data: bytes, width: int, height: int) -> None:
        self.data = data
        self._width = width
        self._height = height

    def width(self) -> int:
        return self._width

    def height(self) -> int:
        return self._height

    def size(self) -> QSize:
        return QSize(self._width, self._height)

    def isNull(self) -> bool:  # noqa: N802 - reads like QImage's, which it stands in for
        return not self.data

    def image(self) -> QImage:
        image = _decoded.get(self)
        if image is not None:
            _decoded.move_to_end(self)
            return image
        image = QImage.fromData(self.data, "JPG")
        _decoded[self] = image
        if len(_decoded) > DECODED_KEPT:
            _decoded.popitem(last=False)
        return image


_decoded: OrderedDict[Picture, QImage] = OrderedDict()  # the last decoded (GUI thread only)


def as_image(thumbnail: Picture | QImage | None) -> QImage | None:
    """What a painter draws: a Picture decoded, a QImage as it is."""
    return thumbnail.image() if isinstance(thumbnail, Picture) else thumbnail


def _picture(data: bytes | None) -> Picture | None:
    """A Picture of a JPEG whose frame header gives its size (read, not decoded: the tile
    decodes it when it paints it, and shows its placeholder if that fails)."""
    if not data:
        return None
    try:
        frame = read_header(io.BytesIO(data), len(data)).frame
    except (JpegStructureError, ValueError):
        return None
    if frame is None or frame.width <= 0 or frame.height <= 0:
        return None
    return Picture(data, frame.width, frame.height)


@dataclass(frozen=True)
class Thumbnail:
    """A thumbnail for the row with `stamp`; `sharp` when it is the reduced decode of the
    photo itself (else the embedded thumbnail, or a small preview)."""

    path: Path
    stamp: int
    image: Picture | QImage
    sharp: bool = False


def decode_thumbnail(path: Path, max_side: int = THUMBNAIL_SIDE) -> Picture | None:
    """Runs in a pool thread: the embedded EXIF thumbnail if any, else a reduced decode,
    as its JPEG. None: no thumbnail (the tile keeps its placeholder)."""
    return _picture(quick_embedded_thumbnail(path, max_side=max_side)) or _picture(
        thumbnail_jpeg(path, max_side=max_side)
    )


def decode_sharp(path: Path, size: QSize) -> Picture | None:
    """Runs in a pool thread: the photo decoded to fit `size` (never larger than the photo),
    with the JPEG decoder's own scaling, kept re-encoded as a JPEG of high quality. None if
    it cannot be read, or is no larger than `size` anyway (then the embedded thumbnail is
    as good)."""
    reader = QImageReader(str(path), b"jpeg")
    reader.setAutoTransform(False)  # panoramas are shown as stored
    full = reader.size()
    if not full.isValid() or full.width() * full.height() > MAX_SHARP_PIXELS:
        return None
    target = full.scaled(size, Qt.AspectRatioMode.KeepAspectRatio)
    if target.width() >= full.width() or target.width() <= 0 or target.height() <= 0:
        return None
    reader.setScaledSize(target)
    image = reader.read()
    if image.isNull():
        log.debug("no sharp thumbnail for %s: %s", path.name, reader.errorString())
        return None
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "JPG", SHARP_QUALITY):
        return None
    buffer.close()
    return Picture(data.data(), image.width(), image.height())


class _Batch(QRunnable):
    """Decodes a list of requests; hands back what it made in one call."""

    def __init__(
        self,
        work: list[tuple[Path, int]],
        decode: Callable[[Path], Picture | QImage | None],
        deliver: Callable[[list[Thumbnail]], None],
        *,
        sharp: bool = False,
        wanted: Callable[[int], bool] | None = None,
    ) -> None:
        super().__init__()
        self.work = work
        self._decode = decode
        self._deliver = deliver
        self._sharp = sharp
        self._wanted = wanted

    def run(self) -> None:
        made: list[Thumbnail] = []
        for path, stamp in self.work:
            if self._wanted is not None and not self._wanted(stamp):
                continue  # scrolled away before its turn: dropped
            try:
                image = self._decode(path)
            except Exception as exc:  # noqa: BLE001 - a preview is best effort
                log.warning("no thumbnail for %s: %s", path.name, exc)
                continue
            if image is not None and not image.isNull():
                made.append(Thumbnail(path, stamp, image, self._sharp))
        self._deliver(made)


class ThumbnailLoader(QObject):
    """Requests thumbnails and emits them on the GUI thread, in batches.

    Signals:
        loaded(list[Thumbnail]): each carries the stamp the requester passed (the model's
            row stamp), so a result whose row was removed meanwhile can be dropped.
    """

    loaded = Signal(list)
    _arrived = Signal(list)  # from pool threads; queued to the loader's (GUI) thread

    def __init__(self, parent: QObject | None = None, *, max_side: int = THUMBNAIL_SIDE) -> None:
        super().__init__(parent)
        self._max_side = max_side
        # Its own pool, so closing the window can wait for exactly these jobs.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max(2, min(4, QThread.idealThreadCount())))
        self._pending: list[tuple[Path, int]] = []
        self._start_timer = QTimer(self)
        self._start_timer.setSingleShot(True)
        self._start_timer.setInterval(0)
        self._start_timer.timeout.connect(self._start_pending)
        # Sharp decodes: the stamps of the tiles on screen (replaced whole, read by pool
        # threads: a job skips the rows no longer shown), and what was asked, so nothing is
        # asked twice.
        self._visible: frozenset[int] = frozenset()
        self._sharp_asked: dict[int, QSize] = {}
        self._closed = False  # shut down: no new jobs
        self._lock = threading.Lock()
        self._arrived.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def pool(self) -> QThreadPool:
        """Short jobs that read photo files (inspection of restored rows) share it."""
        return self._pool

    def request(self, path: Path, stamp: int) -> None:
        """The embedded thumbnail (or a small preview) of a new row."""
        if self._closed:
            return
        self._pending.append((path if isinstance(path, Path) else Path(path), stamp))
        if len(self._pending) >= BATCH:
            self._start_pending()
        elif not self._start_timer.isActive():
            self._start_timer.start()

    def request_many(self, rows: Iterable[tuple[Path, int]]) -> None:
        for path, stamp in rows:
            self.request(path, stamp)

    def keep_sharp(self, stamps: Iterable[int]) -> None:
        """The tiles on screen now: sharp requests for any other are dropped."""
        visible = frozenset(stamps)
        with self._lock:
            self._visible = visible
        for stamp in [s for s in self._sharp_asked if s not in visible]:
            del self._sharp_asked[stamp]  # asked again if it comes back on screen

    def request_sharp(self, rows: Iterable[tuple[Path, int]], size: QSize) -> int:
        """A sharper decode at `size` for these rows (tiles on screen, as told by keep_sharp
        too); rows already asked at that size are skipped. Returns how many were asked."""
        if self._closed:
            return 0
        work = [
            (Path(path), stamp)
            for path, stamp in rows
            if self._sharp_asked.get(stamp) != size and stamp in self._visible
        ]
        for _, stamp in work:
            self._sharp_asked[stamp] = QSize(size)
        target = QSize(size)
        for first in range(0, len(work), 4):  # small jobs: the on-screen ones come in soon
            job = _Batch(
                work[first : first + 4],
                lambda path: decode_sharp(path, target),
                self._arrived.emit,
                sharp=True,
                wanted=self._still_visible,
            )
            # Left to the pool to delete when done: a job kept for tryTake() is never freed
            # (PySide6 hands its ownership to the pool). A stale one decodes nothing.
            self._pool.start(job, priority=-1)  # after the embedded thumbnails
        return len(work)

    def _still_visible(self, stamp: int) -> bool:
        with self._lock:
            return stamp in self._visible

    @Slot()
    def _start_pending(self) -> None:
        self._start_timer.stop()
        pending, self._pending = self._pending, []
        max_side = self._max_side
        for first in range(0, len(pending), BATCH):
            self._pool.start(
                _Batch(
                    pending[first : first + BATCH],
                    lambda path: decode_thumbnail(path, max_side),
                    self._arrived.emit,
                )
            )

    @Slot(list)
    def _deliver(self, made: list[Thumbnail]) -> None:
        if made:
            self.loaded.emit(made)

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Drop jobs not started yet, wait for running ones, and take no new requests.

        Call it before the loader goes: a job holds the loader (through what it calls),
        and the last reference dropped on a pool thread would leave a queued delivery for
        a QObject whose Python side is gone (a crash when it is delivered)."""
        self._closed = True
        self._start_timer.stop()
        self._pending.clear()
        with self._lock:
            self._visible = frozenset()
        return stop_pool(self._pool, timeout_ms)  # inspections run_in_pool'd here too
