"""The Library: the photos already on the server (GET /api/user-photo/), with thumbnails.

Listing, deleting and thumbnail downloads run on pool threads; their results come back to
the GUI thread as data, stamped with the listing's generation so an answer to an older
listing is dropped. Thumbnails come from each photo's `thumb_url` when the server gives one
(the reference server does; others may not: the tile then has none). The original's link is
signed and expires on the demo server, so "Open Original" lists again for a fresh one
rather than using a kept link.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QThreadPool,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QPainter,
    QPalette,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from thetadesk.core.api import Image360Client
from thetadesk.core.errors import ApiError, SignInRequired
from thetadesk.core.tokens import NoAuth
from thetadesk.gui import confirm, desktop
from thetadesk.gui.background import Outcome, run_in_pool, stop_pool
from thetadesk.gui.transfer import format_bytes

if TYPE_CHECKING:  # loaded with the first request, not with the window
    import requests

log = logging.getLogger(__name__)

AnyIndex = QModelIndex | QPersistentModelIndex
THUMB_MAX_BYTES = 4_000_000
THUMB_TIMEOUT = (10.0, 30.0)
THUMB_SIZE = QSize(256, 128)
REFRESH_DELAY_MS = 800  # uploads finishing close together cause one listing


@dataclass(frozen=True)
class LibraryPhoto:
    """One photo on the server, as the list answer describes it."""

    id: int
    title: str
    camera_model: str = ""
    date_taken: str = ""
    category: str = ""
    size_bytes: int | None = None
    width: int | None = None
    height: int | None = None
    image: str = ""  # a signed, expiring link to the original on some servers
    thumb_url: str = ""
    is_public: bool | None = None
    thumbnail: QImage | None = None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> LibraryPhoto | None:
        photo_id = data.get("id")
        if not isinstance(photo_id, int) or isinstance(photo_id, bool):
            return None

        def text(key: str) -> str:
            value = data.get(key)
            return value if isinstance(value, str) else ""

        def number(key: str) -> int | None:
            value = data.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        public = data.get("is_public")
        return cls(
            id=photo_id,
            # The demo server's clients read `name`; the real field is probably `title`.
            title=text("title") or text("name") or f"Photo {photo_id}",
            camera_model=text("camera_model"),
            date_taken=text("date_taken"),
            category=text("category"),
            size_bytes=number("size_bytes"),
            width=number("width"),
            height=number("height"),
            image=text("image"),
            thumb_url=text("thumb_url"),
            is_public=public if isinstance(public, bool) else None,
        )

    @property
    def subtitle(self) -> str:
        parts = [f"THETA {self.camera_model}" if self.camera_model else ""]
        parts.append(self.date_taken)
        if self.size_bytes:
            parts.append(format_bytes(self.size_bytes))
        if self.is_public is False:
            parts.append("private")
        return " · ".join(p for p in parts if p)

    @property
    def tooltip(self) -> str:
        lines = [self.title, f"id {self.id}"]
        if self.width and self.height:
            lines.append(f"{self.width}×{self.height}")
        if self.subtitle:
            lines.append(self.subtitle)
        return "\n".join(lines)


class LibraryRole(IntEnum):
    PHOTO = Qt.ItemDataRole.UserRole + 1
    PHOTO_ID = Qt.ItemDataRole.UserRole + 2


class LibraryModel(QAbstractListModel):
    """The server's photos, newest first as the server lists them."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._photos: list[LibraryPhoto] = []

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self._photos)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._photos):
            return None
        photo = self._photos[index.row()]
        match role:
            case Qt.ItemDataRole.DisplayRole:
                return f"{photo.title}\n{photo.subtitle}" if photo.subtitle else photo.title
            case Qt.ItemDataRole.ToolTipRole:
                return photo.tooltip
            case Qt.ItemDataRole.DecorationRole:
                return photo.thumbnail
            case LibraryRole.PHOTO:
                return photo
            case LibraryRole.PHOTO_ID:
                return photo.id
        return None

    @property
    def photos(self) -> tuple[LibraryPhoto, ...]:
        return tuple(self._photos)

    def set_photos(self, photos: Sequence[LibraryPhoto]) -> None:
        """Replace the list, keeping thumbnails already downloaded for the same photo."""
        kept = {p.id: p.thumbnail for p in self._photos if p.thumbnail is not None}
        self.beginResetModel()
        self._photos = [replace(p, thumbnail=kept.get(p.id)) for p in photos]
        self.endResetModel()

    def remove_photo(self, photo_id: int) -> None:
        for position, photo in enumerate(self._photos):
            if photo.id == photo_id:
                self.beginRemoveRows(QModelIndex(), position, position)
                del self._photos[position]
                self.endRemoveRows()
                return

    def set_thumbnail(self, photo_id: int, image: QImage) -> None:
        for position, photo in enumerate(self._photos):
            if photo.id == photo_id:
                self._photos[position] = replace(photo, thumbnail=image)
                index = self.index(position)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
                return


