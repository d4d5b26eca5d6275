"""`thetadesk --self-test`: does this build have everything the app needs at run time?

It runs on every frozen build before it is packaged (qutebrowser's habit of smoke-testing
the frozen app), and a user can run it to report a broken install. It starts Qt offscreen,
so it needs no display, and it makes no network connection and writes no file.

Checks, each printed on one line as ok, warn or FAIL:
  version   the app version, Python, the OS, frozen or not
  qt        PySide6 imports and a QApplication starts; the bundled platform plugins
  app       the window's modules (thetadesk.gui.app and everything it imports) import
  qt-jpeg   Qt can encode and decode a JPEG (imageformats/qjpeg) and has the svg/ico plugins
  pillow    Pillow can encode and decode a JPEG (thumbnails and EXIF in core)
  checks    a check worker process starts and answers (the window checks files in them;
            a frozen build needs multiprocessing.freeze_support() in its entry point)
  resources the icon files are where thetadesk.gui.resources looks, and Qt can draw the SVG
  tls       truststore works and the OS trust store it verifies servers with has CAs
  keyring   which keyring backend is in use and whether it keeps secrets safely
            (a missing secure backend is a warning: the app then asks for the password)
  bundle    frozen builds only: no server code (Django, DRF, image360_server) was bundled

Exit status 0 when no check failed, 1 otherwise.
"""

from __future__ import annotations

import enum
import importlib
import importlib.util
import io
import os
import platform
import ssl
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from thetadesk import __version__

# Qt modules the app is built with; anything else is left out of the bundle on purpose.
QT_MODULES = ("QtCore", "QtGui", "QtWidgets", "QtSvg")
REQUIRED_IMAGE_FORMATS = ("jpeg", "svg", "ico")
# The platform plugin each OS's desktop needs, besides offscreen which the self-test uses.
NATIVE_PLATFORM_PLUGIN = {"win32": "qwindows", "darwin": "qcocoa", "linux": "qxcb"}
SERVER_ONLY_MODULES = ("django", "rest_framework", "rest_framework_simplejwt", "image360_server")


class Status(enum.Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str


class CheckFailed(Exception):
    """A check's reason to report FAIL."""


class CheckWarning(Exception):
    """A check's reason to report warn: the app works, but not as well as it could."""


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


# -- checks: each returns its one-line detail, or raises ------------------------------------


def check_version() -> str:
    where = f"frozen at {getattr(sys, '_MEIPASS', '?')}" if is_frozen() else "from source"
    return (
        f"thetadesk {__version__}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()} {platform.machine()}, {where}"
    )


def _qt_plugin_dirs(kind: str) -> list[str]:
    from PySide6.QtCore import QCoreApplication

    dirs = [os.path.join(path, kind) for path in QCoreApplication.libraryPaths()]
    return [d for d in dirs if os.path.isdir(d)]


def check_qt() -> str:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import PySide6
    from PySide6 import QtCore
    from PySide6.QtWidgets import QApplication

    for module in QT_MODULES:
        __import__(f"PySide6.{module}")
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "thetadesk"])
    platform_name = app.platformName()  # type: ignore[attr-defined]
    plugins = sorted(
        os.path.splitext(name)[0].removeprefix("lib")
        for folder in _qt_plugin_dirs("platforms")
        for name in os.listdir(folder)
    )
    detail = (
        f"PySide6 {PySide6.__version__}, Qt {QtCore.qVersion()}, running on {platform_name!r}; "
        f"platform plugins: {', '.join(plugins) or 'none found'}"
    )
    native = NATIVE_PLATFORM_PLUGIN.get(sys.platform)
    if is_frozen() and native and native not in plugins:
        raise CheckFailed(f"{detail}; the {native} plugin this OS needs is missing")
    return detail


def check_app() -> str:
    """The window's code imports: a frozen build that missed a module fails here, before a
    user double-clicks it, and without needing a display."""
    importlib.import_module("thetadesk.gui.app")
    loaded = [name for name in sys.modules if name.startswith("thetadesk.")]
    return f"thetadesk.gui.app imports ({len(loaded)} thetadesk modules loaded)"


