"""The Qt binding itself: defects of a PySide6 release that would crash the app."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    changed = Signal(object)


def test_emitting_a_signal_keeps_the_reference_counts_of_true_and_false() -> None:
    # PySide6 6.12.0's emit() returned True without a reference of its own: each emit cost
    # True one reference, and Python 3.11 aborted once the count reached zero (the window
    # emits thousands of signals for a big drop). pyproject.toml excludes that release.
    emitter = _Emitter()
    emitter.changed.connect(lambda value: None)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for number in range(200):
        emitter.changed.emit(number)
    assert (sys.getrefcount(True), sys.getrefcount(False)) == before
