"""The main window: the upload queue as a grid of photo tiles that files are dropped on.

What the grid shows is the engine's persistent queue (core.engine, core.queue_store) for
the account in use: the same queue the CLI runs. The engine runs on the window's one upload
worker thread; short queue commands (adding files, retry, remove...) run on a one-thread
pool so SQLite's fsyncs never stall the GUI thread, in the order they were given.
"""

from __future__ import annotations

import html
import logging
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QMimeData, QModelIndex, Qt, QThreadPool, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from thetadesk.core.api import Image360Client
from thetadesk.core.credentials import CredentialStore
from thetadesk.core.engine import EngineSettings, QueueStatus, UploadEngine
from thetadesk.core.errors import InsecureServerUrl, SignInRequired
from thetadesk.core.inspection import Inspection, inspect_file, printable_path
from thetadesk.core.metadata_fix import MetadataFixError, fix_into_copy, why_not_fixable
from thetadesk.core.paths import AppPaths
from thetadesk.core.queue_store import AddOutcome, ItemState, QueueItem, QueueStore, QueueStoreError
from thetadesk.core.scan import find_photos
from thetadesk.gui import confirm, desktop, login_dialog, settings_dialog
from thetadesk.gui.background import Outcome, run_in_pool, stop_pool
from thetadesk.gui.banner import QueueBanner
from thetadesk.gui.details_panel import DetailsPanel
from thetadesk.gui.drop_urls import Drop, read_mime, read_urls
from thetadesk.gui.first_paint import after_first_paint
from thetadesk.gui.library import LibraryView
from thetadesk.gui.login_dialog import Session
from thetadesk.gui.photo_grid import PhotoGrid
from thetadesk.gui.photo_model import (
    PhotoFilterModel,
    PhotoModel,
    PhotoRole,
    PhotoRow,
    StatusFilter,
    UploadState,
)
from thetadesk.gui.settings import LOCAL_SERVER, AppSettings, SettingsStore
from thetadesk.gui.thumbnails import Thumbnail, ThumbnailLoader
from thetadesk.gui.transfer import Transfer, TransferMeter
from thetadesk.gui.upload_worker import (
    Inspected,
    ItemChanged,
    QueueBusyNotice,
    StatusChanged,
    UploadWorker,
    start_worker_thread,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

# Quitting waits this long for the worker: a running upload stops at its next chunk, but a
# request waiting for a server answer only ends at the client's connect timeout (10 s).
WORKER_STOP_TIMEOUT_MS = 12_000
COMMAND_STOP_TIMEOUT_MS = 5_000
EVENT_BATCH_MS = 30  # engine events are taken in batches at most this often
READ_URLS_HERE = 256  # a drop with more URLs is read off the GUI thread
GIL_SWITCH_SECONDS = 0.001  # see MainWindow.__init__
SHARP_MS = 80  # the tiles on screen are looked at this long after the view stops changing
SUMMARY_MS = 100  # the status bar's counts and the actions follow the rows this often
WAITING_FOR_SIGN_IN = "waiting for sign-in"
JPEG_FILTER = "JPEG photos (*.jpg *.jpeg *.JPG *.JPEG);;All files (*)"
FINISHED = (UploadState.UPLOADED, UploadState.SKIPPED, UploadState.CANCELLED, UploadState.REJECTED)
# Rows of the signed-out queue that do not move to the account that signs in.
_CARRY_NOT = frozenset({ItemState.UPLOADED, ItemState.SKIPPED, ItemState.CANCELLED})
_PAUSABLE = frozenset({UploadState.CHECKING, UploadState.QUEUED, UploadState.UPLOADING})
# An original whose fixed copy is queued leaves the queue while it has not been sent.
_REPLACEABLE = frozenset(
    {UploadState.QUEUED, UploadState.PAUSED, UploadState.HELD, UploadState.FAILED}
)

# Threads whose worker did not stop in time: kept referenced, because destroying a running
# QThread aborts the process.
_abandoned_threads: list[object] = []


def local_paths(mime: QMimeData) -> list[Path]:
    """Local files and folders among dropped URLs (drop_urls says what is left out, and why)."""
    return list(read_mime(mime).paths)


def _same_server(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


def _account_client(server_url: str) -> Image360Client:
    """A client for the account's server; the local server when the address is unusable."""
    try:
        return Image360Client(server_url or LOCAL_SERVER)
    except InsecureServerUrl as exc:
        log.warning("cannot use %r (%s); using %s", server_url, exc, LOCAL_SERVER)
        return Image360Client(LOCAL_SERVER)


class MainWindow(QMainWindow):
    """Shows the account's upload queue as tiles and runs it through one worker thread.

    Args:
        session: a signed-in session, or None to start signed out (a token remembered in
            the keychain for `server_url`/`username` signs in without asking).
        paths: data, log and config folders (AppPaths.default() when not given).
        settings: where settings are kept (the config folder's settings.ini by default).
        credentials: the keychain ("Remember me").
        engine_settings: overrides what the settings say (tests: parallel, backoff).
    """

    def __init__(
        self,
        session: Session | None,
        *,
        server_url: str = "",
        username: str = "",
        paths: AppPaths | None = None,
        settings: SettingsStore | None = None,
        credentials: CredentialStore | None = None,
        engine_settings: EngineSettings | None = None,
    ) -> None:
        super().__init__()
        # The GUI thread shares the GIL with the engine's check thread and the thumbnail
        # threads; each paint releases and takes it back dozens of times (every Qt call),
        # waiting up to the switch interval each time. 1 ms instead of 5 halves the
        # longest stall while 2,000 files fill the grid (benchmarks/RESULTS.md).
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_SECONDS))
        self.setWindowTitle("thetadesk")
        self.setAcceptDrops(True)
        self.resize(1040, 680)
        self.paths = (paths or AppPaths.default()).ensure()
        self.settings_store = settings or SettingsStore(self.paths.settings_file)
        self.app_settings: AppSettings = self.settings_store.load()
        self.credentials = credentials or CredentialStore()
        self._engine_settings_override = engine_settings
        self.session: Session | None = None
        self.client: Image360Client | None = None
        self.engine: UploadEngine | None = None
        self.queue_status: StatusChanged = StatusChanged(QueueStatus.IDLE)
        self._generation = 0
        self._asking_sign_in = False
        self._queue_busy = ""
        self.worker_stopped: bool | None = None  # set by shutdown()
        self.viewers: list[QDialog] = []  # open 360° views
        self.log_viewer: QDialog | None = None
        self._store_problem = ""

        self.store = self._open_store()
        self.model = PhotoModel(self)
        self.filter_model = PhotoFilterModel(self)
        self.filter_model.setSourceModel(self.model)
        self.grid = PhotoGrid(self)
        self.grid.setModel(self.filter_model)

        self.thumbnails = ThumbnailLoader(self)
        self.thumbnails.loaded.connect(self._on_thumbnails)
        # Sharper thumbnails for the tiles on screen only, asked for once scrolling or
        # filling settles; tiles scrolled away drop their requests.
        self._sharp_timer = QTimer(self)
        self._sharp_timer.setSingleShot(True)
        self._sharp_timer.setInterval(SHARP_MS)
        self._sharp_timer.timeout.connect(self._request_sharp)
        self.grid.viewportChanged.connect(self._sharp_soon)
        # Queue commands, one at a time and in order, off the GUI thread.
        self._commands = QThreadPool(self)
        self._commands.setMaxThreadCount(1)

        self.details = DetailsPanel(self)
        self.details.fieldsEdited.connect(self.edit_fields)
        self.banner = QueueBanner(self)
        self.banner.retryNow.connect(self.retry_now)
        self.banner.signIn.connect(lambda: self.sign_in())
        self.banner.resume.connect(self.resume_all)
        self.meter = TransferMeter()
        self.transfer = Transfer()
        self._build_actions()
        self._build_ui()
        self._build_menus()
        # The summary, filter counts, transfer meter and actions look at every row: worked
        # out at most every SUMMARY_MS, not once per model signal (a 2,000-file drop sends
        # thousands, and that was quadratic: ~10 s of a frozen window).
        self._summary_timer = QTimer(self)
        self._summary_timer.setSingleShot(True)
        self._summary_timer.setInterval(SUMMARY_MS)
        self._summary_timer.timeout.connect(self._update_summary)
        for signal in (
            self.model.dataChanged,
            self.model.rowsInserted,
            self.model.rowsRemoved,
            self.model.modelReset,
        ):
            signal.connect(self._summary_changed)
        self.grid.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.dataChanged.connect(self._selected_rows_changed)

        self.worker = UploadWorker()
        self._drain_timer = QTimer(self)
        self._drain_timer.setSingleShot(True)
        self._drain_timer.setInterval(EVENT_BATCH_MS)
        self._drain_timer.timeout.connect(self._drain_events)
        self.worker.eventsReady.connect(self._events_ready)
        self.upload_thread = start_worker_thread(self.worker)

        if session is not None:
            self._use_session(session)
        else:
            server = server_url or self.app_settings.server_url
            who = username or self.app_settings.username
            client = _account_client(server)
            if not (who and self._resume_saved_session(client, who)):
                self._switch_account(client, who)
        self._update_account()
        self._update_summary()
        if self._store_problem:
            self.banner.show_busy(self._store_problem)
        self._restore_window_state()

    # -- building the window ---------------------------------------------------------------

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        *,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            # Also when the focus is in the grid or the side panel.
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(
                f"{tip} ({action.shortcut().toString(QKeySequence.NativeText)})"
                if shortcut is not None
                else tip
            )
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        Key = QKeySequence.StandardKey
        self.act_add_photos = self._action(
            "&Add Photos…", self.choose_files, Key.Open, tip="Add photo files to the queue"
        )
        self.act_add_folder = self._action(
            "Add &Folder…", self.choose_folder, "Ctrl+Shift+O", tip="Add a folder of photos"
        )
        self.act_pause_all = self._action(
            "&Pause All", self.toggle_pause_all, "Ctrl+P", tip="Pause or resume all uploads"
        )
        self.act_retry_now = self._action(
            "Retry &Now", self.retry_now, "Ctrl+Shift+R", tip="Try the server again at once"
        )
        self.act_retry_failed = self._action(
            "&Retry Failed",
            self.retry_failed,
            "Ctrl+R",
            tip="Queue the selected failed files again (all failed files when none is selected)",
        )
        self.act_upload_anyway = self._action(
            "&Upload Anyway…",
            self.upload_anyway,
            "Ctrl+U",
            tip="Send the selected files held for review, after confirming",
        )
        self.act_fix_metadata = self._action(
            "&Fix Metadata into a Copy…",
            self.fix_metadata_into_copy,
            "Ctrl+Shift+F",
            tip="Write a copy with corrected 360° metadata into a folder you pick, and queue it",
        )
        self.act_view_360 = self._action(
            "&View in 360°…",
            self.view_selected,
            "Ctrl+Return",
            tip="Look around the selected photo (double-click a tile does the same)",
        )
        self.act_pause_selected = self._action("Pa&use Selected", self.pause_selected)
        self.act_resume_selected = self._action("Resu&me Selected", self.resume_selected)
        self.act_remove = self._action(
            "Remo&ve from Queue",
            self.remove_selected,
            Key.Delete,
            tip="Take the selected files off the queue (the files stay where they are)",
        )
        self.act_cancel = self._action(
            "&Cancel Uploads",
            self.cancel_uploads,
            "Ctrl+Shift+X",
            tip="Cancel every file not sent yet",
        )
        self.act_clear = self._action(
            "Clear &Finished",
            self.clear_finished,
            "Ctrl+Shift+K",
            tip="Take uploaded, duplicate, cancelled and rejected files off the list",
        )
        self.act_show_queue = self._action(
            "Upload &Queue", lambda: self.tabs.setCurrentIndex(0), "Ctrl+1"
        )
        self.act_show_library = self._action(
            "&Library", self.show_library, "Ctrl+2", tip="The photos already on the server"
        )
        self.act_refresh_library = self._action(
            "&Refresh Library",
            self.refresh_library,
            Key.Refresh,
            tip="List the photos on the server again",
        )
        self.act_sign_in = self._action("Sign &In…", lambda: self.sign_in())
        self.act_sign_out = self._action(
            "Sign &Out", self.sign_out, tip="Forget this session and its keychain entry"
        )
        self.act_settings = self._action("&Settings…", self.open_settings, "Ctrl+,")
        if not QKeySequence(Key.Preferences).isEmpty():  # macOS: Cmd+, as well
            self.act_settings.setShortcuts([QKeySequence(Key.Preferences), "Ctrl+,"])
        self.act_quit = self._action("&Quit", self.close, Key.Quit)
        self.act_open_log_folder = self._action(
            "Open &Log Folder", self.open_log_folder, tip="Where thetadesk writes its log"
        )
        self.act_show_log = self._action(
            "Show &Log…", self.show_log, "Ctrl+Shift+L", tip="What thetadesk wrote to its log"
        )
        self._set_icons()

    def _set_icons(self) -> None:
        """Icons from the desktop theme, else Qt's own set: drawn from vector or multi-size
        sources at the screen's pixel ratio, so they stay crisp on high-DPI screens."""
        pixmaps = QStyle.StandardPixmap
        for action, theme, fallback in (
            (self.act_add_photos, "document-open", pixmaps.SP_DialogOpenButton),
            (self.act_add_folder, "folder-open", pixmaps.SP_DirOpenIcon),
            (self.act_pause_all, "media-playback-pause", pixmaps.SP_MediaPause),
            (self.act_retry_now, "view-refresh", pixmaps.SP_BrowserReload),
            (self.act_retry_failed, "edit-redo", pixmaps.SP_BrowserReload),
            (self.act_upload_anyway, "go-up", pixmaps.SP_ArrowUp),
            (self.act_remove, "list-remove", pixmaps.SP_DialogDiscardButton),
            (self.act_cancel, "process-stop", pixmaps.SP_BrowserStop),
            (self.act_clear, "edit-clear", pixmaps.SP_DialogResetButton),
            (self.act_refresh_library, "view-refresh", pixmaps.SP_BrowserReload),
            (self.act_settings, "preferences-system", pixmaps.SP_FileDialogDetailedView),
        ):
            icon = QIcon.fromTheme(theme)
            action.setIcon(icon if not icon.isNull() else self.style().standardIcon(fallback))

    def _build_ui(self) -> None:
        self.add_button = QPushButton(self.act_add_photos.icon(), "Add Photos…")
        self.add_button.clicked.connect(self.act_add_photos.trigger)
        self.add_folder_button = QPushButton(self.act_add_folder.icon(), "Add Folder…")
        self.add_folder_button.clicked.connect(self.act_add_folder.trigger)
        self.pause_button = QPushButton(self.act_pause_all.icon(), "Pause All")
        self.pause_button.clicked.connect(self.act_pause_all.trigger)
        self.cancel_button = QPushButton(self.act_cancel.icon(), "Cancel Uploads")
        self.cancel_button.clicked.connect(self.act_cancel.trigger)
        self.clear_button = QPushButton(self.act_clear.icon(), "Clear Finished")
        self.clear_button.clicked.connect(self.act_clear.trigger)
        for action, button in (
            (self.act_add_photos, self.add_button),
            (self.act_add_folder, self.add_folder_button),
            (self.act_pause_all, self.pause_button),
            (self.act_cancel, self.cancel_button),
            (self.act_clear, self.clear_button),
        ):
            button.setToolTip(action.toolTip())
        self.account_label = QLabel()
        self.account_label.setObjectName("accountLabel")
        self.sign_in_button = QPushButton("Sign In…")
        self.sign_in_button.clicked.connect(self.act_sign_in.trigger)

        top = QHBoxLayout()
        for button in (
            self.add_button,
            self.add_folder_button,
            self.pause_button,
            self.cancel_button,
            self.clear_button,
        ):
            top.addWidget(button)
        top.addStretch(1)
        top.addWidget(self.account_label)
        top.addWidget(self.sign_in_button)

        self.filter_box = QComboBox()
        self.filter_box.setObjectName("statusFilter")
        for choice in StatusFilter:
            self.filter_box.addItem(choice.value, choice.value)
        self.filter_box.currentIndexChanged.connect(self._filter_changed)
        filter_label = QLabel("&Show:")
        filter_label.setBuddy(self.filter_box)
        self.retry_button = QPushButton("Retry")
        self.retry_button.clicked.connect(self.act_retry_failed.trigger)
        self.upload_anyway_button = QPushButton("Upload Anyway…")
        self.upload_anyway_button.clicked.connect(self.act_upload_anyway.trigger)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.act_remove.trigger)
        tools = QHBoxLayout()
        tools.addWidget(filter_label)
        tools.addWidget(self.filter_box)
        tools.addStretch(1)
        for button in (self.retry_button, self.upload_anyway_button, self.remove_button):
            tools.addWidget(button)

        self.grid.doubleClicked.connect(self._tile_double_clicked)
        self.grid.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for action in (
            self.act_view_360,
            self.act_retry_failed,
            self.act_upload_anyway,
            self.act_fix_metadata,
            self.act_pause_selected,
            self.act_resume_selected,
            self.act_remove,
        ):
            self.grid.addAction(action)

        details = QScrollArea()
        details.setWidgetResizable(True)
        details.setWidget(self.details)
        details.setMinimumWidth(260)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("queueSplitter")
        self.splitter.addWidget(self.grid)
        self.splitter.addWidget(details)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setSizes([760, 280])

        queue_page = QWidget()
        queue_layout = QVBoxLayout(queue_page)
        queue_layout.setContentsMargins(0, 0, 0, 0)
        queue_layout.addLayout(tools)
        queue_layout.addWidget(self.splitter, 1)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.addTab(queue_page, "Upload &queue")
        self.library = LibraryView(self)
        self.library.signInNeeded.connect(self._library_sign_in_needed)
        self.tabs.addTab(self.library, "&Library")
        self.tabs.currentChanged.connect(self._tab_changed)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.summary_label = QLabel()
        self.summary_label.setObjectName("summaryLabel")
        self.statusBar().addWidget(self.summary_label, 1)
        self.progress_label = QLabel()
        self.progress_label.setObjectName("progressLabel")
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("overallProgress")
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setMaximumWidth(220)
        self.statusBar().addPermanentWidget(self.progress_label)
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.progress_label.hide()
        self.progress_bar.hide()

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addActions([self.act_add_photos, self.act_add_folder])
        file_menu.addSeparator()
        file_menu.addAction(self.act_settings)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        self.file_menu = file_menu
        queue_menu = menus.addMenu("&Queue")
        queue_menu.addActions([self.act_pause_all, self.act_retry_now])
        queue_menu.addSeparator()
        queue_menu.addActions(
            [
                self.act_view_360,
                self.act_retry_failed,
                self.act_upload_anyway,
                self.act_fix_metadata,
                self.act_pause_selected,
                self.act_resume_selected,
                self.act_remove,
            ]
        )
        queue_menu.addSeparator()
        queue_menu.addActions([self.act_cancel, self.act_clear])
        self.queue_menu = queue_menu
        self.view_menu = menus.addMenu("&View")
        self.view_menu.addActions(
            [self.act_show_queue, self.act_show_library, self.act_refresh_library]
        )
        self.account_menu = menus.addMenu("&Account")
        self.account_menu.addActions([self.act_sign_in, self.act_sign_out])
        self.help_menu = menus.addMenu("&Help")
        self.help_menu.addActions([self.act_show_log, self.act_open_log_folder])

    # -- the queue file and the account ----------------------------------------------------

    def _open_store(self) -> QueueStore:
        try:
            return QueueStore(self.paths.queue_db)
        except QueueStoreError as exc:
            # Newer or damaged: never overwrite it. This run's queue lives in memory only.
            log.error("%s", exc)
            self._store_problem = f"{exc}. This session's queue will not be kept."
            return QueueStore(":memory:")

    def _engine_settings(self) -> EngineSettings:
        settings = self._engine_settings_override or EngineSettings(
            parallel=self.app_settings.parallel_uploads
        )
        return replace(
            settings,
            reject_needs_review=self.app_settings.reject_needs_review,
            hold_public_gps=self.app_settings.hold_public_gps,
        )

    @property
    def account(self) -> tuple[str, str]:
        """(server base URL, username) of the queue shown; username "" before any sign-in."""
        if self.engine is None:
            return "", ""
        return self.engine.server, self.engine.username

    def _switch_account(self, client: Image360Client, username: str) -> None:
        """Show and run the queue of (client's server, username)."""
        previous = self.engine
        self.client = client
        self._generation, self.engine = self.worker.start_engine(
            self.store, client, username, self._engine_settings()
        )
        self._queue_busy = ""
        self.model.set_waiting("")
        rows = self.model.reset_items(self.engine.items())
        for row in rows:
            self._request_details(row)
        if previous is not None and not previous.username and username:
            self._carry_over(previous, self.engine)

    def _carry_over(self, previous: UploadEngine, engine: UploadEngine) -> None:
        """Files added before anyone signed in go to the account that signs in."""

        def move() -> int:
            waiting = [i for i in previous.items() if i.state not in _CARRY_NOT]
            for item in waiting:
                engine.enqueue([item.path], fields=item.fields, allow_review=item.allow_review)
            previous.remove(item.id for item in waiting)
            return len(waiting)

        self._command(move)

    def _use_session(self, session: Session) -> None:
        """Adopt a signed-in session: the same account carries on, another one switches."""
        same = self.engine is not None and self.account == (
            session.client.base_url,
            session.username,
        )
        if same and self.client is not None and session.client is not self.client:
            # Keep the engine's client (and its keychain hook): give it the new tokens.
            self._remember(self.client, session)
            tokens = session.client.tokens
            self.client.tokens.set(tokens.access, tokens.refresh_token)
            session = Session(self.client, session.username, remember=session.remember)
        else:
            self._remember(session.client, session)
        self.session = session
        if same and self.engine is not None:
            self.engine.signed_in_again()
        else:
            self._switch_account(session.client, session.username)
        self._save_account(session)
        self._update_account()

    def _remember(self, client: Image360Client, session: Session) -> None:
        """Keep the refresh token in the keychain (and follow its rotation), or forget it."""
        server, username = client.base_url, session.username
        if session.remember:
            saver = self.credentials.saver(server, username)
            client.tokens.set_listener(saver)
            if session.client.tokens.refresh_token:
                saver(session.client.tokens.refresh_token)
            if self.credentials.memory_only:
                self.statusBar().showMessage(self.credentials.problem, 10_000)
        else:
            client.tokens.set_listener(None)
            self.credentials.delete(server, username)

    def _save_account(self, session: Session) -> None:
        server = session.server_url.rstrip("/")
        if (server, session.username, session.remember) != (
            self.app_settings.server_url,
            self.app_settings.username,
            self.app_settings.remember_me,
        ):
            self.app_settings = self.settings_store.update(
                server_url=server, username=session.username, remember_me=session.remember
            )

    def _resume_saved_session(self, client: Image360Client, username: str) -> bool:
        """Sign in with a refresh token kept by "Remember me"; False when there is none.

        No request is needed to start: the engine refreshes the access token when it first
        needs one. A pool job checks the session at once so a revoked one asks again.
        """
        token = self.credentials.load(client.base_url, username)
        if not token:
            return False
        log.info("resuming the remembered session of %s on %s", username, client.base_url)
        client.tokens.set(None, token)
        self._use_session(Session(client, username, remember=True))

        def checked(outcome: Outcome[None]) -> None:
            if isinstance(outcome.error, SignInRequired) and self.session is not None:
                if self.session.client is client:
                    self._session_ended(str(outcome.error))
            elif outcome.error is not None:
                log.info("could not check the remembered session: %s", outcome.error)

        # Once the window is on screen: the request loads the HTTP client (~0.15 s of CPU).
        after_first_paint(self, lambda: run_in_pool(client.check_session, self, checked))
        return True

    # -- adding photos ---------------------------------------------------------------------

    def add_paths(self, paths: Iterable[Path]) -> None:
        """Files and folders to check and upload; folders are expanded off the GUI thread."""
        paths = [Path(p) for p in paths]
        engine = self.engine
        if not paths or engine is None or self.worker_stopped is not None:
            return
        settings = self.app_settings

        def enqueue() -> tuple[list[tuple[QueueItem, AddOutcome]], list[tuple[Path, str]]]:
            unreadable: list[tuple[Path, str]] = []
            try:
                photos = find_photos(paths, unreadable)
            except OSError as exc:
                log.warning("could not list the dropped files: %s", exc)
                photos = []
            added = engine.enqueue_each(
                (path, settings.upload_fields(path, n)) for n, path in enumerate(photos, start=1)
            )
            return added, unreadable

        self._command(enqueue, self._on_enqueued)

    def _on_enqueued(
        self, outcome: tuple[list[tuple[QueueItem, AddOutcome]], list[tuple[Path, str]]]
    ) -> None:
        results, unreadable = outcome
        if unreadable:
            # Said where it cannot be missed: the photos in these folders are not queued.
            folder, why = unreadable[0]
            more = f" and {len(unreadable) - 1} more" if len(unreadable) > 1 else ""
            confirm.tell(
                self,
                title="Some folders could not be opened",
                text=f"Photos in {printable_path(folder)}{more} were not added: {why}.",
            )
        if not results:
            if not unreadable:
                self.statusBar().showMessage("No JPEG photos found in what was added.", 5000)
            return
        added = [item for item, outcome in results if outcome is not AddOutcome.ALREADY]
        # SQLite can hand a removed row's id to a new one: let that id show again. The rows
        # as enqueue left them, in case their events were dropped before this point (the
        # model ignores a snapshot older than what it shows).
        self.model.forget_removed(item.id for item in added)
        for row in self.model.apply_items(added):
            self._request_details(row)
        already = sum(outcome is AddOutcome.ALREADY for _, outcome in results)
        if already:
            self.statusBar().showMessage(f"{already} already listed, skipped.", 5000)

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
        # Any URLs: a drop of only web links is taken too, to say why nothing was added.
        if event.mimeData().hasUrls():
            event.setDropAction(Qt.DropAction.CopyAction)  # never let the source delete files
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() and len(urls := mime.urls()) > READ_URLS_HERE:
            # Reading thousands of URLs takes the GUI thread ~25 µs each: a big drop is
            # read with the adding, off it; what was left out is said when it is known.
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            QTimer.singleShot(0, self, lambda: self._add_urls(urls))
            return
        drop = read_mime(mime)
        if not drop.paths and not drop.notices:
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        if drop.notice:  # e.g. "ignored 1 web link: only files can be added"
            self.statusBar().showMessage(drop.notice, 8000)
        if drop.paths:
            # Return at once, so the drag source is not kept waiting; queue the work after.
            QTimer.singleShot(0, self, lambda: self.add_paths(drop.paths))

    def _add_urls(self, urls: list[QUrl]) -> None:
        """A big drop's URLs, read on the queue-command thread, then added as add_paths."""

        def read() -> Drop:
            return read_urls(urls)

        def done(outcome: Outcome[Drop]) -> None:
            drop = outcome.value
            if drop is None:
                log.warning("could not read the dropped URLs: %s", outcome.error)
                return
            if drop.notice:
                self.statusBar().showMessage(drop.notice, 8000)
            self.add_paths(drop.paths)

        run_in_pool(read, self, done, pool=self._commands)

    # -- queue commands --------------------------------------------------------------------

    def _command(
        self,
        function: Callable[[], T],
        done: Callable[[T], None] | None = None,
    ) -> None:
        """Run a queue command on the command thread; `done(result)` on the GUI thread."""

        def finished(outcome: Outcome[T]) -> None:
            if outcome.error is not None:
                log.error("queue command failed: %s", outcome.error)
                self.statusBar().showMessage(f"That did not work: {outcome.error}", 10_000)
                return
            if done is not None:
                done(outcome.value)  # type: ignore[arg-type]

        run_in_pool(function, self, finished, pool=self._commands)

    def wait_for_commands(self, timeout_ms: int = COMMAND_STOP_TIMEOUT_MS) -> bool:
        """Block until queue commands given so far ran (tests; quitting)."""
        return self._commands.waitForDone(timeout_ms)

    def _refresh_items(self, engine: UploadEngine, item_ids: Sequence[int]) -> None:
        """On the command thread: post the rows as they are now (commands that emit none)."""
        generation = self._generation
        for item_id in item_ids:
            item = engine.store.get(item_id)
            if item is not None:
                self.worker.post(generation, ItemChanged(item))

    def cancel_uploads(self) -> None:
        """Cancel every file not finished yet, the ones being sent included."""
        engine = self.engine
        if engine is not None:
            self._command(engine.cancel_all)

    def clear_finished(self) -> None:
        """Take uploaded, duplicate, cancelled and rejected files off the list."""
        ids = self.model.ids_in_state(*FINISHED)
        self.remove_items(ids)

    def remove_items(self, item_ids: Sequence[int]) -> None:
        engine = self.engine
        if engine is None or not item_ids:
            return
        ids = list(item_ids)
        self.model.remove_ids(ids)  # at once; the queue file follows on the command thread
        self._command(lambda: engine.remove(ids))

    def selected_rows(self) -> list[PhotoRow]:
        """The selected tiles' rows, oldest first."""
        rows = [index.data(PhotoRole.ROW) for index in self.grid.selectionModel().selectedIndexes()]
        return sorted((r for r in rows if isinstance(r, PhotoRow)), key=lambda r: r.item_id)

    def _selected_or_all(self, *states: UploadState) -> list[int]:
        """Selected rows in these states; every row in them when none of those is selected."""
        selected = [row.item_id for row in self.selected_rows() if row.state in states]
        return selected or self.model.ids_in_state(*states)

    def retry_failed(self) -> None:
        """Failed and cancelled files (the selected ones, else all) go back in the queue."""
        engine = self.engine
        ids = self._selected_or_all(UploadState.FAILED, UploadState.CANCELLED)
        if engine is None or not ids:
            self.statusBar().showMessage("No failed files to retry.", 5000)
            return

        def retry() -> int:
            count = engine.retry(ids)
            self._refresh_items(engine, ids)  # store.retry itself reports no row changes
            return count

        self._command(retry)

    def upload_anyway(self) -> None:
        """Send files held for review (the selected ones, else all), once the user confirms."""
        engine = self.engine
        rows = [r for r in self.selected_rows() if r.state is UploadState.HELD]
        if not rows:
            rows = [r for r in self.model.rows if r.state is UploadState.HELD]
        if engine is None or not rows:
            self.statusBar().showMessage("No photos are held for review.", 5000)
            return
        count = len(rows)
        names = ", ".join(row.path.name for row in rows[:3]) + (" …" if count > 3 else "")
        with_gps = sum(bool(r.inspection and r.inspection.has_gps) for r in rows)
        unproven = sum(r.verdict == "needs_review" for r in rows)
        informative = (
            "Nothing proves these are stitched 360° photos; they will be sent as they are. "
            if unproven
            else ""
        ) + "Uploads are published unless marked private."
        if with_gps:
            informative += (
                f" {with_gps} of them carry a GPS position, which is published too: anyone "
                "can see where they were taken."
            )
        if not confirm.ask(
            self,
            title="Upload photos held for review?",
            text=f"Upload {count} photo{'s' if count != 1 else ''} held for review ({names})?",
            informative=informative,
            confirm="Upload Anyway",
        ):
            return
        ids = [row.item_id for row in rows]

        def approve() -> None:
            for item_id in ids:
                engine.approve(item_id)

        self._command(approve)

    def fix_metadata_into_copy(self) -> None:
        """For one THETA panorama whose GPano is missing or wrong: a corrected copy (the
        original is never touched) in a folder the user picks, queued in its place."""
        rows = self.selected_rows()
        if len(rows) != 1 or rows[0].inspection is None:
            self.statusBar().showMessage("Select one checked photo to fix.", 5000)
            return
        row = rows[0]
        problem = why_not_fixable(row.inspection)
        if problem is not None:
            self.statusBar().showMessage(f"Cannot fix {row.path.name}: {problem}.", 10_000)
            return
        folder = desktop.ask_folder(
            self, f"Folder for the corrected copy of {row.path.name}", row.path.parent
        )
        if folder is None:
            return
        source, item_id, engine = row.path, row.item_id, self.engine

        def fixed(outcome: Outcome[Path]) -> None:
            if outcome.error is not None:
                message = str(outcome.error)
                if not isinstance(outcome.error, MetadataFixError):
                    log.error("fixing %s failed: %r", source, outcome.error)
                    message = f"unexpected error ({type(outcome.error).__name__})"
                self.statusBar().showMessage(f"No copy made: {message}", 15_000)
                return
            copy = outcome.value
            assert copy is not None
            current = self.model.row_by_id(item_id)
            if engine is self.engine and current is not None and current.state in _REPLACEABLE:
                self.remove_items([item_id])  # the copy goes instead of the original
            self.add_paths([copy])
            self.statusBar().showMessage(f"Wrote {copy} and queued it.", 10_000)

        run_in_pool(lambda: fix_into_copy(source, folder), self, fixed, pool=self.thumbnails.pool)

    def pause_selected(self) -> None:
        engine = self.engine
        ids = [r.item_id for r in self.selected_rows() if r.state in _PAUSABLE]
        if engine is not None and ids:
            self._command(lambda: [engine.pause(i) for i in ids])

    def resume_selected(self) -> None:
        engine = self.engine
        ids = [r.item_id for r in self.selected_rows() if r.state is UploadState.PAUSED]
        if engine is not None and ids:
            self._command(lambda: [engine.resume(i) for i in ids])

    def remove_selected(self) -> None:
        """Take the selected files off the queue (a file being sent stops)."""
        self.remove_items([row.item_id for row in self.selected_rows()])

    def edit_fields(self, item_id: int, fields: dict[str, str]) -> None:
        """Per-photo form values, before the photo is sent."""
        engine = self.engine
        if engine is None:
            return

        def saved(ok: bool) -> None:
            message = "Saved." if ok else "Too late: that photo is being sent or was sent."
            self.statusBar().showMessage(message, 5000)

        self._command(lambda: engine.set_fields(item_id, fields), saved)

    def toggle_pause_all(self) -> None:
        if self.queue_status.status is QueueStatus.PAUSED:
            self.resume_all()
        else:
            self.pause_all()

    def pause_all(self) -> None:
        """Stop sending; uploads in flight start over on resume (nothing is lost)."""
        if self.engine is not None:
            self.engine.pause_all()

    def resume_all(self) -> None:
        if self.engine is not None:
            self.engine.resume_all()

    def retry_now(self) -> None:
        """While waiting for the server: try it again at once."""
        if self.engine is not None:
            self.engine.retry_now()

    def view_selected(self) -> None:
        rows = self.selected_rows()
        if len(rows) == 1:
            self.open_viewer(rows[0].path)

    def _tile_double_clicked(self, index: QModelIndex) -> None:
        row = index.data(PhotoRole.ROW)
        if isinstance(row, PhotoRow):
            self.open_viewer(row.path)

    def open_viewer(self, path: Path) -> QDialog:
        """The interactive 360° view of one photo, in a window of its own (not modal)."""
        # Imported here: numpy and the projection tables are only needed once a viewer opens.
        from thetadesk.gui import viewer

        dialog = viewer.open_viewer(path, self)
        self.viewers.append(dialog)
        dialog.finished.connect(lambda _result, d=dialog: self._viewer_closed(d))
        return dialog

    def _viewer_closed(self, dialog: QDialog) -> None:
        if dialog in self.viewers:
            self.viewers.remove(dialog)

    def show_log(self) -> None:
        from thetadesk.gui.log_viewer import LogViewer

        if self.log_viewer is None:
            self.log_viewer = LogViewer(self.paths.log_file, self)
            self.log_viewer.finished.connect(self._log_viewer_closed)
        self.log_viewer.show()
        self.log_viewer.raise_()
        self.log_viewer.activateWindow()

    def _log_viewer_closed(self, _result: int) -> None:
        if self.log_viewer is not None:
            self.log_viewer.deleteLater()
            self.log_viewer = None

    def open_log_folder(self) -> None:
        if not desktop.open_folder(self.paths.log_dir):
            self.statusBar().showMessage(f"The log folder is {self.paths.log_dir}", 10_000)

    def show_library(self) -> None:
        self.tabs.setCurrentWidget(self.library)

    def refresh_library(self) -> None:
        self.show_library()
        self.library.refresh()

    def _tab_changed(self, position: int) -> None:
        if self.tabs.widget(position) is self.library and not self.library.ever_loaded:
            if not self.library.loading:
                self.library.refresh()

    def _library_sign_in_needed(self, message: str) -> None:
        if self.session is not None:
            self._session_ended(message)

    def pending_uploads(self) -> int:
        """Checked files waiting to be sent (for tests and the summary)."""
        return len(self.model.ids_in_state(UploadState.QUEUED, UploadState.UPLOADING))

    # -- engine events ---------------------------------------------------------------------

    def _events_ready(self) -> None:
        if self.worker_stopped is None and not self._drain_timer.isActive():
            self._drain_timer.start()

    def _drain_events(self) -> None:
        batch = self.worker.take()
        generation = self._generation
        items: list[QueueItem] = []

        def apply_items() -> None:
            for row in self.model.apply_items(items):
                self._request_details(row)
            items.clear()

        uploaded = False
        for event_generation, event in batch.events:
            if event_generation != generation:
                continue  # from the engine of an account no longer shown
            if isinstance(event, ItemChanged):
                items.append(event.item)
                uploaded = uploaded or event.item.state is ItemState.UPLOADED
                continue
            apply_items()
            if isinstance(event, Inspected):
                self.model.set_inspection(event.path, event.inspection)
            elif isinstance(event, StatusChanged):
                self._on_status(event)
            elif isinstance(event, QueueBusyNotice):
                self._on_queue_busy(event.message)
        apply_items()
        if uploaded:
            self.library.refresh_soon()  # uploads appear in the Library as they finish
        for (event_generation, item_id), (sent, total) in batch.progress.items():
            if event_generation == generation:
                self.model.set_progress(item_id, sent, total)

    def _on_status(self, event: StatusChanged) -> None:
        if self._queue_busy and event.status is not QueueStatus.STOPPED:
            # This window runs the queue now: catch up with what the other process did.
            self._queue_busy = ""
            self.banner.show_busy(self._store_problem)
            if self.engine is not None:
                for row in self.model.reset_items(self.engine.items()):
                    self._request_details(row)
        self.queue_status = event
        waiting = {
            QueueStatus.SIGN_IN_NEEDED: WAITING_FOR_SIGN_IN,
            QueueStatus.WAITING_FOR_SERVER: "waiting for the server",
            QueueStatus.PAUSED: "paused",
        }.get(event.status, "")
        self.model.set_waiting(waiting)
        self.banner.show_status(event)
        paused = event.status is QueueStatus.PAUSED
        self.act_pause_all.setText("Resume &All" if paused else "&Pause All")
        self.pause_button.setText("Resume All" if paused else "Pause All")
        self.act_retry_now.setEnabled(event.status is QueueStatus.WAITING_FOR_SERVER)
        if event.status is QueueStatus.SIGN_IN_NEEDED and self.session is not None:
            self._session_ended(event.reason)

    def _on_queue_busy(self, message: str) -> None:
        self._queue_busy = message
        self.banner.show_busy(message)

    def _request_details(self, row: PhotoRow) -> None:
        """Thumbnail for a new row; its inspection too when it was checked in an earlier run."""
        self.thumbnails.request(row.path, row.stamp)
        if row.inspection is None and row.item.verdict and row.item.state is not ItemState.CHECKING:
            path = row.path

            def inspected(outcome: Outcome[Inspection]) -> None:
                current = self.model.row_for(path)
                if outcome.value is not None and current is not None and current.inspection is None:
                    self.model.set_inspection(path, outcome.value)

            run_in_pool(lambda: inspect_file(path), self, inspected, pool=self.thumbnails.pool)

    def _on_thumbnails(self, thumbnails: list[Thumbnail]) -> None:
        if self.model.set_thumbnails(thumbnails) and any(not t.sharp for t in thumbnails):
            self._sharp_soon()

    def _sharp_soon(self) -> None:
        if not self._sharp_timer.isActive():
            self._sharp_timer.start()

    def _request_sharp(self) -> None:
        """Sharper decodes for the tiles on screen whose EXIF thumbnail is smaller than
        the tile (in device pixels); requests for tiles no longer on screen are dropped."""
        rows = [
            row
            for index in self.grid.visible_indexes()
            if isinstance(row := index.data(PhotoRole.ROW), PhotoRow)
        ]
        self.thumbnails.keep_sharp(row.stamp for row in rows)
        size = self.grid.thumbnail_pixels()
        self.thumbnails.request_sharp(
            (
                (row.path, row.stamp)
                for row in rows
                if row.thumbnail is not None
                and not row.sharp
                and row.thumbnail.width() < size.width()
                and row.thumbnail.height() < size.height()
            ),
            size,
        )

    # -- signing in ------------------------------------------------------------------------

    def _session_ended(self, message: str) -> None:
        log.info("the session ended: %s", message)
        self.session = None
        self._update_account()
        # Not from inside this event's delivery: the dialog runs its own event loop.
        QTimer.singleShot(0, self, lambda: self.sign_in(message))

    def sign_in(self, message: str = "") -> None:
        """Show the sign-in dialog; on success the waiting uploads resume."""
        if self._asking_sign_in or self.worker_stopped is not None:
            return
        server, username = self.account
        self._asking_sign_in = True
        try:
            session = login_dialog.ask(
                self,
                server_url=(server or self.app_settings.server_url).rstrip("/"),
                username=username or self.app_settings.username,
                message=message,
                remember=self.app_settings.remember_me,
                keychain_note=self.credentials.problem,
            )
        finally:
            self._asking_sign_in = False
        if session is None:
            self.statusBar().showMessage("Not signed in: uploadable photos wait here.", 8000)
            return
        self.set_session(session)

    def set_session(self, session: Session) -> None:
        """Use this signed-in session (what a successful sign-in does)."""
        if self.worker_stopped is not None:
            return
        self._use_session(session)

    # -- settings and signing out ----------------------------------------------------------

    def open_settings(self) -> None:
        session = self.session
        who = f"{session.username} on {session.server_url.rstrip('/')}" if session else ""
        choice = settings_dialog.ask(
            self, self.app_settings, signed_in_as=who, keychain_note=self.credentials.problem
        )
        if choice is None:
            return
        self.apply_settings(choice.settings)
        if choice.sign_out:
            self.sign_out()

    def apply_settings(self, new: AppSettings) -> None:
        """Keep and use new settings (batch defaults apply to files added from now on)."""
        old = self.app_settings
        self.app_settings = new
        self.settings_store.save(new)
        session = self.session
        if session is not None and new.remember_me != session.remember:
            session = Session(session.client, session.username, remember=new.remember_me)
            self._remember(session.client, session)
            self.session = session
        server, username = self.account
        if not _same_server(new.server_url, server):
            self._change_server(new.server_url, username or new.username)
        elif (new.parallel_uploads, new.needs_review, new.public_gps) != (
            old.parallel_uploads,
            old.needs_review,
            old.public_gps,
        ):
            if self.client is not None:
                self._switch_account(self.client, username)  # the engine starts again

    def _change_server(self, server_url: str, username: str) -> None:
        """Another server: its queue is shown, and signing in there is asked for."""
        self.session = None
        client = _account_client(server_url)
        if not (username and self._resume_saved_session(client, username)):
            self._switch_account(client, username)
            self._update_account()
            QTimer.singleShot(0, self, lambda: self.sign_in())

    def sign_out(self) -> None:
        """Forget the session and its keychain entry; queued files wait for a sign-in."""
        session = self.session
        if session is None:
            return
        self.session = None
        self.credentials.delete(session.client.base_url, session.username)
        session.client.tokens.set_listener(None)
        session.client.sign_out()
        log.info("signed out of %s as %s", session.server_url, session.username)
        if self.client is not None:
            # A fresh engine on the token-less client: uploads stop and wait at once.
            self._switch_account(self.client, self.account[1])
        self._update_account()
        self.statusBar().showMessage("Signed out. Queued photos wait until you sign in.", 8000)

    def _update_account(self) -> None:
        self.library.set_client(self.session.client if self.session is not None else None)
        self.act_sign_out.setEnabled(self.session is not None)
        if self.session is not None:
            who, where = html.escape(self.session.username), html.escape(self.session.server_url)
            text = f"Signed in as <b>{who}</b> on {where}"
        else:
            text = "Not signed in"
        self.account_label.setText(text)
        self.sign_in_button.setVisible(self.session is None)

    def _summary_changed(self, *_: object) -> None:
        if not self._summary_timer.isActive():
            self._summary_timer.start()

    def _update_summary(self, *_: object) -> None:
        self._summary_timer.stop()
        self.summary_label.setText(self.model.summary())
        counts = self.model.counts()
        for position in range(self.filter_box.count()):
            choice = StatusFilter(self.filter_box.itemData(position))
            n = (
                len(self.model.rows)
                if choice is StatusFilter.ALL
                else sum(counts[state] for state in choice.states)
            )
            self.filter_box.setItemText(position, f"{choice.value} ({n})")
        self.transfer = self.meter.update(self.model.rows)
        text = self.transfer.describe()
        self.progress_label.setText(text)
        self.progress_label.setVisible(self.transfer.active)
        self.progress_bar.setVisible(self.transfer.active)
        self.progress_bar.setValue(round(self.transfer.fraction * 1000))
        self._update_actions()
        self.grid.viewport().update()

    def _filter_changed(self, position: int) -> None:
        value = self.filter_box.itemData(position)
        if value:
            self.filter_model.set_status_filter(StatusFilter(value))

    def set_status_filter(self, choice: StatusFilter) -> None:
        self.filter_box.setCurrentIndex(self.filter_box.findData(choice))

    def _selection_changed(self, *_: object) -> None:
        self.details.show_rows(self.selected_rows())
        self._update_actions()

    def _selected_rows_changed(self, *_: object) -> None:
        if self.grid.selectionModel().hasSelection():
            self.details.show_rows(self.selected_rows())

    def _update_actions(self) -> None:
        selected = self.selected_rows()
        states = {row.state for row in selected}
        counts = self.model.counts()
        retryable = (UploadState.FAILED, UploadState.CANCELLED)
        can_retry = any(s in states for s in retryable) or (
            not selected and any(counts[s] for s in retryable)
        )
        can_approve = UploadState.HELD in states or (not selected and counts[UploadState.HELD])
        self.act_retry_failed.setEnabled(bool(can_retry))
        self.retry_button.setEnabled(bool(can_retry))
        self.act_upload_anyway.setEnabled(bool(can_approve))
        self.upload_anyway_button.setEnabled(bool(can_approve))
        self.act_remove.setEnabled(bool(selected))
        self.remove_button.setEnabled(bool(selected))
        self.act_pause_selected.setEnabled(any(s in _PAUSABLE for s in states))
        self.act_resume_selected.setEnabled(UploadState.PAUSED in states)
        self.act_view_360.setEnabled(len(selected) == 1)
        self.act_fix_metadata.setEnabled(
            len(selected) == 1
            and selected[0].inspection is not None
            and why_not_fixable(selected[0].inspection) is None
        )

    # -- quitting --------------------------------------------------------------------------

    def shutdown(self, timeout_ms: int = WORKER_STOP_TIMEOUT_MS) -> bool:
        """Stop the engine (a running upload stays queued) and wait for its thread, bounded."""
        if self.worker_stopped is not None:
            return self.worker_stopped
        self._save_window_state()
        for dialog in list(self.viewers):
            dialog.close()  # stops its decoding thread
        if self.log_viewer is not None:
            self.log_viewer.close()
        thread = self.upload_thread
        # Commands first: they write to the queue and report through the worker.
        commands_done = stop_pool(self._commands, COMMAND_STOP_TIMEOUT_MS)
        self.worker.stop()
        stopped = thread.wait(timeout_ms)
        if not stopped:
            log.error("the upload worker did not stop within %d ms", timeout_ms)
            _abandoned_threads.append((thread, self.worker))
        self._drain_timer.stop()
        self._sharp_timer.stop()
        self.thumbnails.shutdown()
        self.library.shutdown()
        if stopped and commands_done:
            self.store.close()
        self.worker_stopped = stopped
        return stopped

    def _restore_window_state(self) -> None:
        """Size, position, splitter and tab as the user left them (the default size else)."""
        store = self.settings_store
        geometry = store.window_state("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = store.window_state("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    def _save_window_state(self) -> None:
        store = self.settings_store
        store.save_window_state("geometry", self.saveGeometry())
        store.save_window_state("splitter", self.splitter.saveState())

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
