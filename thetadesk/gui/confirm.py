"""Questions the window asks before doing something that cannot be undone, and notices
it must not let pass unseen.

`ask()` and `tell()` are the entry points; tests patch them (pytest-qt cannot click a
modal box).
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def ask(
    parent: QWidget | None,
    *,
    title: str,
    text: str,
    informative: str = "",
    confirm: str = "OK",
    destructive: bool = False,
) -> bool:
    """Show a modal question; True when the user chose `confirm`.

    A destructive question starts on Cancel, so Enter alone does not delete anything.
    """
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question)
    box.setWindowTitle(title)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)
    role = (
        QMessageBox.ButtonRole.DestructiveRole if destructive else QMessageBox.ButtonRole.AcceptRole
    )
    ok = box.addButton(confirm, role)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel if destructive else ok)
    try:
        box.exec()
        return box.clickedButton() is ok
    finally:
        box.deleteLater()


def tell(parent: QWidget | None, *, title: str, text: str) -> None:
    """Show a modal notice of something the user must not miss (tests patch it too)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    try:
        box.exec()
    finally:
        box.deleteLater()
