"""Replaces PyInstaller's hook-PySide6.QtGui: the same collection, fewer Qt plugins.

PyInstaller's hook collects every plugin of the kinds QtGui uses (all platforms, all image
formats, every platform theme...). Dropping the unwanted ones after Analysis would be too
late: their own dependencies (libQt6Pdf, Wayland, GTK and cairo from the build machine...)
are collected with them. Filtering here, in the hook, happens before PyInstaller analyses
the binaries' dependencies, so those never come in.

The list of plugins to keep is build_installer.spec's, passed as
hooksconfig={"thetadesk": {"qt_plugins": {kind: names or None}}}: plugin folders not listed
are dropped; None keeps a whole folder. Hooks in the spec's hookspath take precedence over
PyInstaller's own hook for the same module.
"""

from pathlib import PurePath

from PyInstaller.utils.hooks import get_hook_config
from PyInstaller.utils.hooks.qt import add_qt6_dependencies

# The module-level names PyInstaller reads from a hook; binaries are added in hook() below,
# once the spec's settings can be read.
hiddenimports, _all_binaries, datas = add_qt6_dependencies(__file__)


def _keep(dest_dir: str, filename: str, wanted: dict) -> bool:
    parts = PurePath(dest_dir).parts
    if "plugins" not in parts:
        return True  # a library, not a plugin
    kind = "/".join(parts[parts.index("plugins") + 1 :])
    if kind not in wanted:
        return False
    names = wanted[kind]
    stem = PurePath(filename).name.split(".", 1)[0].removeprefix("lib")
    return names is None or stem in names


def hook(hook_api):
    wanted = get_hook_config(hook_api, "thetadesk", "qt_plugins")
    if wanted is None:
        raise SystemExit("installer/hooks/hook-PySide6.QtGui.py: the spec sets no qt_plugins")
    hook_api.add_binaries([(src, dest) for src, dest in _all_binaries if _keep(dest, src, wanted)])
