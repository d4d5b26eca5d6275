"""Layout of the data folder: SQLite database, media, upload spool, derivative cache, keys."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def database(self) -> Path:
        return self.root / "image360.sqlite3"

    @property
    def media(self) -> Path:
        return self.root / "media"

    @property
    def upload_spool(self) -> Path:
        # Inside the data folder so that moving a finished upload into media/ is a rename on the
        # same file system, not a copy.
        return self.root / "upload-tmp"

    @property
    def derivative_cache(self) -> Path:
        return self.root / "cache"

    @property
    def secret_key_file(self) -> Path:
        return self.root / "secret_key"

    @property
    def jwt_signing_key_file(self) -> Path:
        return self.root / "jwt_signing_key"


def prepare(root: Path) -> DataDir:
    """Create the folder tree (owner-only at the top: it holds password hashes and keys)."""
    layout = DataDir(root.expanduser().resolve())
    layout.root.mkdir(mode=0o700, parents=True, exist_ok=True)
    for folder in (layout.media, layout.upload_spool, layout.derivative_cache):
        folder.mkdir(exist_ok=True)
    return layout
