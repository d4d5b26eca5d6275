"""The Settings dialog. `ask()` is the one entry point the window uses and tests patch.

It edits an AppSettings (gui/settings.py) and answers with the new one; it never sees a
token. "Sign Out" closes it with `sign_out=True`: the window forgets the session and the
keychain entry.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from thetadesk.core.api import normalize_server_url
from thetadesk.core.errors import InsecureServerUrl
from thetadesk.core.uploader import CATEGORIES, license_link_problem
from thetadesk.gui.settings import (
    MAX_PARALLEL_UPLOADS,
    SERVER_PRESETS,
    AppSettings,
    title_pattern_problem,
)

CUSTOM = "Other server"
NEEDS_REVIEW_LABELS = {
    "hold": "Hold them until I choose “Upload Anyway”",
    "reject": "Never upload them",
}
GPS_LABELS = {
    "hold": "Hold them until I choose “Upload Anyway”",
    "send": "Upload them like the others",
}


@dataclass(frozen=True)
class SettingsChoice:
    settings: AppSettings
    sign_out: bool = False


class SettingsDialog(QDialog):
    def __init__(
        self,
        settings: AppSettings,
        parent: QWidget | None = None,
        *,
        signed_in_as: str = "",
        keychain_note: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("thetadesk Settings")
        self.setMinimumWidth(520)
        self._settings = settings
        self.sign_out_requested = False

        # -- server --
        self.preset_box = QComboBox()
        for preset in SERVER_PRESETS:
            self.preset_box.addItem(preset.name)
        self.preset_box.addItem(CUSTOM)
        self.server_edit = QLineEdit()
        self.server_edit.setPlaceholderText("https://…")
        self.preset_note = QLabel()
        self.preset_note.setWordWrap(True)
        self.preset_box.currentIndexChanged.connect(self._preset_changed)
        server_form = QFormLayout()
        server_form.addRow("&Server:", self.preset_box)
        server_form.addRow("&Address:", self.server_edit)
        server_form.addRow("", self.preset_note)
        server_group = QGroupBox("Server")
        server_group.setLayout(server_form)

        # -- uploads --
        self.parallel_box = QSpinBox()
        self.parallel_box.setRange(1, MAX_PARALLEL_UPLOADS)
        self.parallel_box.setValue(settings.parallel_uploads)
        self.review_box = QComboBox()
        for key, label in NEEDS_REVIEW_LABELS.items():
            self.review_box.addItem(label, key)
        self.review_box.setCurrentIndex(max(0, self.review_box.findData(settings.needs_review)))
        self.gps_box = QComboBox()
        for key, label in GPS_LABELS.items():
            self.gps_box.addItem(label, key)
        self.gps_box.setCurrentIndex(max(0, self.gps_box.findData(settings.public_gps)))
        self.gps_box.setToolTip(
            "A public upload publishes the photo's GPS position: anyone can see where it was "
            "taken. Photos sent as private are never held for this."
        )
        uploads_form = QFormLayout()
        uploads_form.addRow("&Parallel uploads:", self.parallel_box)
        uploads_form.addRow("Files that &need review:", self.review_box)
        uploads_form.addRow("Public photos with a &GPS position:", self.gps_box)
        uploads_group = QGroupBox("Uploads")
        uploads_group.setLayout(uploads_form)

        # -- batch defaults --
        self.title_edit = QLineEdit(settings.title_pattern)
        self.title_edit.setToolTip(
            "{stem}: file name without extension · {name}: file name · {folder}: its folder "
            "· {n}: number within the batch"
        )
        self.description_edit = QLineEdit(settings.description)
        self.attribution_edit = QLineEdit(settings.attribution)
        self.license_edit = QLineEdit(settings.license_link)
        self.license_edit.setPlaceholderText("https://creativecommons.org/licenses/by/4.0/")
        self.category_box = QComboBox()
        self.category_box.addItems(CATEGORIES)
        self.category_box.setCurrentIndex(max(0, self.category_box.findText(settings.category)))
        self.public_box = QCheckBox("&Public (the demo server publishes every upload)")
        self.public_box.setChecked(settings.public)
        defaults_form = QFormLayout()
        defaults_form.addRow("&Title:", self.title_edit)
        defaults_form.addRow("&Description:", self.description_edit)
        defaults_form.addRow("&Attribution:", self.attribution_edit)
        defaults_form.addRow("&License link:", self.license_edit)
        defaults_form.addRow("&Category:", self.category_box)
        defaults_form.addRow("", self.public_box)
        defaults_group = QGroupBox("For each new photo (editable per photo before it is sent)")
        defaults_group.setLayout(defaults_form)

        # -- account --
        self.remember_box = QCheckBox("&Remember me on this computer (in the system keychain)")
        self.remember_box.setChecked(settings.remember_me)
        self.keychain_label = QLabel(keychain_note)
        self.keychain_label.setWordWrap(True)
        self.keychain_label.setVisible(bool(keychain_note))
        self.account_label = QLabel(
            f"Signed in as {signed_in_as}." if signed_in_as else "Not signed in."
        )
        self.account_label.setTextFormat(Qt.TextFormat.PlainText)
        self.sign_out_button = QPushButton("Sign &Out")
        self.sign_out_button.setEnabled(bool(signed_in_as))
        self.sign_out_button.setToolTip("Forget this session and its keychain entry")
        self.sign_out_button.clicked.connect(self._sign_out)
        account_layout = QVBoxLayout()
        account_layout.addWidget(self.account_label)
        account_layout.addWidget(self.sign_out_button, 0, Qt.AlignmentFlag.AlignLeft)
        account_layout.addWidget(self.remember_box)
        account_layout.addWidget(self.keychain_label)
        account_group = QGroupBox("Account")
        account_group.setLayout(account_layout)

        self.problem_label = QLabel()
        self.problem_label.setObjectName("settingsProblem")
        self.problem_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        for group in (server_group, uploads_group, defaults_group, account_group):
            layout.addWidget(group)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.buttons)
        self._select_server(settings.server_url)

    # -- server presets --------------------------------------------------------------------

    def _select_server(self, url: str) -> None:
        for position, preset in enumerate(SERVER_PRESETS):
            if _same_server(preset.url, url):
                self.preset_box.setCurrentIndex(position)
                self._preset_changed(position)
                self.server_edit.setText(url)
                return
        self.preset_box.setCurrentIndex(len(SERVER_PRESETS))
        self._preset_changed(len(SERVER_PRESETS))
        self.server_edit.setText(url)

    def _preset_changed(self, position: int) -> None:
        if position < len(SERVER_PRESETS):
            preset = SERVER_PRESETS[position]
            self.server_edit.setText(preset.url)
            self.server_edit.setReadOnly(True)
            self.preset_note.setText(preset.note)
        else:
            self.server_edit.setReadOnly(False)
            self.preset_note.setText("Any server that speaks the image360 API.")

    # -- answers ---------------------------------------------------------------------------

    def _sign_out(self) -> None:
        self.sign_out_requested = True
        self.account_label.setText("Signing out when you press OK.")
        self.sign_out_button.setEnabled(False)

    def chosen(self) -> AppSettings | str:
        """The settings as edited, or what is wrong with them."""
        server = self.server_edit.text().strip()
        if not server:
            return "Enter the server's address."
        try:
            normalize_server_url(server)
        except InsecureServerUrl as exc:
            return str(exc)
        pattern = self.title_edit.text().strip() or "{stem}"
        problem = title_pattern_problem(pattern) or license_link_problem(
            self.license_edit.text().strip()
        )
        if problem:
            return problem
        return replace(
            self._settings,
            server_url=server.rstrip("/"),
            parallel_uploads=self.parallel_box.value(),
            needs_review=str(self.review_box.currentData()),
            public_gps=str(self.gps_box.currentData()),
            title_pattern=pattern,
            description=self.description_edit.text().strip(),
            attribution=self.attribution_edit.text().strip(),
            license_link=self.license_edit.text().strip(),
            category=self.category_box.currentText(),
            public=self.public_box.isChecked(),
            remember_me=self.remember_box.isChecked(),
        )

    def accept(self) -> None:
        result = self.chosen()
        if isinstance(result, str):
            self.problem_label.setText(result)
            return
        super().accept()


def _same_server(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


def ask(
    parent: QWidget | None,
    settings: AppSettings,
    *,
    signed_in_as: str = "",
    keychain_note: str = "",
) -> SettingsChoice | None:
    """Show the dialog modally; the new settings, or None when the user cancels."""
    dialog = SettingsDialog(
        settings, parent, signed_in_as=signed_in_as, keychain_note=keychain_note
    )
    try:
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        chosen = dialog.chosen()
        assert isinstance(chosen, AppSettings)
        return SettingsChoice(chosen, sign_out=dialog.sign_out_requested)
    finally:
        dialog.deleteLater()
