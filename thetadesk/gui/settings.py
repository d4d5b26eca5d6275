"""The window's settings: declared once, typed, with defaults, in one INI file.

The file lives in the per-user config folder (platformdirs, through core.paths.AppPaths) or
wherever a test points it. It never holds a token or a password: "Remember me" keeps the
refresh token in the OS keychain (core.credentials), and only the choice itself is stored
here. Window geometry is kept in the same file, under its own group.
"""

from __future__ import annotations

import logging
import os
import string
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from thetadesk.core.engine import MAX_PARALLEL_UPLOADS, default_title
from thetadesk.core.uploader import CATEGORIES

log = logging.getLogger(__name__)

LOCAL_SERVER = "http://127.0.0.1:8765"
NEEDS_REVIEW_CHOICES = ("hold", "reject")
GPS_CHOICES = ("hold", "send")
TITLE_FIELDS = ("stem", "name", "folder", "n")


@dataclass(frozen=True)
class ServerPreset:
    name: str
    url: str
    note: str = ""


# The public image360 playground that the API notes follow (its address is in the
# theta360.guide tutorials and the published sample clients). Its account is public too,
# but thetadesk ships no credentials: the user types them at sign-in.
DEMO_SERVER = "https://image360.oppget.com"

SERVER_PRESETS = (
    ServerPreset("Local server", LOCAL_SERVER, "the reference server on this computer"),
    ServerPreset(
        "image360 demo server",
        DEMO_SERVER,
        "a public playground: everything uploaded there is published, GPS included",
    ),
)


@dataclass(frozen=True)
class AppSettings:
    """Everything the user can choose, with its default."""

    server_url: str = LOCAL_SERVER
    username: str = ""
    remember_me: bool = True
    parallel_uploads: int = 3
    needs_review: str = "hold"  # "hold": wait for "Upload anyway"; "reject": never send
    # Photos with a GPS position that would be public: "hold" them for "Upload anyway"
    # (publishing one tells where it was taken), or "send" them like any other.
    public_gps: str = "hold"
    # Batch defaults for the upload form; each photo can be edited before it is sent.
    title_pattern: str = "{stem}"
    description: str = ""
    attribution: str = ""
    license_link: str = ""
    category: str = "OTHER"
    public: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.parallel_uploads <= MAX_PARALLEL_UPLOADS:
            raise ValueError(f"parallel uploads must be 1 to {MAX_PARALLEL_UPLOADS}")
        if self.needs_review not in NEEDS_REVIEW_CHOICES:
            raise ValueError(f"needs_review must be one of {', '.join(NEEDS_REVIEW_CHOICES)}")
        if self.public_gps not in GPS_CHOICES:
            raise ValueError(f"public_gps must be one of {', '.join(GPS_CHOICES)}")
        if self.category not in CATEGORIES:
            raise ValueError(f"category must be one of {', '.join(CATEGORIES)}")
        problem = title_pattern_problem(self.title_pattern)
        if problem:
            raise ValueError(problem)

    @property
    def reject_needs_review(self) -> bool:
        return self.needs_review == "reject"

    @property
    def hold_public_gps(self) -> bool:
        return self.public_gps == "hold"

    def upload_fields(self, path: Path, n: int = 1) -> dict[str, str]:
        """The form fields this batch sends for one file (camera and date come from it)."""
        result = {
            "title": title_for(self.title_pattern, path, n),
            "description": self.description,
            "attribution": self.attribution,
            "license_link": self.license_link,
            "category": self.category,
        }
        # The reference server stores it; the demo server ignores it (everything is public).
        if not self.public:
            result["is_public"] = "false"
        return {key: value for key, value in result.items() if value}


def title_pattern_problem(pattern: str) -> str:
    """Empty when the pattern is usable, else why not (for the settings dialog)."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    except ValueError as exc:
        return f"title pattern: {exc}"
    unknown = [name for name in names if name not in TITLE_FIELDS]
    if unknown:
        allowed = ", ".join("{" + name + "}" for name in TITLE_FIELDS)
        return f"title pattern: unknown {{{unknown[0]}}} (use {allowed})"
    return ""


def title_for(pattern: str, path: Path, n: int = 1) -> str:
    """e.g. '{folder} {n}' → 'Kitchen 3'. The stem is made printable like the engine's."""
    stem = default_title(path)
    values = {
        "stem": stem,
        "name": os.fsencode(path.name).decode("utf-8", "replace"),
        "folder": os.fsencode(path.parent.name).decode("utf-8", "replace"),
        "n": str(n),
    }
    try:
        title = pattern.format(**values).strip()
    except (KeyError, IndexError, ValueError):
        title = ""
    return title or stem


_TYPES = {field.name: field.type for field in fields(AppSettings)}
_DEFAULTS = AppSettings()


class SettingsStore:
    """Reads and writes AppSettings (and window state) in an INI file at `path`."""

    GROUP = "settings"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)

    def load(self) -> AppSettings:
        values: dict[str, Any] = {}
        self._qsettings.beginGroup(self.GROUP)
        try:
            for name, kind in _TYPES.items():
                default = getattr(_DEFAULTS, name)
                if not self._qsettings.contains(name):
                    continue
                raw = self._qsettings.value(name, default)
                values[name] = _convert(raw, kind, default)
        finally:
            self._qsettings.endGroup()
        try:
            return AppSettings(**values)
        except ValueError as exc:
            # A hand-edited or older file: keep what is valid, default the rest.
            log.warning("settings file %s: %s; using defaults where invalid", self.path, exc)
            settings = _DEFAULTS
            for name, value in values.items():
                try:
                    settings = replace(settings, **{name: value})
                except ValueError:
                    pass
            return settings

    def save(self, settings: AppSettings) -> None:
        self._qsettings.beginGroup(self.GROUP)
        try:
            for name in _TYPES:
                self._qsettings.setValue(name, getattr(settings, name))
        finally:
            self._qsettings.endGroup()
        self._qsettings.sync()

    def update(self, **changes: Any) -> AppSettings:
        settings = replace(self.load(), **changes)
        self.save(settings)
        return settings

    def window_state(self, key: str) -> QByteArray | None:
        value = self._qsettings.value(f"window/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def save_window_state(self, key: str, value: QByteArray) -> None:
        self._qsettings.setValue(f"window/{key}", value)
        self._qsettings.sync()


def _convert(raw: Any, kind: Any, default: Any) -> Any:
    kind_name = kind if isinstance(kind, str) else getattr(kind, "__name__", "")
    if kind_name == "bool":
        if isinstance(raw, bool):
            return raw
        return str(raw).strip().lower() in {"true", "1", "yes", "on"}
    if kind_name == "int":
        try:
            return int(raw)
        except (TypeError, ValueError):
            return default
    return "" if raw is None else str(raw)