def download_thumbnail(session: requests.Session, url: str, max_side: int = 512) -> QImage:
    """Runs in a pool thread: the preview's bytes as a QImage (never a QPixmap here).

    No credentials go with it (NoAuth: not even a ~/.netrc entry); previews are plain or
    signed links, possibly on another host (object storage).
    """
    with session.get(url, auth=NoAuth(), timeout=THUMB_TIMEOUT, stream=True) as response:
        response.raise_for_status()
        data = bytearray()
        for chunk in response.iter_content(64 * 1024):
            data += chunk
            if len(data) > THUMB_MAX_BYTES:
                raise ValueError("the preview is larger than a preview should be")
    image = QImage.fromData(bytes(data))
    if not image.isNull() and max(image.width(), image.height()) > max_side:
        image = image.scaled(
            max_side,
            max_side,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    return image


class LibraryDelegate(QStyledItemDelegate):
    """A library tile: the preview (2:1), the title, and camera · date · size below."""

    PADDING = 8

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        line = QFontMetrics(option.font).height() + 2
        return QSize(
            THUMB_SIZE.width() + 2 * self.PADDING,
            THUMB_SIZE.height() + 2 * line + 3 * self.PADDING,
        )

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        photo = index.data(LibraryRole.PHOTO)
        if not isinstance(photo, LibraryPhoto):
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawPrimitive(
            QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget
        )
        palette = option.palette
        inner = option.rect.adjusted(self.PADDING, self.PADDING, -self.PADDING, -self.PADDING)
        thumb = QRect(inner.left(), inner.top(), inner.width(), THUMB_SIZE.height())
        image = photo.thumbnail
        if image is None or image.isNull():
            painter.fillRect(thumb, palette.color(QPalette.ColorRole.AlternateBase))
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            text = "no preview" if not photo.thumb_url else "…"
            painter.drawText(thumb, Qt.AlignmentFlag.AlignCenter, text)
        else:
            size = image.size().scaled(thumb.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(thumb.center())
            painter.drawImage(target, image)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_color = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        line = QFontMetrics(option.font).height() + 2
        bold = QFont(option.font)
        bold.setBold(True)
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        title_rect = QRect(inner.left(), thumb.bottom() + self.PADDING, inner.width(), line)
        painter.setFont(bold)
        painter.setPen(text_color)
        title = QFontMetrics(bold).elidedText(
            photo.title, Qt.TextElideMode.ElideRight, inner.width()
        )
        painter.drawText(title_rect, left, title)
        muted = QColor(text_color)
        muted.setAlphaF(0.7)
        painter.setFont(option.font)
        painter.setPen(muted)
        subtitle = QFontMetrics(option.font).elidedText(
            photo.subtitle, Qt.TextElideMode.ElideRight, inner.width()
        )
        painter.drawText(title_rect.translated(0, line), left, subtitle)
        painter.restore()


class LibraryView(QWidget):
    """The Library tab.

    Signals:
        loaded(int): a listing arrived with this many photos.
        deleted(int): the server deleted this photo id.
        signInNeeded(str): the server wants a new sign-in.
    """

    loaded = Signal(int)
    deleted = Signal(int)
    signInNeeded = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client: Image360Client | None = None
        self.model = LibraryModel(self)
        self._generation = 0
        self._loading = False
        self.ever_loaded = False
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(3)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self.refresh)

        self.list = QListView()
        self.list.setObjectName("libraryList")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setSpacing(6)
        self.list.setUniformItemSizes(True)
        self.list.setItemDelegate(LibraryDelegate(self.list))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setModel(self.model)
        self.list.doubleClicked.connect(lambda _index: self.open_selected())
        self.list.selectionModel().selectionChanged.connect(self._update_buttons)

        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.open_button = QPushButton("Open Original")
        self.open_button.clicked.connect(self.open_selected)
        self.delete_button = QPushButton("Delete…")
        self.delete_button.clicked.connect(self.delete_selected)
        self.status = QLabel()
        self.status.setObjectName("libraryStatus")
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        for button in (self.refresh_button, self.open_button, self.delete_button):
            top.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        self.set_client(None)

    # -- state -----------------------------------------------------------------------------

    def set_client(self, client: Image360Client | None) -> None:
        """The signed-in client to list with (None: signed out)."""
        changed = client is not self.client
        self.client = client
        if changed:
            self._generation += 1
            self._loading = False
            self.model.set_photos([])
            self.ever_loaded = False
        if client is None:
            self.status.setText("Sign in to see the photos on the server.")
        elif changed:
            self.status.setText("")
        self._update_buttons()

    def selected_photos(self) -> list[LibraryPhoto]:
        rows = self.list.selectionModel().selectedIndexes()
        photos = [index.data(LibraryRole.PHOTO) for index in rows]
        return [p for p in photos if isinstance(p, LibraryPhoto)]

    def select_photo(self, photo_id: int) -> bool:
        for position, photo in enumerate(self.model.photos):
            if photo.id == photo_id:
                self.list.setCurrentIndex(self.model.index(position))
                return True
        return False

    def _update_buttons(self, *_: object) -> None:
        signed_in = self.client is not None
        selected = bool(self.selected_photos())
        self.refresh_button.setEnabled(signed_in)
        self.open_button.setEnabled(signed_in and len(self.selected_photos()) == 1)
        self.delete_button.setEnabled(signed_in and selected)

    # -- listing ---------------------------------------------------------------------------

    def refresh_soon(self) -> None:
        """An upload finished: list again shortly (several uploads, one listing)."""
        if self.client is not None and self.ever_loaded:
            self._refresh_timer.start()

    def refresh(self) -> None:
        client = self.client
        if client is None:
            return
        self._refresh_timer.stop()
        self._generation += 1
        generation = self._generation
        self._loading = True
        self.status.setText("Listing the photos on the server…")

        def done(outcome: Outcome[list[dict[str, Any]]]) -> None:
            if generation != self._generation:
                return  # a newer listing (or another account) is on its way
            self._loading = False
            if outcome.error is not None:
                self._show_error("Could not list the photos", outcome.error)
                return
            photos = [p for p in map(LibraryPhoto.from_api, outcome.value or []) if p]
            self.model.set_photos(photos)
            self.ever_loaded = True
            count = len(photos)
            where = client.base_url.rstrip("/")
            self.status.setText(f"{count} photo{'s' if count != 1 else ''} on {where}")
            self._update_buttons()
            for photo in photos:
                if photo.thumb_url and photo.thumbnail is None:
                    self._fetch_thumbnail(client, photo, generation)
            self.loaded.emit(count)

        run_in_pool(client.list_photos, self, done, pool=self._pool)

    @property
    def loading(self) -> bool:
        return self._loading

    def _fetch_thumbnail(
        self, client: Image360Client, photo: LibraryPhoto, generation: int
    ) -> None:
        url = photo.thumb_url

        def done(outcome: Outcome[QImage]) -> None:
            if generation != self._generation:
                return
            if outcome.error is not None:
                log.info("no preview for photo %d: %s", photo.id, outcome.error)
                return
            if outcome.value is not None and not outcome.value.isNull():
                self.model.set_thumbnail(photo.id, outcome.value)

        run_in_pool(lambda: download_thumbnail(client.session, url), self, done, pool=self._pool)

    # -- actions ---------------------------------------------------------------------------

    def open_selected(self) -> None:
        """Open the original in the desktop's viewer, with a freshly listed link."""
        client = self.client
        photos = self.selected_photos()
        if client is None or len(photos) != 1:
            return
        photo_id = photos[0].id

        def done(outcome: Outcome[list[dict[str, Any]]]) -> None:
            if outcome.error is not None:
                self._show_error("Could not open the photo", outcome.error)
                return
            fresh = [LibraryPhoto.from_api(p) for p in outcome.value or []]
            match = next((p for p in fresh if p is not None and p.id == photo_id), None)
            if match is None or not match.image:
                self.status.setText("That photo is no longer on the server.")
                return
            if not desktop.open_url(QUrl(match.image)):
                self.status.setText("No application could open the photo's link.")

        run_in_pool(client.list_photos, self, done, pool=self._pool)

    def delete_selected(self) -> None:
        """Delete the selected photos from the server, after confirming."""
        client = self.client
        photos = self.selected_photos()
        if client is None or not photos:
            return
        count = len(photos)
        what = f"“{photos[0].title}”" if count == 1 else f"{count} photos"
        if not confirm.ask(
            self,
            title="Delete from the server?",
            text=f"Delete {what} from {client.base_url.rstrip('/')}?",
            informative="The server's copy is removed for good; your files are not touched.",
            confirm="Delete",
            destructive=True,
        ):
            return
        for photo in photos:
            photo_id = photo.id

            def done(outcome: Outcome[None], photo_id: int = photo_id) -> None:
                if outcome.error is not None:
                    self._show_error(f"Could not delete photo {photo_id}", outcome.error)
                    return
                self.model.remove_photo(photo_id)
                self.deleted.emit(photo_id)
                self.status.setText(f"Deleted photo {photo_id}.")

            run_in_pool(
                lambda photo_id=photo_id: client.delete_photo(photo_id),
                self,
                done,
                pool=self._pool,
            )

    def _show_error(self, what: str, error: Exception) -> None:
        if isinstance(error, SignInRequired):
            self.status.setText(f"{what}: sign-in needed.")
            self.signInNeeded.emit(str(error))
        elif isinstance(error, ApiError):
            self.status.setText(f"{what}: {error}")
        else:
            log.error("%s: %r", what, error)
            self.status.setText(f"{what} ({type(error).__name__}); details in the log.")

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        self._refresh_timer.stop()
        return stop_pool(self._pool, timeout_ms)