def check_qt_jpeg() -> str:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage, QImageReader

    formats = {bytes(f.data()).decode() for f in QImageReader.supportedImageFormats()}
    missing = [f for f in REQUIRED_IMAGE_FORMATS if f not in formats]
    if missing:
        raise CheckFailed(f"no Qt image plugin for {', '.join(missing)}")
    source = QImage(64, 32, QImage.Format.Format_RGB32)
    source.fill(QColor(200, 40, 40))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not source.save(buffer, "JPEG", 90):
        raise CheckFailed("Qt could not encode a JPEG")
    buffer.close()
    decoded = QImage.fromData(data, "JPEG")
    if decoded.isNull() or (decoded.width(), decoded.height()) != (64, 32):
        raise CheckFailed("Qt could not decode the JPEG it made")
    red = decoded.pixelColor(32, 16).red()
    if abs(red - 200) > 16:
        raise CheckFailed(f"Qt decoded a wrong colour (red {red}, expected about 200)")
    return f"encoded and decoded a {data.size()}-byte JPEG; plugins: {', '.join(sorted(formats))}"


def check_pillow() -> str:
    from PIL import Image, features

    if not features.check("jpg"):
        raise CheckFailed("Pillow was built without JPEG support")
    stream = io.BytesIO()
    Image.new("RGB", (64, 32), (40, 200, 40)).save(stream, "JPEG", quality=90)
    stream.seek(0)
    with Image.open(stream) as image:
        image.load()
        if image.size != (64, 32) or image.format != "JPEG":
            raise CheckFailed(f"Pillow decoded {image.format} {image.size}, expected JPEG 64x32")
        green = image.getpixel((32, 16))[1]  # type: ignore[index]
    if abs(green - 200) > 16:
        raise CheckFailed(f"Pillow decoded a wrong colour (green {green}, expected about 200)")
    turbo = features.version_feature("libjpeg_turbo")
    codec = f"libjpeg-turbo {turbo}" if turbo else f"libjpeg {features.version('jpg')}"
    return f"Pillow {Image.__version__} ({codec}) round-tripped a JPEG"


def check_check_pool() -> str:
    import tempfile
    from pathlib import Path

    from thetadesk.core.check_pool import CheckPool, CheckRequest

    pool = CheckPool(processes=1)
    try:
        # A path that does not exist: the round trip is what is tested, and nothing is read.
        missing = Path(tempfile.gettempdir()) / "thetadesk-self-test-no-such-file.jpg"
        future = pool.submit([CheckRequest(missing, settle_seconds=0.0)])
        [outcome] = future.result(timeout=60)
    finally:
        pool.shutdown()
    if outcome.status != "gone":
        raise CheckFailed(f"the check process answered {outcome.status!r}, expected 'gone'")
    return "a check worker process started and answered"


def check_resources() -> str:
    from PySide6.QtGui import QImage

    from thetadesk.gui import resources

    folder = resources.resource_dir()
    missing = [
        name for name in (resources.ICON_SVG, resources.ICON_PNG) if not (folder / name).is_file()
    ]
    if missing:
        raise CheckFailed(f"missing in {folder}: {', '.join(missing)}")
    svg = QImage(str(folder / resources.ICON_SVG))
    if svg.isNull():
        raise CheckFailed(f"Qt could not draw {folder / resources.ICON_SVG}")
    if resources.app_icon().isNull():
        raise CheckFailed("the app icon is empty")
    return f"icon files in {folder}; the SVG draws at {svg.width()}x{svg.height()}"


# Where truststore looks on Linux when OpenSSL's compiled-in defaults hold no certificates.
LINUX_CA_FILES = (
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/pki/tls/cert.pem",
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/ssl/ca-bundle.pem",
)


def _linux_ca_count() -> tuple[int, str]:
    defaults = ssl.get_default_verify_paths()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if defaults.cafile:
        context.load_verify_locations(cafile=defaults.cafile)
        source = defaults.cafile
    else:
        source = next((f for f in LINUX_CA_FILES if os.path.isfile(f)), "")
        if not source:
            return 0, "no CA file in OpenSSL's defaults or the usual places"
        context.load_verify_locations(cafile=source)
    return context.cert_store_stats()["x509_ca"], source


