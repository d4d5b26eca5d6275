"""Installer tests: the self-test, the installer scripts, and (slow) the frozen Linux build."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything creates a Qt app
