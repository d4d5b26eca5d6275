"""The overall progress of a batch of uploads: bytes, speed and time left.

Plain Python (no Qt), fed with the model's rows after each batch of engine events. A batch
starts when files are waiting to be sent and ends when none is left; uploads finished
within it count towards its bytes. Speed is measured over the last few seconds of bytes
actually sent, so an upload that starts over (pause, network trouble) does not count twice.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from thetadesk.gui.photo_model import PhotoRow, UploadState

_PENDING = {UploadState.QUEUED, UploadState.UPLOADING, UploadState.PAUSED}
_COUNTED = _PENDING | {UploadState.UPLOADED}


@dataclass(frozen=True)
class Transfer:
    """One reading of the batch."""

    active: bool = False
    files_done: int = 0
    files_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    speed: float | None = None  # bytes per second, None until measured
    seconds_left: float | None = None

    @property
    def fraction(self) -> float:
        return self.bytes_done / self.bytes_total if self.bytes_total else 0.0

    def describe(self) -> str:
        """e.g. '3 of 8 photos · 12.4 of 40.2 MB · 2.1 MB/s · about 15 s left'."""
        if not self.active:
            return ""
        parts = [
            f"{self.files_done} of {self.files_total} photo{'s' if self.files_total != 1 else ''}",
            f"{format_bytes(self.bytes_done, self.bytes_total, unit=False)} of "
            f"{format_bytes(self.bytes_total)}",
        ]
        if self.speed:
            parts.append(f"{format_bytes(self.speed)}/s")
        if self.seconds_left is not None:
            parts.append(f"about {format_duration(self.seconds_left)} left")
        return " · ".join(parts)


def format_bytes(value: float, scale_like: float | None = None, *, unit: bool = True) -> str:
    """1.2 MB, 640.0 KB, 12 B; with `scale_like`, in that value's unit (for '4.0 of 20.0 MB')."""
    reference = value if scale_like is None else scale_like
    for name, size in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if reference >= size:
            return f"{value / size:.1f}" + (f" {name}" if unit else "")
    return f"{value:.0f}" + (" B" if unit else "")


def format_duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class TransferMeter:
    def __init__(
        self, *, window_seconds: float = 8.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._window = window_seconds
        self._clock = clock
        self._batch: set[int] = set()  # item ids in the current batch
        self._sent: dict[int, int] = {}  # bytes seen so far for each item's current attempt
        self._samples: deque[tuple[float, int]] = deque()  # (time, bytes newly sent)
        self._started = 0.0

    def update(self, rows: Iterable[PhotoRow]) -> Transfer:
        now = self._clock()
        rows = list(rows)
        pending = [row for row in rows if row.state in _PENDING]
        if not pending:
            self._batch.clear()
            self._sent.clear()
            self._samples.clear()
            return Transfer()
        if not self._batch:
            self._started = now
        self._batch.update(row.item_id for row in pending)
        counted = [row for row in rows if row.item_id in self._batch and row.state in _COUNTED]
        done = total = files_done = 0
        new_bytes = 0
        for row in counted:
            size = row.item.size or row.total or 0
            total += size
            if row.state is UploadState.UPLOADED:
                files_done += 1
                done += size
                sent_now = size
            elif row.state is UploadState.UPLOADING:
                sent_now = min(row.sent, size) if size else row.sent
                done += sent_now
            else:
                sent_now = 0
            before = self._sent.get(row.item_id, 0)
            if sent_now > before:
                new_bytes += sent_now - before
            self._sent[row.item_id] = sent_now
        if new_bytes:
            self._samples.append((now, new_bytes))
        while self._samples and now - self._samples[0][0] > self._window:
            self._samples.popleft()
        speed = None
        span = min(self._window, now - self._started)
        if self._samples and span >= 1.0:
            speed = sum(n for _, n in self._samples) / span
        left = (total - done) / speed if speed else None
        return Transfer(
            active=True,
            files_done=files_done,
            files_total=len(counted),
            bytes_done=done,
            bytes_total=total,
            speed=speed,
            seconds_left=left,
        )
