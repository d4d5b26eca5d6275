"""The main window: a grid of photo tiles that files and folders are dropped on."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QMimeData, QModelIndex, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent, QImage
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from thetadesk.core.inspection import Inspection
from thetadesk.core.uploader import UploadDefaults, UploadResult
from thetadesk.gui import login_dialog
from thetadesk.gui.login_dialog import Session
from thetadesk.gui.photo_grid import PhotoGrid
from thetadesk.gui.photo_model import PhotoModel, UploadState
from thetadesk.gui.thumbnails import ThumbnailLoader
from thetadesk.gui.upload_worker import UploadWorker, start_worker_thread

log = logging.getLogger(__name__)

# Quitting waits this long for the worker: a running upload stops at its next chunk, but a
# request waiting for a server answer only ends at the client's connect timeout (10 s).
WORKER_STOP_TIMEOUT_MS = 12_000
WAITING_FOR_SIGN_IN = "waiting for sign-in"
JPEG_FILTER = "JPEG photos (*.jpg *.jpeg *.JPG *.JPEG);;All files (*)"

# Threads whose worker did not stop in time: kept referenced, because destroying a running
# QThread aborts the process.
_abandoned_threads: list[object] = []


def local_paths(mime: QMimeData) -> list[Path]:
    """Local files and folders among dropped URLs (remote URLs are ignored)."""
    if not mime.hasUrls():
        return []
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]


class MainWindow(QMainWindow):
    """Shows the dropped photos as tiles; checks and uploads them through one worker."""

    def __init__(
        self,
        session: Session | None,
        *,
        server_url: str = "",
        username: str = "",
        defaults: UploadDefaults | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle("thetadesk")
        self.setAcceptDrops(True)
        self.resize(1040, 680)
        self.session = session
        self._server_url = session.server_url if session else server_url
        self._username = session.username if session else username
        self._asking_sign_in = False
        self.worker_stopped: bool | None = None  # set by shutdown()

        self.model = PhotoModel(self)
        self.grid = PhotoGrid(self)
        self.grid.setModel(self.model)

        self.thumbnails = ThumbnailLoader(self)
        self.thumbnails.loaded.connect(self._on_thumbnail)

        self.add_button = QPushButton("Add Photos…")
        self.add_button.clicked.connect(self.choose_files)
        self.add_folder_button = QPushButton("Add Folder…")
        self.add_folder_button.clicked.connect(self.choose_folder)
        self.cancel_button = QPushButton("Cancel Uploads")
        self.cancel_button.clicked.connect(self.cancel_uploads)
        self.clear_button = QPushButton("Clear Finished")
        self.clear_button.clicked.connect(self.model.remove_finished)
        self.account_label = QLabel()
        self.account_label.setObjectName("accountLabel")
        self.sign_in_button = QPushButton("Sign In…")
        self.sign_in_button.clicked.connect(self.sign_in)

        top = QHBoxLayout()
        for button in (self.add_button, self.add_folder_button, self.cancel_button):
            top.addWidget(button)
        top.addWidget(self.clear_button)
        top.addStretch(1)
        top.addWidget(self.account_label)
        top.addWidget(self.sign_in_button)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(self.grid, 1)
        self.setCentralWidget(central)

        self.summary_label = QLabel()
        self.summary_label.setObjectName("summaryLabel")
        self.statusBar().addWidget(self.summary_label, 1)
        for signal in (
            self.model.dataChanged,
            self.model.rowsInserted,
            self.model.rowsRemoved,
            self.model.modelReset,
        ):
            signal.connect(self._update_summary)

        self.worker = UploadWorker(session.client if session else None, defaults)
        self.worker.photosFound.connect(self._on_photos_found)
        self.worker.inspected.connect(self._on_inspected)
        self.worker.uploadStarted.connect(self._on_upload_started)
        self.worker.progress.connect(self._on_progress)
        self.worker.fileFinished.connect(self._on_file_finished)
        self.worker.signInNeeded.connect(self._on_sign_in_needed)
        self.upload_thread = start_worker_thread(self.worker)

        self._update_account()
        self._update_summary()

    # -- adding photos ---------------------------------------------------------------------

    def add_paths(self, paths: Iterable[Path]) -> None:
        """Files and folders to check and upload; expanded on the worker thread."""
        paths = [Path(p) for p in paths]
        if paths and self.worker_stopped is None:
            self.worker.expand(paths)

    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add Photos", "", JPEG_FILTER)
        self.add_paths(Path(f) for f in files)

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a Folder of Photos")
        if folder:
            self.add_paths([Path(folder)])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self._accept_if_files(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self._accept_if_files(event)

    @staticmethod
    def _accept_if_files(event: QDragEnterEvent | QDragMoveEvent) -> None:
        if local_paths(event.mimeData()):
            event.setDropAction(Qt.DropAction.CopyAction)  # never let the source delete files
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = local_paths(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        # Return at once, so the drag source is not kept waiting; queue the work after.
        QTimer.singleShot(0, self, lambda: self.add_paths(paths))

    # -- worker results --------------------------------------------------------------------

    def _on_photos_found(self, paths: list[Path]) -> None:
        if not paths:
            self.statusBar().showMessage("No JPEG photos found in what was added.", 5000)
            return
        new = self.model.add_paths(paths)
        if len(new) < len(paths):
            skipped = len(paths) - len(new)
            self.statusBar().showMessage(f"{skipped} already listed, skipped.", 5000)
        for path in new:
            row = self.model.row_for(path)
            if row is not None:
                self.thumbnails.request(path, row.stamp)
        self.worker.check(new)

    def _on_thumbnail(self, path: Path, stamp: int, image: QImage) -> None:
        self.model.set_thumbnail(path, stamp, image)

    def _on_inspected(self, path: Path, inspection: Inspection) -> None:
        if inspection.verdict.uploadable:
            reason = "" if self.session else WAITING_FOR_SIGN_IN
            self.model.set_inspection(path, inspection, UploadState.QUEUED, reason)
        else:
            # fileFinished follows at once with held or rejected.
            self.model.set_inspection(path, inspection, UploadState.CHECKING)

    def _on_upload_started(self, path: Path) -> None:
        self.model.set_state(path, UploadState.UPLOADING)

    def _on_progress(self, path: Path, sent: int, total: int) -> None:
        self.model.set_progress(path, sent, total)

    def _on_file_finished(self, result: UploadResult) -> None:
        self.model.apply_result(result)

    # -- signing in ------------------------------------------------------------------------

    def _on_sign_in_needed(self, message: str) -> None:
        log.info("the session ended: %s", message)
        self.session = None
        self._update_account()
        for path in self.model.paths_in_state(UploadState.QUEUED, UploadState.UPLOADING):
            self.model.set_state(path, UploadState.QUEUED, WAITING_FOR_SIGN_IN)
        # Not from inside this signal's delivery: the dialog runs its own event loop.
        QTimer.singleShot(0, self, lambda: self.sign_in(message))

    def sign_in(self, message: str = "") -> None:
        """Show the sign-in dialog; on success the waiting uploads resume."""
        if self._asking_sign_in or self.worker_stopped is not None:
            return
        self._asking_sign_in = True
        try:
            session = login_dialog.ask(
                self, server_url=self._server_url, username=self._username, message=message
            )
        finally:
            self._asking_sign_in = False
        if session is None:
            self.statusBar().showMessage("Not signed in: uploadable photos wait here.", 8000)
            return
        self.set_session(session)

    def set_session(self, session: Session) -> None:
        self.session = session
        self._server_url = session.server_url
        self._username = session.username
        self._update_account()
        for path in self.model.paths_in_state(UploadState.QUEUED):
            self.model.set_state(path, UploadState.QUEUED)
        self.worker.set_client(session.client)

    def cancel_uploads(self) -> None:
        self.worker.cancel_uploads()

    def _update_account(self) -> None:
        if self.session is not None:
            who, where = html.escape(self.session.username), html.escape(self.session.server_url)
            text = f"Signed in as <b>{who}</b> on {where}"
        else:
            text = "Not signed in"
        self.account_label.setText(text)
        self.sign_in_button.setVisible(self.session is None)

    def _update_summary(self, *_: QModelIndex | int) -> None:
        self.summary_label.setText(self.model.summary())
        self.grid.viewport().update()

    # -- quitting --------------------------------------------------------------------------

    def shutdown(self, timeout_ms: int = WORKER_STOP_TIMEOUT_MS) -> bool:
        """Stop the worker (cancelling a running upload) and wait for its thread, bounded."""
        if self.worker_stopped is not None:
            return self.worker_stopped
        thread = self.upload_thread
        self.worker.stop()
        stopped = thread.wait(timeout_ms)
        if not stopped:
            log.error("the upload worker did not stop within %d ms", timeout_ms)
            _abandoned_threads.append((thread, self.worker))
        self.thumbnails.shutdown()
        self.worker_stopped = stopped
        return stopped

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
