"""The list of photos in the window: one typed row per file, exposed through custom roles."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QImage

from thetadesk.core.inspection import Inspection
from thetadesk.core.uploader import UploadResult, UploadStatus

log = logging.getLogger(__name__)

AnyIndex = QModelIndex | QPersistentModelIndex


class UploadState(StrEnum):
    CHECKING = "checking"
    QUEUED = "queued"
    UPLOADING = "uploading"
    UPLOADED = "uploaded"
    FAILED = "failed"
    HELD = "held"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self not in {UploadState.CHECKING, UploadState.QUEUED, UploadState.UPLOADING}


_STATE_FOR_RESULT = {
    UploadStatus.UPLOADED: UploadState.UPLOADED,
    UploadStatus.FAILED: UploadState.FAILED,
    UploadStatus.HELD: UploadState.HELD,
    UploadStatus.REJECTED: UploadState.REJECTED,
    UploadStatus.CANCELLED: UploadState.CANCELLED,
}


@dataclass(frozen=True)
class PhotoRow:
    """What the window knows about one file. Replaced, never mutated, on each change."""

    path: Path
    stamp: int  # unique per row: thumbnails that arrive for a removed row are dropped
    inspection: Inspection | None = None  # None while the worker is still checking
    thumbnail: QImage | None = None
    state: UploadState = UploadState.CHECKING
    progress: int = 0  # percent
    reason: str = ""  # why the upload state is what it is (failure, waiting...)
    photo_id: int | None = None

    @property
    def headline(self) -> str:
        if self.inspection is None or not self.inspection.reasons:
            return ""
        return self.inspection.reasons[0]

    @property
    def tooltip(self) -> str:
        lines = [str(self.path)]
        if self.inspection is not None:
            lines.append(f"Verdict: {self.inspection.verdict.value.replace('_', ' ')}")
            lines += [f"• {reason}" for reason in self.inspection.reasons]
        state = f"Upload: {self.state.value}"
        if self.state is UploadState.UPLOADED and self.photo_id is not None:
            state += f" (photo {self.photo_id})"
        if self.reason:
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


_ROLE_NAMES = {role.value: role.name.lower().encode() for role in PhotoRole}
_UPLOAD_ROLES = [PhotoRole.ROW, PhotoRole.STATE, PhotoRole.PROGRESS, PhotoRole.REASON]


class PhotoModel(QAbstractListModel):
    """Rows in the order files were added. Adding a path that is already listed is ignored.

    Changes are coalesced: each setter marks its row dirty and one `dataChanged(first, last,
    roles)` goes out per event-loop turn, so a burst of progress reports costs one repaint.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[PhotoRow] = []
        self._row_of: dict[Path, int] = {}
        self._next_stamp = 1
        self._dirty: set[Path] = set()
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
                return row.thumbnail
            case PhotoRole.ROW:
                return row
            case PhotoRole.PATH:
                return str(row.path)
            case PhotoRole.INSPECTION:
                return row.inspection
            case PhotoRole.VERDICT:
                return row.inspection.verdict.value if row.inspection else ""
            case PhotoRole.HEADLINE:
                return row.headline
            case PhotoRole.THUMBNAIL:
                return row.thumbnail
            case PhotoRole.STATE:
                return row.state.value
            case PhotoRole.PROGRESS:
                return row.progress
            case PhotoRole.REASON:
                return row.reason
            case PhotoRole.PHOTO_ID:
                return row.photo_id
        return None

    # -- reading ---------------------------------------------------------------------------

    @property
    def rows(self) -> tuple[PhotoRow, ...]:
        return tuple(self._rows)

    def row_for(self, path: Path) -> PhotoRow | None:
        position = self._row_of.get(Path(path))
        return None if position is None else self._rows[position]

    def paths_in_state(self, *states: UploadState) -> list[Path]:
        return [row.path for row in self._rows if row.state in states]

    def summary(self) -> str:
        """One line for the status bar, e.g. '6 files: 2 ok, 1 rejected · 2 uploaded'."""
        if not self._rows:
            return "Drop THETA photos or folders here, or use Add Photos…"
        verdicts = Counter(row.inspection.verdict.value for row in self._rows if row.inspection)
        states = Counter(row.state for row in self._rows)
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
            f"{states[state]} {state.value}"
            for state in (
                UploadState.UPLOADED,
                UploadState.UPLOADING,
                UploadState.QUEUED,
                UploadState.FAILED,
                UploadState.CANCELLED,
            )
            if states[state]
        ]
        return text + (" · " + ", ".join(progress) if progress else "")

    # -- changing --------------------------------------------------------------------------

    def add_paths(self, paths: Iterable[Path]) -> list[Path]:
        """Append rows for paths not listed yet; return those new paths, in order."""
        new: list[Path] = []
        seen = set(self._row_of)
        for path in map(Path, paths):
            if path not in seen:
                seen.add(path)
                new.append(path)
        if not new:
            return []
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        for path in new:
            self._row_of[path] = len(self._rows)
            self._rows.append(PhotoRow(path=path, stamp=self._next_stamp))
            self._next_stamp += 1
        self.endInsertRows()
        return new

    def remove_paths(self, paths: Iterable[Path]) -> None:
        doomed = {self._row_of[p] for p in map(Path, paths) if p in self._row_of}
        # Remove from the bottom up, one contiguous run at a time, so indexes stay valid.
        for position in sorted(doomed, reverse=True):
            self.beginRemoveRows(QModelIndex(), position, position)
            removed = self._rows.pop(position)
            self._dirty.discard(removed.path)
            self.endRemoveRows()
        if doomed:
            self._row_of = {row.path: i for i, row in enumerate(self._rows)}

    def remove_finished(self) -> None:
        self.remove_paths(row.path for row in self._rows if row.state.is_final)

    def set_inspection(
        self, path: Path, inspection: Inspection, state: UploadState, reason: str = ""
    ) -> None:
        self._update(
            path,
            [
                PhotoRole.INSPECTION,
                PhotoRole.VERDICT,
                PhotoRole.HEADLINE,
                Qt.ItemDataRole.ToolTipRole,
                *_UPLOAD_ROLES,
            ],
            inspection=inspection,
            state=state,
            reason=reason,
        )

    def set_thumbnail(self, path: Path, stamp: int, image: QImage) -> bool:
        """Store a decoded thumbnail unless its row was removed (and maybe re-added) since."""
        row = self.row_for(path)
        if row is None or row.stamp != stamp:
            log.debug("dropping a stale thumbnail for %s", Path(path).name)
            return False
        self._update(
            path,
            [PhotoRole.THUMBNAIL, PhotoRole.ROW, Qt.ItemDataRole.DecorationRole],
            thumbnail=image,
        )
        return True

    def set_state(self, path: Path, state: UploadState, reason: str = "") -> None:
        progress = 100 if state is UploadState.UPLOADED else 0
        roles = [*_UPLOAD_ROLES, Qt.ItemDataRole.ToolTipRole]
        self._update(path, roles, state=state, reason=reason, progress=progress)

    def set_progress(self, path: Path, sent: int, total: int) -> None:
        percent = min(100, sent * 100 // total) if total > 0 else 0
        self._update(path, _UPLOAD_ROLES, state=UploadState.UPLOADING, progress=percent)

    def apply_result(self, result: UploadResult) -> None:
        state = _STATE_FOR_RESULT[result.status]
        photo_id = result.photo.get("id")
        self._update(
            result.path,
            [*_UPLOAD_ROLES, PhotoRole.PHOTO_ID, Qt.ItemDataRole.ToolTipRole],
            state=state,
            reason=result.reason,
            progress=100 if state is UploadState.UPLOADED else 0,
            photo_id=photo_id if isinstance(photo_id, int) else None,
        )

    def _update(self, path: Path, roles: Iterable[int], **changes: Any) -> None:
        path = Path(path)
        position = self._row_of.get(path)
        if position is None:
            return  # removed while the worker was busy with it
        self._rows[position] = replace(self._rows[position], **changes)
        self._dirty.add(path)
        self._dirty_roles.update(int(r) for r in roles)
        self._dirty_roles.add(PhotoRole.ROW)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def flush(self) -> None:
        """Emit one dataChanged for everything changed since the last flush."""
        self._flush_timer.stop()
        positions = [self._row_of[p] for p in self._dirty if p in self._row_of]
        roles = sorted(self._dirty_roles)
        self._dirty.clear()
        self._dirty_roles.clear()
        if positions:
            self.dataChanged.emit(self.index(min(positions)), self.index(max(positions)), roles)
