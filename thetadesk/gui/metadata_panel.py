"""A side panel with what inspection found in one photo: camera, pixels, GPano, pose, GPS.

`MetadataPanel.show_inspection(inspection)` fills it; `None` clears it. When the photo
carries a GPS position a warning says that uploading to a public server publishes it.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from thetadesk.core.inspection import Inspection

GPS_WARNING = (
    "This photo contains its GPS position. Uploading it to a public server publishes "
    "where it was taken."
)
_NONE = "—"

# Amber warning colours (background, text, border) for a light and a dark theme.
_WARNING_LIGHT = ("#fff3cd", "#664d03", "#ffda6a")
_WARNING_DARK = ("#3d3000", "#ffe69c", "#997404")


def warning_style(palette: QPalette) -> str:
    """The GPS warning's style sheet, readable on the theme the palette belongs to."""
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    background, text, border = _WARNING_DARK if dark else _WARNING_LIGHT
    return (
        f"#gpsWarning {{ background: {background}; color: {text}; "
        f"border: 1px solid {border}; border-radius: 4px; padding: 6px; }}"
    )


# (label, GPano property) in the order a photographer reads them.
GPANO_ROWS = (
    ("Projection", "ProjectionType"),
    ("Panorama viewer", "UsePanoramaViewer"),
    ("Cropped area", ("CroppedAreaImageWidthPixels", "CroppedAreaImageHeightPixels")),
    ("Full panorama", ("FullPanoWidthPixels", "FullPanoHeightPixels")),
    ("Cropped offset", ("CroppedAreaLeftPixels", "CroppedAreaTopPixels")),
)
POSE_ROWS = (
    ("Heading", "PoseHeadingDegrees"),
    ("Pitch", "PosePitchDegrees"),
    ("Roll", "PoseRollDegrees"),
)


class MetadataPanel(QWidget):
    """Read-only view of one `Inspection` (no signals: it only shows)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.gps_warning = QLabel(GPS_WARNING)
        self.gps_warning.setWordWrap(True)
        self.gps_warning.setObjectName("gpsWarning")
        self.gps_warning.setStyleSheet(warning_style(self.palette()))
        self.gps_warning.hide()
        self._form = QFormLayout()
        self._values: dict[str, QLabel] = {}
        for label in self.field_labels():
            value = QLabel(_NONE)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self._values[label] = value
            self._form.addRow(label + ":", value)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.verdict)
        layout.addWidget(self.gps_warning)
        layout.addLayout(self._form)
        layout.addStretch(1)
        self.show_inspection(None)

    def changeEvent(self, event: QEvent) -> None:
        # The system switched between light and dark: follow it.
        if event.type() == QEvent.Type.PaletteChange:
            self.gps_warning.setStyleSheet(warning_style(self.palette()))
        super().changeEvent(event)

    @staticmethod
    def field_labels() -> list[str]:
        return [
            "Camera",
            "Firmware",
            "Pixel size",
            *(label for label, _ in GPANO_ROWS),
            *(label for label, _ in POSE_ROWS),
            "GPS position",
        ]

    def value(self, label: str) -> str:
        """The text shown for a field (for tests and accessibility checks)."""
        return self._values[label].text()

    def show_inspection(self, inspection: Inspection | None) -> None:
        if inspection is None:
            self.title.setText("No photo selected")
            self.verdict.setText("")
            self.gps_warning.hide()
            for value in self._values.values():
                value.setText(_NONE)
            return
        self.title.setText(f"<b>{html.escape(inspection.path.name)}</b>")
        reasons = "".join(f"<li>{html.escape(reason)}</li>" for reason in inspection.reasons)
        self.verdict.setText(
            f"Verdict: <b>{html.escape(inspection.verdict.value)}</b><ul>{reasons}</ul>"
        )
        camera = " ".join(part for part in (inspection.make, inspection.model) if part)
        if inspection.model.upper().startswith(inspection.make.upper()) and inspection.make:
            camera = inspection.model
        if inspection.camera_code:
            camera += f" (code {inspection.camera_code})"
        self._set("Camera", camera)
        self._set("Firmware", inspection.firmware)
        size = ""
        if inspection.width and inspection.height:
            size = f"{inspection.width} × {inspection.height}"
            if inspection.exif_width and inspection.exif_height:
                exif = (inspection.exif_width, inspection.exif_height)
                if exif != (inspection.width, inspection.height):
                    size += f" (EXIF says {exif[0]} × {exif[1]})"
        self._set("Pixel size", size)
        gpano = inspection.gpano
        for label, key in GPANO_ROWS:
            if isinstance(key, tuple):
                first, second = gpano.get(key[0]), gpano.get(key[1])
                text = f"{first} × {second}" if first and second else ""
                if label == "Cropped offset" and first and second:
                    text = f"{first}, {second}"
            else:
                text = gpano.get(key, "")
            self._set(label, text)
        for label, key in POSE_ROWS:
            degrees = gpano.get(key)
            self._set(label, f"{degrees}°" if degrees else "")
        self._set("GPS position", "yes" if inspection.has_gps else "no")
        self.gps_warning.setVisible(inspection.has_gps)

    def _set(self, label: str, text: str) -> None:
        self._values[label].setText(text or _NONE)
