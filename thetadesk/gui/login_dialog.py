"""The sign-in dialog. `ask()` is the one entry point the window uses and tests patch."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from thetadesk.core.api import Image360Client
from thetadesk.core.errors import ApiError, InsecureServerUrl, ServerUnreachable
from thetadesk.gui.background import Outcome, run_in_pool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Session:
    """A signed-in client and who signed in, for the window's title line."""

    client: Image360Client
    username: str
    remember: bool = True  # keep the refresh token in the keychain ("Remember me")

    @property
    def server_url(self) -> str:
        return self.client.base_url


def describe_sign_in_error(exc: Exception) -> str:
    if isinstance(exc, ServerUnreachable):
        return f"{exc}. Is the server running, and is the address right?"
    if isinstance(exc, ApiError | InsecureServerUrl):
        return str(exc)  # for a refused password: the server's own `detail`
    return f"Sign-in failed unexpectedly ({type(exc).__name__})."


class LoginDialog(QDialog):
    """Asks for server, username and password; signs in on a pool thread.

    The dialog stays responsive while the request runs (up to the client's connect
    timeout); a result that arrives after Cancel, or after a newer attempt, is ignored.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        server_url: str = "",
        username: str = "",
        message: str = "",
        remember: bool = True,
        keychain_note: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to an image360 server")
        self.session: Session | None = None
        self._attempt = 0

        self.server_edit = QLineEdit(server_url)
        self.server_edit.setPlaceholderText("https://example.org or http://127.0.0.1:8765")
        self.username_edit = QLineEdit(username)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.message_label = QLabel(message)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setObjectName("signInMessage")

        self.remember_box = QCheckBox("&Remember me on this computer")
        self.remember_box.setChecked(remember)
        self.remember_box.setToolTip(
            "Keeps the sign-in (never the password) in the system keychain, so the next "
            "start does not ask."
        )
        self.keychain_label = QLabel(keychain_note)
        self.keychain_label.setWordWrap(True)
        self.keychain_label.setVisible(bool(keychain_note))
        self.keychain_label.setObjectName("keychainNote")

        form = QFormLayout()
        form.addRow("&Server:", self.server_edit)
        form.addRow("&Username:", self.username_edit)
        form.addRow("&Password:", self.password_edit)
        form.addRow("", self.remember_box)
        form.addRow("", self.keychain_label)

        # Made with the dialog as parent: setDefault() tells the dialog only if the button
        # is already inside it, and else the dialog makes Cancel the default when it is
        # shown (Return would cancel instead of signing in).
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.sign_in_button = self.buttons.addButton(
            "Sign in", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.sign_in_button.setDefault(True)
        # While signing in the fields are disabled and focus moves on to Cancel: as an
        # auto-default button it would become the default, and a second Return cancel.
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAutoDefault(False)
        self.buttons.accepted.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)
        # Focus where typing is needed first.
        (self.password_edit if server_url and username else self.server_edit).setFocus()

    @property
    def busy(self) -> bool:
        return not self.sign_in_button.isEnabled()

    def sign_in(self) -> None:
        """Start signing in with what is typed; the dialog accepts when it succeeds."""
        if self.busy:
            return
        server = self.server_edit.text().strip()
        username = self.username_edit.text().strip()
        password = self.password_edit.text()
        if not (server and username and password):
            self.show_message("Enter the server address, your username and your password.")
            return
        try:
            client = Image360Client(server)
        except InsecureServerUrl as exc:
            self.show_message(str(exc))
            return
        self._attempt += 1
        attempt = self._attempt
        self._set_busy(True)
        self.show_message(f"Signing in to {client.base_url}…")
        log.info("signing in to %s as %s", client.base_url, username)

        def done(outcome: Outcome[None]) -> None:
            self._sign_in_done(attempt, client, username, outcome)

        run_in_pool(lambda: client.sign_in(username, password), self, done)

    def _sign_in_done(
        self, attempt: int, client: Image360Client, username: str, outcome: Outcome[None]
    ) -> None:
        if attempt != self._attempt:
            return  # cancelled, or superseded by a newer attempt
        self._set_busy(False)
        if outcome.error is not None:
            log.info("sign-in to %s failed: %s", client.base_url, outcome.error)
            self.show_message(describe_sign_in_error(outcome.error))
            self.password_edit.selectAll()
            self.password_edit.setFocus()
            return
        self.session = Session(client, username, remember=self.remember_box.isChecked())
        self.accept()

    def reject(self) -> None:
        self._attempt += 1  # a sign-in still running is ignored when it answers
        super().reject()

    def show_message(self, text: str) -> None:
        self.message_label.setText(text)

    def _set_busy(self, busy: bool) -> None:
        for widget in (
            self.server_edit,
            self.username_edit,
            self.password_edit,
            self.remember_box,
        ):
            widget.setEnabled(not busy)
        self.sign_in_button.setEnabled(not busy)


def ask(
    parent: QWidget | None = None,
    *,
    server_url: str = "",
    username: str = "",
    message: str = "",
    remember: bool = True,
    keychain_note: str = "",
) -> Session | None:
    """Show the dialog modally; the signed-in session, or None when the user cancels.

    `keychain_note` says why "Remember me" cannot outlive this run (no secure keychain).
    """
    dialog = LoginDialog(
        parent,
        server_url=server_url,
        username=username,
        message=message,
        remember=remember,
        keychain_note=keychain_note,
    )
    try:
        if dialog.exec() == QDialog.DialogCode.Accepted:
            return dialog.session
        return None
    finally:
        dialog.deleteLater()
