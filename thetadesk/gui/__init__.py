"""The PySide6 desktop app. The only package that imports Qt."""

# Loaded before anything here imports PySide6, on purpose: PySide6 installs an import hook
# that reads the source of every module imported after it (to see whether it uses PySide6),
# and the window needs these before it shows: the keychain (a returning user's session;
# keyring brings ~150 modules), the queue and its engine, Pillow for thumbnails. The HTTP
# client is not among them: it is loaded with the first request, once the window is shown
# (core.api). Every way of starting the app (python -m thetadesk.gui, thetadesk-gui, the
# frozen build) runs this before PySide6 is imported.
import keyring  # noqa: F401
import keyring.backend  # noqa: F401
import PIL.Image  # noqa: F401

import thetadesk.core.engine  # noqa: F401
