"""What starting the window costs: nothing slow before the first paint (issue 6, target 5).

No timing here: the checks are on what is imported and when deferred work runs.
"""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtWidgets import QLabel

from thetadesk.gui import first_paint
from thetadesk.gui.first_paint import after_first_paint

# Modules the window must not load before it shows: the HTTP stack comes with the first
# request, the 360 viewer's numpy with the first view.
NOT_AT_START = ("requests", "urllib3", "truststore", "numpy")


def test_the_app_module_loads_without_the_http_stack_or_numpy():
    code = (
        "import sys, thetadesk.gui.app\n"
        f"print(sorted(m for m in {NOT_AT_START!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


def test_the_gui_package_loads_the_keychain_before_pyside6():
    code = (
        "import sys, thetadesk.gui\n"
        "print('keyring.backend' in sys.modules, 'PySide6.QtCore' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.split() == ["True", "False"]


def test_work_after_the_first_paint_runs_once_the_widget_has_painted(qtbot):
    label = QLabel("hello")
    qtbot.addWidget(label)
    calls: list[bool] = []
    after_first_paint(label, lambda: calls.append(label.isVisible()))
    assert calls == []
    label.show()
    qtbot.waitUntil(lambda: calls == [True])
    label.update()
    qtbot.wait(50)
    assert calls == [True]  # once


def test_work_for_a_widget_never_shown_still_runs(qtbot, monkeypatch):
    monkeypatch.setattr(first_paint, "FALLBACK_MS", 10)
    label = QLabel("never shown")
    qtbot.addWidget(label)
    calls: list[str] = []
    after_first_paint(label, lambda: calls.append("ran"))
    qtbot.waitUntil(lambda: calls == ["ran"])


def test_work_for_a_widget_already_on_screen_runs_soon(qtbot):
    label = QLabel("shown")
    qtbot.addWidget(label)
    label.show()
    qtbot.waitExposed(label)
    calls: list[str] = []
    after_first_paint(label, lambda: calls.append("ran"))
    qtbot.waitUntil(lambda: calls == ["ran"])
