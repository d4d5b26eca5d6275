"""What a drop onto the window adds: local paths, plus notices about what it left out.

Pure functions of QUrl / QMimeData (no widgets), so every case can run in a test:

- Only local files count: `QUrl.isLocalFile()` and `QUrl.toLocalFile()` decide, never
  string surgery on "file://" (which breaks on drive letters, hosts and %-escapes).
- Windows UNC paths: `file://server/share/x.jpg` gives "//server/share/x.jpg" from
  toLocalFile() on every platform; on Windows that is the share `\\\\server\\share\\x.jpg`
  (with native separators, as QDir.toNativeSeparators writes it there). Elsewhere a file URL
  naming another computer is not a file here and is left out with a notice: a mounted share
  arrives as an ordinary local path (e.g. GVFS or /Volumes). `localhost` is this computer.
- macOS file-reference URLs (`file:///.file/id=…`): Qt resolves these itself when a drop
  comes from the pasteboard as public.file-url (QMacPasteboardMimeFileUri turns an
  `isFileReferenceURL` into its `filePathURL`; QTBUG-40449, fixed in Qt 5.4). One that still
  arrives unresolved (through another flavour) names no path anyone can open; it is left
  out with a notice rather than queued as a file that "is gone". Resolving it here would
  need Cocoa (PyObjC), which the app does not ship.
- Linux names that are not UTF-8: a QString cannot hold their bytes, so toLocalFile() puts
  U+FFFD in their place. Only then is the name taken from QUrl's own percent-encoded path
  as bytes (the way GLib writes such names into a URI), so the file is found.
- Anything else (http, https, mailto, …) is left out with a notice the window shows.
"""

from __future__ import annotations

import os
import socket
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote_to_bytes

from PySide6.QtCore import QMimeData, QUrl

_WEB_SCHEMES = frozenset({"http", "https", "ftp", "ftps"})
_FILE_REFERENCE_PREFIX = "/.file/id="


@dataclass(frozen=True)
class Drop:
    """The local paths among dropped URLs, and one notice per kind of thing left out."""

    paths: tuple[Path, ...] = ()
    notices: tuple[str, ...] = ()

    @property
    def notice(self) -> str:
        """All notices as one status-bar line ("" when nothing was left out)."""
        return "; ".join(self.notices)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


_NOTICES = {
    "web": lambda n: f"ignored {_count(n, 'web link', 'web links')}: only files can be added",
    "link": lambda n: f"ignored {_count(n, 'link', 'links')}: only files can be added",
    "remote": lambda n: (
        f"ignored {_count(n, 'file', 'files')} on another computer: add it from a mounted "
        "share or a local copy"
    ),
    "reference": lambda n: (
        f"ignored {_count(n, 'file reference', 'file references')} macOS did not resolve: "
        "drag the file from Finder again"
    ),
}


def read_urls(
    urls: Iterable[QUrl], *, windows: bool = sys.platform == "win32", this_host: str | None = None
) -> Drop:
    """Turn dropped URLs into local paths (in drop order) and notices.

    `windows` and `this_host` default to this computer; tests pass them to check another
    platform's rules (UNC paths) wherever they run.
    """
    here = {"localhost", (this_host if this_host is not None else socket.gethostname()).lower()}
    paths: list[Path] = []
    left_out: Counter[str] = Counter()
    for url in urls:
        kind, path = _classify(url, windows=windows, here=here)
        if path is not None:
            paths.append(path)
        else:
            left_out[kind] += 1
    notices = tuple(_NOTICES[kind](n) for kind, n in left_out.items())
    return Drop(tuple(paths), notices)


def read_mime(
    mime: QMimeData, *, windows: bool = sys.platform == "win32", this_host: str | None = None
) -> Drop:
    """`read_urls` for a drag's or drop's data (nothing when it carries no URLs)."""
    if not mime.hasUrls():
        return Drop()
    return read_urls(mime.urls(), windows=windows, this_host=this_host)


def _classify(url: QUrl, *, windows: bool, here: set[str]) -> tuple[str, Path | None]:
    if not url.isLocalFile():
        return ("web" if url.scheme().lower() in _WEB_SCHEMES else "link"), None
    host = url.host().lower()
    if host and not windows:
        if host not in here:
            return "remote", None
        url = QUrl(url)  # file://localhost/x: the same file as file:///x
        url.setHost("")
    text = url.toLocalFile()
    if not text:
        return "link", None
    if text.startswith(_FILE_REFERENCE_PREFIX):
        return "reference", None
    if windows:
        # QDir.toNativeSeparators, as it behaves on Windows: //server/share → \\server\share.
        return "", Path(text.replace("/", "\\"))
    if "\ufffd" in text:
        # Not UTF-8 (Linux): the bytes are still in the URL's encoded path.
        encoded = url.path(QUrl.ComponentFormattingOption.FullyEncoded)
        return "", Path(os.fsdecode(unquote_to_bytes(encoded)))
    return "", Path(text)
