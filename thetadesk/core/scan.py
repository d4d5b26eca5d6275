"""Expand the files and folders a user gave (CLI arguments, a drop) into photo files."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg"})
_IGNORED_NAMES = frozenset({"thumbs.db", ".ds_store"})


def find_photos(
    paths: Iterable[str | os.PathLike[str]], unreadable: list[tuple[Path, str]] | None = None
) -> list[Path]:
    """Files given explicitly are kept whatever their name, so they get a verdict; folders
    are searched recursively for .jpg/.jpeg files, skipping hidden folders, macOS AppleDouble
    `._*` companions and system files. Each folder's results are sorted; duplicates dropped.

    `unreadable` gets (folder, why) for each folder that could not be listed, so the caller
    can say so: its photos are missing from the result.
    """
    found: list[Path] = []
    seen: set[str] = set()
    visited_dirs: set[str] = set()
    for given in paths:
        path = Path(given)
        candidates = _walk(path, visited_dirs, unreadable) if path.is_dir() else [path]
        for candidate in candidates:
            key = os.path.normcase(os.path.abspath(candidate))
            if key not in seen:
                seen.add(key)
                found.append(candidate)
    return found


def is_photo_name(name: str) -> bool:
    if name.startswith("._") or name.lower() in _IGNORED_NAMES:
        return False
    return os.path.splitext(name)[1].lower() in PHOTO_SUFFIXES


def _walk(
    top: Path, visited_dirs: set[str], unreadable: list[tuple[Path, str]] | None
) -> list[Path]:
    photos: list[str] = []
    stack = [top]  # iterative: a deep tree cannot hit the recursion limit
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in visited_dirs:
            continue  # a symlink loop, or the same folder reached twice
        visited_dirs.add(real)
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if _is_dir(entry):
                        if not _is_hidden_dir(entry):
                            stack.append(Path(entry.path))
                    elif is_photo_name(entry.name):
                        photos.append(entry.path)
        except OSError as error:
            log.warning("cannot list %s: %s", folder, error)
            if unreadable is not None:
                unreadable.append((folder, error.strerror or str(error)))
    found = [Path(photo) for photo in photos]
    if _PLAIN_SEPARATOR:
        # Path order is the order of the paths' parts: their normalised text split at "/"
        # gives it without a Path comparison per step of the sort.
        found.sort(key=_parts)
    else:
        found.sort()
    return found


_PLAIN_SEPARATOR = os.sep == "/" and os.altsep is None  # POSIX: case-sensitive, one separator


def _parts(path: Path) -> list[str]:
    return str(path).split("/")


# Windows marks its own folders (System Volume Information and $RECYCLE.BIN on every drive)
# hidden and system: a dropped drive root must not report them as unreadable.
_HIDDEN_OR_SYSTEM = 0x2 | 0x4  # FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM
_HAS_FILE_ATTRIBUTES = os.name == "nt"  # elsewhere, stat results have no such field


def _is_hidden_dir(entry: os.DirEntry[str]) -> bool:
    if entry.name.startswith("."):
        return True
    if not _HAS_FILE_ATTRIBUTES:
        return False
    try:
        attributes = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
    except OSError:
        return False
    return bool(attributes & _HIDDEN_OR_SYSTEM)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # follows symlinks; loops are stopped by visited_dirs
    except OSError:
        return False
