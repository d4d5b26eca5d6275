"""The upload queue as the window shows it: one typed row per queue item, custom roles.

The rows mirror the engine's queue (core.queue_store): the model is filled from the queue
file when the window opens and kept current by the engine's events, so what the window
shows is what survives a restart. A filter proxy narrows the grid to one kind of state.
"""

from __future__ import annotations

import itertools
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtGui import QImage

from thetadesk.core.inspection import Inspection
from thetadesk.core.queue_store import ItemState, QueueItem, printable_path
from thetadesk.gui.thumbnails import Picture, as_image

log = logging.getLogger(__name__)


def _as_path(path: Path | str) -> Path:
    return path if isinstance(path, Path) else Path(path)


AnyIndex = QModelIndex | QPersistentModelIndex


class UploadState(StrEnum):
    """What a tile says about a file: the queue state, told for people."""

    CHECKING = "checking"  # queued for checking, or being checked
    QUEUED = "queued"  # checked and uploadable: waits for a slot, the server or sign-in
    UPLOADING = "uploading"
    UPLOADED = "uploaded"
    FAILED = "failed"
    SKIPPED = "skipped"  # the same photo is already queued or uploaded
    HELD = "held"  # needs review: waits for "Upload anyway"
    PAUSED = "paused"
    REJECTED = "rejected"  # the check says it must not be sent
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self not in {
            UploadState.CHECKING,
            UploadState.QUEUED,
            UploadState.UPLOADING,
            UploadState.PAUSED,
        }


_STATE_FOR_ITEM = {
    ItemState.QUEUED: UploadState.CHECKING,
    ItemState.CHECKING: UploadState.CHECKING,
    ItemState.READY: UploadState.QUEUED,
    ItemState.UPLOADING: UploadState.UPLOADING,
    ItemState.UPLOADED: UploadState.UPLOADED,
    ItemState.FAILED: UploadState.FAILED,
    ItemState.SKIPPED: UploadState.SKIPPED,
    ItemState.HELD: UploadState.HELD,
    ItemState.PAUSED: UploadState.PAUSED,
    ItemState.CANCELLED: UploadState.CANCELLED,
}


def display_state(item: QueueItem) -> UploadState:
    if item.state is ItemState.FAILED and (
        item.verdict == "rejected"
        # needs_review refused by the settings (it was never approved)
        or (item.verdict == "needs_review" and not item.allow_review)
    ):
        return UploadState.REJECTED
    return _STATE_FOR_ITEM[item.state]


