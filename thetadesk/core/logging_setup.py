"""One place that sets up logging: a rotating file in the log folder, tokens scrubbed.

The redacting filter sits on the handlers (not on a logger), so it sees every record that
reaches a file or the terminal, whichever module or library logged it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"
MAX_BYTES = 2_000_000
BACKUPS = 3
REDACTED = "[redacted]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # JWTs (access and refresh tokens): three base64url parts, the first one a JSON header.
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # Whatever follows "Bearer", token or not.
    (re.compile(r"(?i)(bearer\s+)[^\s'\",;]+"), r"\1" + REDACTED),
    # key=value / "key": "value" for secrets, as in a logged form, query or JSON body.
    (
        re.compile(
            r"(?i)([\"']?\b(?:password|passwd|access|refresh|token|secret)\b[\"']?\s*[:=]\s*[\"']?)"
            r"[^\s'\",&}]+"
        ),
        r"\1" + REDACTED,
    ),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback) with secrets replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _open_log_file(log_dir: Path) -> logging.Handler:
    """The rotating handler of `log_dir/thetadesk.log`, its folder made, without a level."""
    # logging.handlers (with socket, pickle, queue: ~5 ms) loads only for a file to write.
    import logging.handlers

    log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        log_dir / "thetadesk.log", maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    return handler


class _LogFileOnDemand(logging.Handler):
    """The log file, its folder found, made and opened at the first record that reaches
    it: a command that logs nothing (a `thetadesk check` of readable files) spends no
    start-up time on it. If the file cannot be opened, each record says so on stderr, as
    logging does for a record it cannot write."""

    def __init__(self, find_log_dir: Callable[[], Path], level: int) -> None:
        super().__init__(level)
        self._find_log_dir = find_log_dir
        self._file: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        # Called by handle() with this handler's lock held, after its filters (the redactor).
        try:
            if self._file is None:
                self._file = _open_log_file(self._find_log_dir())
            self._file.emit(record)
        except Exception:  # noqa: BLE001 - logging's own policy: report, never raise
            self.handleError(record)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def init_logging(
    log_dir: Path, *, level: int = logging.INFO, stderr_level: int | None = None
) -> Path:
    """Log to `log_dir/thetadesk.log` (rotating), optionally to stderr too; return the file."""
    file_handler = _open_log_file(log_dir)
    file_handler.setLevel(level)
    _install(file_handler, stderr_level)
    return log_dir / "thetadesk.log"


def init_logging_on_demand(
    find_log_dir: Callable[[], Path], *, level: int = logging.INFO, stderr_level: int | None = None
) -> None:
    """init_logging for a short command: the log folder is found (`find_log_dir`), made and
    the file opened only when a record is first written to it."""
    _install(_LogFileOnDemand(find_log_dir, level), stderr_level)


def _install(file_handler: logging.Handler, stderr_level: int | None) -> None:
    """Make `file_handler` (and a stderr handler at `stderr_level`) the root logger's
    thetadesk handlers, each behind the redactor, in place of any earlier ones."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_thetadesk", False):
            root.removeHandler(handler)
            handler.close()
    redactor = RedactingFilter()
    handlers: list[logging.Handler] = [file_handler]
    if stderr_level is not None:
        terminal = logging.StreamHandler(sys.stderr)
        terminal.setLevel(stderr_level)
        terminal.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handlers.append(terminal)
    for handler in handlers:
        handler.addFilter(redactor)
        handler._thetadesk = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(min(h.level for h in handlers))


def stop_logging() -> None:
    """Remove and close the handlers init_logging added (on quit, and between tests)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_thetadesk", False):
            root.removeHandler(handler)
            handler.close()