def check_tls() -> str:
    """The app verifies servers against the OS trust store through truststore (see
    thetadesk.core.http_session). Build the same kind of context and check the store it will
    consult has certificates, without connecting anywhere."""
    import truststore

    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if context.verify_mode != ssl.CERT_REQUIRED or not context.check_hostname:
        raise CheckFailed("truststore's context does not verify certificates and host names")
    if sys.platform == "darwin":
        # truststore asks Security.framework at handshake time; importing it loaded that.
        store = "the macOS keychain trust settings (Security.framework)"
    elif sys.platform == "win32":
        count = ssl.create_default_context().cert_store_stats()["x509_ca"]
        if count == 0:
            raise CheckFailed("the Windows certificate store gave no CA certificates")
        store = f"the Windows certificate store ({count} CA certificates in ROOT/CA)"
    else:
        count, source = _linux_ca_count()
        if count == 0:
            raise CheckFailed(f"no CA certificates for truststore: {source}")
        store = f"{count} CA certificates from {source}"
    return f"truststore {truststore.__version__} with {store}; {ssl.OPENSSL_VERSION}"


def check_keyring() -> str:
    """Which backend keyring picked, judged the way the app judges it (CredentialStore)."""
    import keyring

    from thetadesk.core.credentials import CredentialStore

    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    children = getattr(backend, "backends", None)
    if children is not None:
        inner = ", ".join(f"{type(c).__module__}.{type(c).__qualname__}" for c in children)
        name += f" [{inner or 'no backends'}]"
    if CredentialStore(backend).memory_only:
        raise CheckWarning(
            f"{name}: no secure keyring here, so thetadesk cannot remember sign-ins "
            "(it asks for the password instead)"
        )
    return f"{name} (priority {getattr(backend, 'priority', '?')})"


def check_bundle() -> str:
    if not is_frozen():
        return "not frozen; nothing to check"
    present = [name for name in SERVER_ONLY_MODULES if importlib.util.find_spec(name) is not None]
    if present:
        raise CheckFailed(f"server code was bundled: {', '.join(present)}")
    return "no server code (" + ", ".join(SERVER_ONLY_MODULES) + ") in the bundle"


CHECKS: list[tuple[str, Callable[[], str]]] = [
    ("version", check_version),
    ("qt", check_qt),
    ("app", check_app),
    ("qt-jpeg", check_qt_jpeg),
    ("pillow", check_pillow),
    ("checks", check_check_pool),
    ("resources", check_resources),
    ("tls", check_tls),
    ("keyring", check_keyring),
    ("bundle", check_bundle),
]


def run_checks() -> list[CheckResult]:
    results = []
    for name, check in CHECKS:
        try:
            results.append(CheckResult(name, Status.OK, check()))
        except CheckWarning as exc:
            results.append(CheckResult(name, Status.WARN, str(exc)))
        except Exception as exc:  # noqa: BLE001 - any error is this check's failure to report
            reason = str(exc) if isinstance(exc, CheckFailed) else f"{type(exc).__name__}: {exc}"
            results.append(CheckResult(name, Status.FAIL, reason))
    return results


def run_self_test(out: TextIO | None = None) -> int:
    """Run every check, print one line each and a verdict; return the exit status."""
    out = out or sys.stdout
    results = run_checks()
    print(f"thetadesk {__version__} self-test", file=out)
    for result in results:
        print(f"  {result.status.value:<4}  {result.name:<9}  {result.detail}", file=out)
    failed = [r.name for r in results if r.status is Status.FAIL]
    warned = [r.name for r in results if r.status is Status.WARN]
    if failed:
        print(f"self-test FAILED: {', '.join(failed)}", file=out)
    else:
        note = f" ({len(warned)} warning{'s' if len(warned) != 1 else ''})" if warned else ""
        print(f"self-test passed{note}", file=out)
    if out is not None:  # None in a windowed Windows exe, which has no console
        out.flush()
    return 1 if failed else 0