@dataclass(frozen=True)
class PhotoRow:
    """What the window knows about one queue item. Replaced, never mutated, on each change."""

    item: QueueItem
    stamp: int  # unique per row: thumbnails that arrive for a removed row are dropped
    inspection: Inspection | None = None  # from the engine's check, or read again at start
    thumbnail: Picture | QImage | None = None  # Picture: kept as its JPEG until painted
    sharp: bool = False  # the thumbnail is the photo's own reduced decode (not the EXIF one)
    sent: int = 0  # bytes of the upload under way
    total: int = 0
    waiting: str = ""  # why queued files are not moving (sign-in, server away), queue-wide
    # Grows with every replacement of the row: what the tile painted last is kept under it.
    version: int = field(default=0, compare=False)

    @property
    def path(self) -> Path:
        return self.item.path

    @property
    def item_id(self) -> int:
        return self.item.id

    # Worked out once per row (a row is replaced, never changed): counts, the filter and
    # the status bar ask for them for every row, several times a second in a big batch.
    @cached_property
    def state(self) -> UploadState:
        return display_state(self.item)

    @cached_property
    def verdict(self) -> str:
        """Verdict value ("ok", "needs_review"...), "" until checked."""
        if self.inspection is not None:
            return self.inspection.verdict.value
        return self.item.verdict or ""

    @property
    def progress(self) -> int:
        """Percent of the upload under way (100 once uploaded)."""
        if self.item.state is ItemState.UPLOADED:
            return 100
        if self.item.state is not ItemState.UPLOADING or self.total <= 0:
            return 0
        return min(100, self.sent * 100 // self.total)

    @property
    def reason(self) -> str:
        """Why the row is in its state: the queue's reason, or the queue-wide wait."""
        if self.state is UploadState.QUEUED:
            # A checked file keeps its verdict's reasons in `reason`; what matters while it
            # waits is why the queue waits, or the server errors it already had.
            if self.waiting:
                return self.waiting
            return self.item.reason if self.item.server_errors else ""
        return self.item.reason

    @property
    def photo_id(self) -> int | None:
        return self.item.photo_id

    @property
    def headline(self) -> str:
        if self.inspection is not None:
            return self.inspection.reasons[0] if self.inspection.reasons else ""
        return ""

    @property
    def tooltip(self) -> str:
        lines = [printable_path(self.path)]
        verdict = self.verdict
        if verdict:
            lines.append(f"Verdict: {verdict.replace('_', ' ')}")
        if self.inspection is not None:
            lines += [f"• {reason}" for reason in self.inspection.reasons]
        state = f"Upload: {self.state.value}"
        if self.state is UploadState.UPLOADED and self.photo_id is not None:
            state += f" (photo {self.photo_id})"
        elif self.state is UploadState.UPLOADING:
            state += f" {self.progress}%"
        if self.reason and not (
            self.inspection is not None and self.reason == "; ".join(self.inspection.reasons)
        ):
            state += f": {self.reason}"
        lines.append(state)
        return "\n".join(lines)


class PhotoRole(IntEnum):
    ROW = Qt.ItemDataRole.UserRole + 1  # the whole PhotoRow, for the delegate
    PATH = Qt.ItemDataRole.UserRole + 2
    INSPECTION = Qt.ItemDataRole.UserRole + 3
    VERDICT = Qt.ItemDataRole.UserRole + 4  # Verdict value as str, "" while checking
    HEADLINE = Qt.ItemDataRole.UserRole + 5
    THUMBNAIL = Qt.ItemDataRole.UserRole + 6
    STATE = Qt.ItemDataRole.UserRole + 7  # UploadState value as str
    PROGRESS = Qt.ItemDataRole.UserRole + 8
    REASON = Qt.ItemDataRole.UserRole + 9
    PHOTO_ID = Qt.ItemDataRole.UserRole + 10
    ITEM_ID = Qt.ItemDataRole.UserRole + 11  # the queue item's id


# Row versions are unique in the process, across models: a tile painted for one row is
# cached under its version, and no other model's row can be taken for it.
_versions = itertools.count(1)
_CHECKING_STATES = frozenset({ItemState.QUEUED, ItemState.CHECKING})
_ROLE_NAMES = {role.value: role.name.lower().encode() for role in PhotoRole}
_ITEM_ROLES = [
    PhotoRole.ROW,
    PhotoRole.STATE,
    PhotoRole.PROGRESS,
    PhotoRole.REASON,
    PhotoRole.PHOTO_ID,
    PhotoRole.VERDICT,
    Qt.ItemDataRole.ToolTipRole,
]
_PROGRESS_ROLES = [PhotoRole.ROW, PhotoRole.PROGRESS, Qt.ItemDataRole.ToolTipRole]


class PhotoModel(QAbstractListModel):
    """The queue items of one account, oldest first (by id).

    Changes are coalesced: each setter marks its row dirty and one `dataChanged(first, last,
    roles)` goes out per event-loop turn, so a burst of progress reports costs one repaint.
    An item that comes in again with an older `updated_at` than the row shows is ignored, so
    a snapshot read on another thread cannot undo a newer event.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[PhotoRow] = []
        self._position: dict[int, int] = {}  # item id → row
        self._by_path: dict[Path, int] = {}  # path → item id (unique within one account)
        self._removed: set[int] = set()  # ids the user removed: late events are ignored
        self._pending_inspections: dict[int, Inspection] = {}
        self._waiting = ""
        # States and verdicts counted as rows change (the status bar, filter and actions
        # ask for them several times a second while thousands of rows change).
        self._counts: Counter[UploadState] = Counter()
        self._verdicts: Counter[str] = Counter()
        self._next_stamp = 1
        self._dirty: set[int] = set()
        self._dirty_roles: set[int] = set()
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)
        self._flush_timer.timeout.connect(self.flush)

    # -- Qt model interface ----------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._rows)

    def roleNames(self) -> dict[int, bytes]:
        return {**super().roleNames(), **_ROLE_NAMES}

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.column() != 0 or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        match role:
            case Qt.ItemDataRole.DisplayRole:
                return row.path.name
            case Qt.ItemDataRole.ToolTipRole:
                return row.tooltip
            case Qt.ItemDataRole.DecorationRole:
                return as_image(row.thumbnail)
            case PhotoRole.ROW:
                return row
            case PhotoRole.PATH:
                return str(row.path)
            case PhotoRole.INSPECTION:
                return row.inspection
            case PhotoRole.VERDICT:
                return row.verdict
            case PhotoRole.HEADLINE:
                return row.headline
            case PhotoRole.THUMBNAIL:
                return as_image(row.thumbnail)
            case PhotoRole.STATE:
                return row.state.value
            case PhotoRole.PROGRESS:
                return row.progress
            case PhotoRole.REASON:
                return row.reason
            case PhotoRole.PHOTO_ID:
                return row.photo_id
            case PhotoRole.ITEM_ID:
                return row.item_id
        return None

    # -- reading ---------------------------------------------------------------------------

    @property
    def rows(self) -> tuple[PhotoRow, ...]:
        return tuple(self._rows)

    def row_for(self, path: Path) -> PhotoRow | None:
        item_id = self._by_path.get(_as_path(path))
        return None if item_id is None else self.row_by_id(item_id)

    def row_by_id(self, item_id: int) -> PhotoRow | None:
        position = self._position.get(item_id)
        return None if position is None else self._rows[position]

    def index_of(self, item_id: int) -> QModelIndex:
        position = self._position.get(item_id)
        return QModelIndex() if position is None else self.index(position)

    def ids_in_state(self, *states: UploadState) -> list[int]:
        return [row.item_id for row in self._rows if row.state in states]

    def paths_in_state(self, *states: UploadState) -> list[Path]:
        return [row.path for row in self._rows if row.state in states]

    def counts(self) -> Counter[UploadState]:
        return +self._counts  # a copy, without zero counts

    def summary(self) -> str:
        """One line for the status bar, e.g. '6 files: 2 ok, 1 rejected · 2 uploaded'."""
        if not self._rows:
            return "Drop THETA photos or folders here, or use Add Photos…"
        verdicts = self._verdicts
        states = self._counts
        count = len(self._rows)
        parts = [
            f"{verdicts[name]} {name.replace('_', ' ')}"
            for name in ("ok", "warning", "needs_review", "rejected")
            if verdicts[name]
        ]
        if states[UploadState.CHECKING]:
            parts.append(f"{states[UploadState.CHECKING]} checking")
        text = f"{count} file{'s' if count != 1 else ''}: " + ", ".join(parts)
        progress = [
            f"{states[state]} {label}"
            for state, label in (
                (UploadState.UPLOADED, "uploaded"),
                (UploadState.UPLOADING, "uploading"),
                (UploadState.QUEUED, "queued"),
                (UploadState.PAUSED, "paused"),
                (UploadState.FAILED, "failed"),
                (UploadState.SKIPPED, "duplicate"),
                (UploadState.CANCELLED, "cancelled"),
            )
            if states[state]
        ]
        return text + (" · " + ", ".join(progress) if progress else "")

    # -- changing --------------------------------------------------------------------------

    def reset_items(self, items: Sequence[QueueItem]) -> list[PhotoRow]:
        """Show exactly these items (another account's queue, or the queue file at start)."""
        self.beginResetModel()
        self._rows = []
        self._counts = Counter()
        self._verdicts = Counter()
        self._position = {}
        self._by_path = {}
        self._removed = set()
        self._pending_inspections = {}
        self._dirty.clear()
        self._dirty_roles.clear()
        for item in sorted(items, key=lambda i: i.id):
            self._append(item)
        self.endResetModel()
        return list(self._rows)

    def apply_items(self, items: Iterable[QueueItem]) -> list[PhotoRow]:
        """Insert new items, update known ones; return the rows that were inserted."""
        new: dict[int, QueueItem] = {}
        for item in items:
            if item.id in self._removed:
                continue
            position = self._position.get(item.id)
            if position is None:
                if item.id not in new or item.updated_at >= new[item.id].updated_at:
                    new[item.id] = item
                continue
            row = self._rows[position]
            if item.updated_at < row.item.updated_at or item == row.item:
                continue  # an older snapshot than what is shown, or the same one
            changes: dict[str, Any] = {"item": item}
            if item.state is not ItemState.UPLOADING:
                changes.update(sent=0, total=0)
            if item.state in _CHECKING_STATES and item.sha256 is None:
                changes["inspection"] = None  # changed on disk: checked again
            elif item.state not in _CHECKING_STATES and item.id in self._pending_inspections:
                changes["inspection"] = self._pending_inspections.pop(item.id)
            self._replace(
                position, [*_ITEM_ROLES, PhotoRole.HEADLINE, PhotoRole.INSPECTION], **changes
            )
        if not new:
            return []
        inserted: list[PhotoRow] = []
        # Ids only grow, so new items go at the end; keep the order by id among themselves.
        ordered = sorted(new.values(), key=lambda i: i.id)
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(ordered) - 1)
        for item in ordered:
            inserted.append(self._append(item))
        self.endInsertRows()
        return inserted

    def remove_ids(self, item_ids: Iterable[int]) -> None:
        doomed = sorted({self._position[i] for i in item_ids if i in self._position}, reverse=True)
        if not doomed:
            return
        # One beginRemoveRows per contiguous run, from the bottom up, so indexes stay valid.
        runs: list[tuple[int, int]] = []
        for position in doomed:
            if runs and runs[-1][0] == position + 1:
                runs[-1] = (position, runs[-1][1])
            else:
                runs.append((position, position))
        for first, last in runs:
            self.beginRemoveRows(QModelIndex(), first, last)
            for row in self._rows[first : last + 1]:
                self._count(row, -1)
                self._removed.add(row.item_id)
                self._pending_inspections.pop(row.item_id, None)
                self._dirty.discard(row.item_id)
                self._by_path.pop(row.path, None)
            del self._rows[first : last + 1]
            self.endRemoveRows()
        self._position = {row.item_id: i for i, row in enumerate(self._rows)}

    def forget_removed(self, item_ids: Iterable[int]) -> None:
        """Those ids may show again (the file was dropped again and got a new row)."""
        self._removed.difference_update(item_ids)

    def set_inspection(self, path: Path, inspection: Inspection) -> None:
        """The full inspection of a row's file. While the row is still being checked it is
        kept until the check's result arrives, so verdict and state change together."""
        item_id = self._by_path.get(_as_path(path))
        if item_id is None:
            return
        if self._rows[self._position[item_id]].item.state in _CHECKING_STATES:
            self._pending_inspections[item_id] = inspection
            return
        self._replace(
            self._position[item_id],
            [
                PhotoRole.INSPECTION,
                PhotoRole.VERDICT,
                PhotoRole.HEADLINE,
                PhotoRole.ROW,
                Qt.ItemDataRole.ToolTipRole,
            ],
            inspection=inspection,
        )

    def set_thumbnail(self, path: Path, stamp: int, image: Picture | QImage) -> bool:
        """Store a thumbnail unless its row was removed (and maybe re-added) since."""
        row = self.row_for(path)
        if row is None or row.stamp != stamp:
            log.debug("dropping a stale thumbnail for %s", Path(path).name)
            return False
        self._replace(
            self._position[row.item_id],
            [PhotoRole.THUMBNAIL, PhotoRole.ROW, Qt.ItemDataRole.DecorationRole],
            thumbnail=image,
        )
        return True

    def set_thumbnails(self, thumbnails: Iterable[Any]) -> int:
        """Store a batch of decoded thumbnails (objects with path, stamp, image and sharp),
        as one change. A result for a row removed since is dropped, and so is an EXIF
        thumbnail that would replace a sharp decode. Returns how many were stored."""
        _roles = [PhotoRole.THUMBNAIL, PhotoRole.ROW, Qt.ItemDataRole.DecorationRole]
        stored = 0
        for thumbnail in thumbnails:
            row = self.row_for(thumbnail.path)
            if row is None or row.stamp != thumbnail.stamp:
                continue  # its row was removed (and maybe added again) since
            if row.sharp and not thumbnail.sharp:
                continue
            self._replace(
                self._position[row.item_id],
                _roles,
                thumbnail=thumbnail.image,
                sharp=thumbnail.sharp,
            )
            stored += 1
        return stored

    def set_progress(self, item_id: int, sent: int, total: int) -> None:
        position = self._position.get(item_id)
        if position is None or self._rows[position].item.state is not ItemState.UPLOADING:
            return  # finished (or removed) before its last progress report arrived
        self._replace(position, _PROGRESS_ROLES, sent=sent, total=total)

    def set_waiting(self, text: str) -> None:
        """Why queued files wait, for all of them ("waiting for sign-in"...); "" when not."""
        if text == self._waiting:
            return
        self._waiting = text
        for position, row in enumerate(self._rows):
            queued = row.state is UploadState.QUEUED
            # Only a queued row shows why the queue waits: the others keep their version,
            # so their tiles keep their cached pictures instead of all being painted again.
            self._rows[position] = replace(
                row, waiting=text, version=self._bump() if queued else row.version
            )
            if queued:
                self._mark(
                    row.item_id, [PhotoRole.REASON, PhotoRole.ROW, Qt.ItemDataRole.ToolTipRole]
                )

    @property
    def waiting(self) -> str:
        return self._waiting

    @staticmethod
    def _bump() -> int:
        return next(_versions)

    def _count(self, row: PhotoRow, sign: int) -> None:
        self._counts[row.state] += sign
        verdict = row.verdict
        if verdict:
            self._verdicts[verdict] += sign

    def _append(self, item: QueueItem) -> PhotoRow:
        row = PhotoRow(
            item=item, stamp=self._next_stamp, waiting=self._waiting, version=self._bump()
        )
        self._count(row, +1)
        self._next_stamp += 1
        self._position[item.id] = len(self._rows)
        self._by_path[item.path] = item.id
        self._rows.append(row)
        return row

    def _replace(self, position: int, roles: Iterable[int], **changes: Any) -> None:
        before = self._rows[position]
        row = replace(before, **changes, version=self._bump())
        self._count(before, -1)
        self._count(row, +1)
        self._rows[position] = row
        self._mark(row.item_id, roles)

    def _mark(self, item_id: int, roles: Iterable[int]) -> None:
        self._dirty.add(item_id)
        self._dirty_roles.update(int(r) for r in roles)
        self._dirty_roles.add(PhotoRole.ROW)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def flush(self) -> None:
        """Emit one dataChanged for everything changed since the last flush."""
        self._flush_timer.stop()
        positions = [self._position[i] for i in self._dirty if i in self._position]
        roles = sorted(self._dirty_roles)
        self._dirty.clear()
        self._dirty_roles.clear()
        if positions:
            self.dataChanged.emit(self.index(min(positions)), self.index(max(positions)), roles)


class StatusFilter(StrEnum):
    """The filter choices above the grid."""

    ALL = "All"
    WAITING = "Waiting"
    UPLOADING = "Uploading"
    UPLOADED = "Uploaded"
    FAILED = "Failed"
    HELD = "Held for review"
    SKIPPED = "Duplicates"
    REJECTED = "Not uploadable"
    CANCELLED = "Cancelled"

    @property
    def states(self) -> frozenset[UploadState]:
        return _FILTER_STATES[self]


_FILTER_STATES: dict[StatusFilter, frozenset[UploadState]] = {
    StatusFilter.ALL: frozenset(UploadState),
    StatusFilter.WAITING: frozenset({UploadState.CHECKING, UploadState.QUEUED, UploadState.PAUSED}),
    StatusFilter.UPLOADING: frozenset({UploadState.UPLOADING}),
    StatusFilter.UPLOADED: frozenset({UploadState.UPLOADED}),
    StatusFilter.FAILED: frozenset({UploadState.FAILED}),
    StatusFilter.HELD: frozenset({UploadState.HELD}),
    StatusFilter.SKIPPED: frozenset({UploadState.SKIPPED}),
    StatusFilter.REJECTED: frozenset({UploadState.REJECTED}),
    StatusFilter.CANCELLED: frozenset({UploadState.CANCELLED}),
}


class PhotoFilterModel(QSortFilterProxyModel):
    """The grid's view of the PhotoModel: only rows whose state the chosen filter shows.

    Under a filter, rows re-filter as their state changes (dynamic filtering on the STATE
    role). "All" keeps every row whatever its state, so dynamic filtering is off then: it
    would call filterAcceptsRow (Python, taking the GIL back from the check and thumbnail
    threads each time) for every row of every coalesced dataChanged, which during a
    2,000-file drop stalled the GUI thread for 14-120 ms a flush.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._filter = StatusFilter.ALL
        self.setFilterRole(PhotoRole.STATE)
        self.setDynamicSortFilter(False)

    @property
    def status_filter(self) -> StatusFilter:
        return self._filter

    def set_status_filter(self, choice: StatusFilter) -> None:
        if choice is self._filter:
            return
        self.setDynamicSortFilter(choice is not StatusFilter.ALL)
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+; invalidateRowsFilter before
            self.beginFilterChange()
            self._filter = choice
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self._filter = choice
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: AnyIndex) -> bool:
        if self._filter is StatusFilter.ALL:
            return True
        source = self.sourceModel()
        if source is None:
            return False
        state = source.index(source_row, 0, source_parent).data(PhotoRole.STATE)
        return UploadState(state) in self._filter.states if state else False
