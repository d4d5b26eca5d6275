"""The side panel: everything about the selected file, and its upload form before it goes.

One file selected: the full path, the upload state with its reason, the metadata panel
(verdict with every reason, camera, pixel size, GPano, pose, GPS with its warning), and the
form fields the upload will send (title, description, attribution, license link, category,
public), editable until the file is being sent. Several selected: how many, in which states.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from thetadesk.core.engine import default_title
from thetadesk.core.inspection import Inspection
from thetadesk.core.queue_store import ItemState, printable_path
from thetadesk.core.uploader import CATEGORIES, license_link_problem
from thetadesk.gui.metadata_panel import MetadataPanel
from thetadesk.gui.photo_model import PhotoRow
from thetadesk.gui.tile_delegate import state_line

# Where the engine still takes per-photo edits (UploadEngine.set_fields).
EDITABLE_STATES = frozenset(
    {ItemState.QUEUED, ItemState.READY, ItemState.HELD, ItemState.PAUSED, ItemState.FAILED}
)


class DetailsPanel(QWidget):
    """Signals:
    fieldsEdited(int, dict): the user saved new form values for this queue item.
    """

    fieldsEdited = Signal(int, dict)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsPanel")
        self._row: PhotoRow | None = None
        self._shown_inspection: Inspection | None = None

        self.heading = QLabel()
        self.heading.setObjectName("detailsHeading")
        self.heading.setWordWrap(True)
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body = QLabel()
        self.body.setObjectName("detailsBody")
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        self.title_edit = QLineEdit()
        self.description_edit = QPlainTextEdit()
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setMaximumHeight(70)
        self.attribution_edit = QLineEdit()
        self.license_edit = QLineEdit()
        self.license_edit.setPlaceholderText("https://creativecommons.org/licenses/by/4.0/")
        self.category_box = QComboBox()
        self.category_box.addItems(CATEGORIES)
        self.public_box = QCheckBox("Public")
        self.save_button = QPushButton("Save Changes")
        self.save_button.clicked.connect(self._save)
        self.form_note = QLabel()
        self.form_note.setWordWrap(True)

        self.form = QWidget()
        form = QFormLayout(self.form)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("&Title:", self.title_edit)
        form.addRow("&Description:", self.description_edit)
        form.addRow("&Attribution:", self.attribution_edit)
        form.addRow("&License link:", self.license_edit)
        form.addRow("&Category:", self.category_box)
        form.addRow("", self.public_box)
        form.addRow("", self.save_button)
        form.addRow(self.form_note)

        # Camera, pixel size, GPano, pose, GPS (with the warning that public uploads
        # publish it), the verdict and every reason.
        self.metadata = MetadataPanel()
        self.metadata.title.hide()  # the heading above already names the file

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.body)
        layout.addWidget(self.metadata)
        layout.addWidget(self.form)
        layout.addStretch(1)
        self.show_rows([])

    @property
    def row(self) -> PhotoRow | None:
        return self._row

    def show_rows(self, rows: Sequence[PhotoRow]) -> None:
        """Show the selection (refreshes the form only when another file is shown)."""
        if len(rows) == 1:
            self._show_one(rows[0])
            return
        self._row = None
        self.form.hide()
        self.metadata.hide()
        self.metadata.show_inspection(None)
        self._shown_inspection = None
        if not rows:
            self.heading.setText("<b>No photo selected</b>")
            self.body.setText(
                "Select a tile to see every reason for its verdict and edit what will be "
                "sent. Ctrl+A selects all."
            )
            return
        counts = Counter(row.state.value for row in rows)
        self.heading.setText(f"<b>{len(rows)} photos selected</b>")
        self.body.setText(
            "<br>".join(f"{n} {html.escape(state)}" for state, n in sorted(counts.items()))
        )

    def _show_one(self, row: PhotoRow) -> None:
        another = self._row is None or self._row.item_id != row.item_id
        fields_changed = self._row is not None and self._row.item.fields != row.item.fields
        self._row = row
        self.heading.setText(f"<b>{html.escape(row.path.name)}</b>")
        lines = [html.escape(printable_path(row.path))]
        state = state_line(row) or row.state.value
        lines.append(f"<b>Upload:</b> {html.escape(state)}")
        if row.inspection is not None:
            reasons: tuple[str, ...] = row.inspection.reasons
            if row.inspection != self._shown_inspection:
                self.metadata.show_inspection(row.inspection)
                self._shown_inspection = row.inspection
            self.metadata.show()
        else:
            # Checked in an earlier run and not read again yet: what the queue kept.
            self.metadata.hide()
            reasons = tuple(row.item.reason.split("; ")) if row.item.verdict else ()
            verdict = row.verdict.replace("_", " ")
            if verdict:
                lines.append(f"<b>Verdict:</b> {html.escape(verdict)}")
            lines += [f"• {html.escape(reason)}" for reason in reasons]
        if row.reason and row.reason not in state and row.reason != "; ".join(reasons):
            lines.append(html.escape(row.reason))
        self.body.setText("<br>".join(lines))
        editable = row.item.state in EDITABLE_STATES
        self.form.show()
        for widget in (
            self.title_edit,
            self.description_edit,
            self.attribution_edit,
            self.license_edit,
            self.category_box,
            self.public_box,
            self.save_button,
        ):
            widget.setEnabled(editable)
        self.form_note.setText(
            ""
            if editable
            else "Being checked or sent, or already sent: the form can no longer change."
        )
        if another or fields_changed:
            self._fill(row)

    def _fill(self, row: PhotoRow) -> None:
        fields = row.item.fields
        self.title_edit.setText(fields.get("title") or default_title(row.path))
        self.description_edit.setPlainText(fields.get("description", ""))
        self.attribution_edit.setText(fields.get("attribution", ""))
        self.license_edit.setText(fields.get("license_link", ""))
        category = fields.get("category") or "OTHER"
        self.category_box.setCurrentIndex(max(0, self.category_box.findText(category)))
        self.public_box.setChecked(fields.get("is_public", "true") != "false")

    def form_values(self) -> dict[str, str]:
        return {
            "title": self.title_edit.text().strip(),
            "description": self.description_edit.toPlainText().strip(),
            "attribution": self.attribution_edit.text().strip(),
            "license_link": self.license_edit.text().strip(),
            "category": self.category_box.currentText(),
            "is_public": "true" if self.public_box.isChecked() else "false",
        }

    def _save(self) -> None:
        if self._row is None:
            return
        values = self.form_values()
        problem = license_link_problem(values["license_link"])
        if problem:  # the server would refuse it, but only after taking the photo
            self.form_note.setText(problem[0].upper() + problem[1:])
            return
        self.fieldsEdited.emit(self._row.item_id, values)
