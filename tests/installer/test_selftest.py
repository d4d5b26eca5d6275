"""`thetadesk --self-test`: the whole run in a subprocess, and each verdict path in-process."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import pytest

from thetadesk import cli
from thetadesk.gui import selftest
from thetadesk.gui.selftest import CheckFailed, CheckWarning, Status

ROOT = Path(__file__).resolve().parents[2]


def test_self_test_passes_in_the_dev_environment(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"QT_QPA_PLATFORM", "DISPLAY"}}
    result = subprocess.run(
        [sys.executable, "-m", "thetadesk", "--self-test"],
        cwd=tmp_path,  # not the repo: the package must be the installed one
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("thetadesk ") and lines[0].endswith(" self-test")
    reported = {line.split()[1]: line.split()[0] for line in lines[1:-1]}
    assert set(reported) == {name for name, _ in selftest.CHECKS}
    assert set(reported.values()) <= {"ok", "warn"}
    # Qt started offscreen by itself (no QT_QPA_PLATFORM, no display given).
    assert reported["qt"] == "ok" and "'offscreen'" in result.stdout
    assert reported["qt-jpeg"] == reported["pillow"] == reported["resources"] == "ok"
    assert lines[-1].startswith("self-test passed")


def _run_with(monkeypatch: pytest.MonkeyPatch, *checks) -> tuple[int, str]:
    monkeypatch.setattr(selftest, "CHECKS", list(checks))
    out = io.StringIO()
    return selftest.run_self_test(out), out.getvalue()


def _ok() -> str:
    return "fine"


def _warns() -> str:
    raise CheckWarning("could be better")


def _fails() -> str:
    raise CheckFailed("missing piece")


def _crashes() -> str:
    raise ImportError("No module named 'PySide6.QtSvg'")


def test_a_warning_does_not_fail_the_self_test(monkeypatch: pytest.MonkeyPatch) -> None:
    status, text = _run_with(monkeypatch, ("a", _ok), ("b", _warns))
    assert status == 0
    assert "  ok    a          fine" in text
    assert "  warn  b          could be better" in text
    assert text.splitlines()[-1] == "self-test passed (1 warning)"


def test_a_failed_or_crashed_check_fails_the_self_test(monkeypatch: pytest.MonkeyPatch) -> None:
    status, text = _run_with(monkeypatch, ("a", _ok), ("b", _fails), ("c", _crashes))
    assert status == 1
    assert "  FAIL  b          missing piece" in text
    assert "  FAIL  c          ImportError: No module named 'PySide6.QtSvg'" in text
    assert text.splitlines()[-1] == "self-test FAILED: b, c"


def test_the_cli_flag_runs_the_self_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selftest, "run_self_test", lambda: 7)
    assert cli.main(["--self-test"]) == 7


class _SecureBackend(keyring.backend.KeyringBackend):
    priority = 5  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise AssertionError("the self-test must not write secrets")

    def delete_password(self, service: str, username: str) -> None:
        raise AssertionError("the self-test must not delete secrets")


def test_keyring_check_accepts_a_secure_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring, "get_keyring", _SecureBackend)
    assert "_SecureBackend (priority 5)" in selftest.check_keyring()


def test_keyring_check_warns_without_a_secure_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring, "get_keyring", keyring.backends.fail.Keyring)
    with pytest.raises(CheckWarning, match="cannot remember sign-ins"):
        selftest.check_keyring()


def test_tls_check_finds_the_os_trust_store() -> None:
    assert "CA certificates" in selftest.check_tls() or sys.platform == "darwin"


def test_tls_check_fails_when_linux_has_no_ca_file(monkeypatch: pytest.MonkeyPatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the Linux CA-file lookup")
    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca.pem")
    monkeypatch.setenv("SSL_CERT_DIR", "/nonexistent")
    monkeypatch.setattr(selftest, "LINUX_CA_FILES", ("/nonexistent/bundle.crt",))
    with pytest.raises(CheckFailed, match="no CA certificates"):
        selftest.check_tls()


def test_bundle_check_fails_a_frozen_app_that_carries_django(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("django", reason="needs Django importable (pip install -e server)")
    assert selftest.check_bundle() == "not frozen; nothing to check"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    with pytest.raises(CheckFailed, match="server code was bundled: django"):
        selftest.check_bundle()


def test_statuses_print_as_documented() -> None:
    assert [s.value for s in Status] == ["ok", "warn", "FAIL"]
