"""thetadesk.core must work with Qt absent: the CLI and tests use it without a GUI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Runs in a fresh interpreter: blocks every Qt binding, imports every core module, reports.
PROBE = r"""
import importlib, importlib.abc, json, pkgutil, sys

BLOCKED = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "PySide2")

class BlockQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"Qt is blocked in thetadesk.core: {name}")
        return None

sys.meta_path.insert(0, BlockQt())
import thetadesk.core
names = ["thetadesk.core"] + [
    info.name for info in pkgutil.walk_packages(thetadesk.core.__path__, "thetadesk.core.")
]
for name in names:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
print(json.dumps({"imported": names, "qt": loaded}))
"""


def test_every_core_module_imports_with_qt_blocked() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["qt"] == []
    for module in ("inspection", "thumbnails", "scan", "exif", "xmp", "jpeg_segments"):
        assert f"thetadesk.core.{module}" in report["imported"]


def test_the_probe_does_catch_a_qt_import() -> None:
    # The probe must fail when something imports Qt, or the test above proves nothing.
    probe = PROBE.replace("import thetadesk.core\n", "import thetadesk.core\nimport PySide6\n", 1)
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode != 0
    assert "Qt is blocked" in result.stderr
