"""The PySide6 desktop app. The only package that imports Qt."""

# Loaded before anything here imports PySide6, on purpose: PySide6 installs an import hook
# that examines every module imported after it, and the window needs these (~200 modules
# with the HTTP client's) anyway. Start-up costs ~0.15 s less CPU (benchmarks/startup.py).
import keyring  # noqa: F401
import PIL.Image  # noqa: F401
import requests  # noqa: F401
