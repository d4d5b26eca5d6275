"""Where thetadesk keeps its files: the per-user data and log folders.

Taken from platformdirs, so each OS gets its usual place. Tests and portable set-ups point
them elsewhere with THETADESK_DATA_DIR / THETADESK_LOG_DIR / THETADESK_CONFIG_DIR, or build an
`AppPaths` directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "thetadesk"
DATA_DIR_ENV = "THETADESK_DATA_DIR"
LOG_DIR_ENV = "THETADESK_LOG_DIR"
CONFIG_DIR_ENV = "THETADESK_CONFIG_DIR"


@dataclass(frozen=True)
class AppPaths:
    data_dir: Path
    log_dir: Path
    config_dir: Path | None = None  # the window's settings file; never tokens

    @classmethod
    def default(cls) -> AppPaths:
        data = os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir(APP_NAME, appauthor=False)
        logs = os.environ.get(LOG_DIR_ENV)
        if not logs:
            # With only the data folder overridden, keep the logs beside it: one place to clean.
            logs = (
                os.path.join(data, "logs")
                if os.environ.get(DATA_DIR_ENV)
                else platformdirs.user_log_dir(APP_NAME, appauthor=False)
            )
        config = os.environ.get(CONFIG_DIR_ENV)
        if not config:
            config = (
                os.path.join(data, "config")
                if os.environ.get(DATA_DIR_ENV)
                else platformdirs.user_config_dir(APP_NAME, appauthor=False)
            )
        return cls(Path(data), Path(logs), Path(config))

    @property
    def queue_db(self) -> Path:
        return self.data_dir / "queue.sqlite3"

    @property
    def settings_file(self) -> Path:
        return (self.config_dir or self.data_dir) / "settings.ini"

    @property
    def log_file(self) -> Path:
        return self.log_dir / "thetadesk.log"

    def ensure(self) -> AppPaths:
        """Create both folders (private to the user where the OS allows)."""
        for folder in (self.data_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self
