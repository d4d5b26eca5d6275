"""One place that sets up logging: a rotating file in the log folder, tokens scrubbed.

The redacting filter sits on the handlers (not on a logger), so it sees every record that
reaches a file or the terminal, whichever module or library logged it.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
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


def init_logging(
    log_dir: Path, *, level: int = logging.INFO, stderr_level: int | None = None
) -> Path:
    """Log to `log_dir/thetadesk.log` (rotating), optionally to stderr too; return the file."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / "thetadesk.log"
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_thetadesk", False):
            root.removeHandler(handler)
            handler.close()
    redactor = RedactingFilter()
    file_handler = logging.handlers.RotatingFileHandler(
        log_file, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
    )
    file_handler.setLevel(level)
    handlers: list[logging.Handler] = [file_handler]
    if stderr_level is not None:
        terminal = logging.StreamHandler(sys.stderr)
        terminal.setLevel(stderr_level)
        terminal.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        handlers.append(terminal)
    file_handler.setFormatter(logging.Formatter(LOG_FORMAT))
    for handler in handlers:
        handler.addFilter(redactor)
        handler._thetadesk = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(min(h.level for h in handlers))
    return log_file


def stop_logging() -> None:
    """Remove and close the handlers init_logging added (on quit, and between tests)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_thetadesk", False):
            root.removeHandler(handler)
            handler.close()
