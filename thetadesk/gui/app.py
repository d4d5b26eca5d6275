"""Starting the desktop app: `python -m thetadesk.gui` or the `thetadesk-gui` script."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence

from PySide6.QtCore import QMessageLogContext, QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from thetadesk import __version__
from thetadesk.core.api import Image360Client, normalize_server_url
from thetadesk.core.credentials import CredentialStore
from thetadesk.core.errors import ApiError, InsecureServerUrl
from thetadesk.core.logging_setup import init_logging
from thetadesk.core.paths import AppPaths
from thetadesk.gui import login_dialog
from thetadesk.gui.crash_dialog import install_excepthook
from thetadesk.gui.login_dialog import Session, describe_sign_in_error
from thetadesk.gui.main_window import MainWindow
from thetadesk.gui.resources import app_icon
from thetadesk.gui.settings import LOCAL_SERVER, SettingsStore

log = logging.getLogger(__name__)

DEFAULT_SERVER = LOCAL_SERVER
PASSWORD_ENV = "THETADESK_PASSWORD"

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, list[str]]:
    """Our options, and whatever is left for Qt (e.g. -platform, -style)."""
    parser = argparse.ArgumentParser(
        prog="thetadesk-gui",
        description="Check RICOH THETA 360° photos and upload them to an image360 server.",
    )
    parser.add_argument("--server", help=f"server address (default {DEFAULT_SERVER})")
    parser.add_argument("--username", default="", help="account to sign in with")
    parser.add_argument("--version", action="version", version=f"thetadesk {__version__}")
    return parser.parse_known_args(argv)


def _route_qt_messages(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    logging.getLogger("qt").log(_QT_LEVELS.get(kind, logging.WARNING), "%s", message)


def sign_in_from_environment(server: str, username: str) -> Session | str | None:
    """Sign in without the dialog when THETADESK_PASSWORD is set (the README's run command).

    Returns the session, a message for the dialog when that failed, or None when there was
    nothing to try. The password is read here and passed on; it is never logged.
    """
    password = os.environ.get(PASSWORD_ENV)
    if not password or not username:
        return None
    try:
        client = Image360Client(server)
        client.sign_in(username, password)
    except (ApiError, InsecureServerUrl) as exc:
        log.warning("signing in as %s from %s failed: %s", username, PASSWORD_ENV, exc)
        return describe_sign_in_error(exc)
    log.info("signed in to %s as %s", client.base_url, username)
    return Session(client, username)


def open_main_window(
    args: argparse.Namespace,
    *,
    paths: AppPaths | None = None,
    credentials: CredentialStore | None = None,
) -> MainWindow:
    """Sign in (directly, with a remembered session, or through the dialog); show the window."""
    paths = (paths or AppPaths.default()).ensure()
    settings_store = SettingsStore(paths.settings_file)
    settings = settings_store.load()
    credentials = credentials or CredentialStore()
    server = args.server or settings.server_url or DEFAULT_SERVER
    username = args.username or settings.username
    attempt = sign_in_from_environment(server, username) if args.server else None
    session = attempt if isinstance(attempt, Session) else None
    if session is None and not _remembered(credentials, server, username):
        session = login_dialog.ask(
            server_url=server,
            username=username,
            message=attempt if isinstance(attempt, str) else "",
            remember=settings.remember_me,
            keychain_note=credentials.problem,
        )
    # Cancelling the dialog still opens the window: photos can be checked signed out, and
    # the uploadable ones wait for "Sign In…".
    window = MainWindow(
        session,
        server_url=server,
        username=username,
        paths=paths,
        settings=settings_store,
        credentials=credentials,
    )
    window.show()
    return window


def _remembered(credentials: CredentialStore, server: str, username: str) -> bool:
    """Whether "Remember me" kept a session for this account (the window resumes it)."""
    if not username:
        return False
    try:
        return credentials.load(normalize_server_url(server), username) is not None
    except InsecureServerUrl:
        return False


def setup_application(qt_args: Sequence[str] = ()) -> QApplication:
    """The QApplication with its names and icon, Qt's messages in our log, and the crash
    path: an uncaught exception is logged at CRITICAL and shown in a dialog whose text can
    be copied (crash_dialog.install_excepthook)."""
    qInstallMessageHandler(_route_qt_messages)
    app = QApplication.instance() or QApplication([sys.argv[0], *qt_args])
    assert isinstance(app, QApplication)
    app.setApplicationName("thetadesk")
    app.setApplicationDisplayName("thetadesk")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    install_excepthook("thetadesk")
    return app


def main(argv: Sequence[str] | None = None) -> int:
    args, qt_args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        log_file = init_logging(AppPaths.default().log_dir, stderr_level=logging.WARNING)
    except OSError as exc:  # an unwritable log folder must not stop the app
        logging.basicConfig(level=logging.INFO)
        log.warning("logging to stderr only: %s", exc)
    else:
        log.info("thetadesk %s, log file %s", __version__, log_file)
    app = setup_application(qt_args)
    window = open_main_window(args)
    # Ctrl+C in the terminal quits like closing the window. Python runs signal handlers only
    # between bytecodes, so a timer lets the interpreter in while Qt's loop waits.
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    wake = QTimer(app)
    wake.timeout.connect(lambda: None)
    wake.start(250)
    code = app.exec()
    window.shutdown()
    return code
