"""The log file never holds a token or a password."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from thetadesk.core.logging_setup import (
    init_logging,
    init_logging_on_demand,
    redact,
    stop_logging,
)

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjoxNzAwMDAwMDAwfQ."
    "c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
)


@pytest.mark.parametrize(
    "line",
    [
        f"token {JWT} expired",
        "Authorization: Bearer opaque-token-123",
        '{"access": "opaque-token-123", "refresh": "opaque-token-123"}',
        "password=opaque-token-123&user=x",
        "{'password': 'opaque-token-123'}",
    ],
)
def test_secrets_are_redacted(line: str) -> None:
    cleaned = redact(line)
    assert "opaque-token-123" not in cleaned and JWT not in cleaned
    assert "[redacted]" in cleaned


def test_ordinary_lines_stay_readable() -> None:
    line = "R0010001.JPG: uploaded (token_not_valid seen; refreshing once)"
    assert redact(line) == line


def test_file_log_redacts_messages_args_and_tracebacks(tmp_path: Path) -> None:
    log_file = init_logging(tmp_path / "logs")
    try:
        log = logging.getLogger("thetadesk.test")
        log.info("sending with %s", f"Bearer {JWT}")
        try:
            raise RuntimeError(f"bad token {JWT}")
        except RuntimeError:
            log.exception("failed")
    finally:
        stop_logging()
    text = log_file.read_text(encoding="utf-8")
    assert JWT not in text and "eyJ" not in text
    assert "sending with Bearer [redacted]" in text
    assert "RuntimeError: bad token [redacted]" in text


def test_log_on_demand_makes_no_folder_until_a_record_and_then_redacts(tmp_path: Path) -> None:
    log_dir = tmp_path / "logs"
    asked: list[int] = []

    def find_log_dir() -> Path:
        asked.append(1)
        return log_dir

    init_logging_on_demand(find_log_dir, stderr_level=logging.ERROR)
    try:
        logging.getLogger("thetadesk.test").debug("below the level: %s", JWT)
        assert not log_dir.exists() and not asked
        logging.getLogger("thetadesk.test").warning("cannot list %s", f"Bearer {JWT}")
        logging.getLogger("thetadesk.test").info("second")
    finally:
        stop_logging()
    assert len(asked) == 1
    text = (log_dir / "thetadesk.log").read_text(encoding="utf-8")
    assert "WARNING" in text and "cannot list Bearer [redacted]" in text and "second" in text
    assert JWT not in text and "below the level" not in text
