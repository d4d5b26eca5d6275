"""`thetadesk check` loads only what checking needs: its start-up is most of a batch's time
(benchmarks/check.py). What it must not load is named here, so a new top-level import in the
CLI's path shows up as a failure rather than as a slower benchmark."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.theta_fixtures import make_theta_jpeg

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys
from thetadesk.cli import main
status = main(sys.argv[1:])
sys.stdout.flush()
print(json.dumps({"status": status, "modules": sorted(sys.modules)}), file=sys.stderr)
"""

# The queue store (sqlite3), the file log's handlers (socket, pickle), the user folders'
# lookup, the uploader, the HTTP client and Qt; dataclasses (with inspect: ~5 ms, and
# each class made costs more), typing (for annotations only), datetime and shutil
# (argparse's way to the terminal's width): 1-2 ms each.
NOT_FOR_CHECK = (
    "dataclasses",
    "typing",
    "datetime",
    "shutil",
    "sqlite3",
    "logging.handlers",
    "platformdirs",
    "thetadesk.core.paths",
    "thetadesk.core.queue_store",
    "thetadesk.core.uploader",
    "thetadesk.core.api",
    "requests",
    "PySide6",
)


def test_check_json_imports_only_what_checking_needs(tmp_path: Path) -> None:
    photo = make_theta_jpeg(tmp_path / "R0000001.JPG")
    data_dir = tmp_path / "data"
    env = {**os.environ, "THETADESK_DATA_DIR": str(data_dir)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "check", "--json", str(photo)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
    )  # fmt: skip
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report["status"] == 0, result.stderr
    assert json.loads(result.stdout)[0]["verdict"] == "ok"
    loaded = set(report["modules"])
    assert [name for name in NOT_FOR_CHECK if name in loaded] == []
    assert not data_dir.exists()  # nothing was logged: no log folder made


def test_help_is_what_argparse_writes(monkeypatch) -> None:
    """The command line's help formatter only finds the width without shutil."""
    import argparse

    from thetadesk import cli

    for columns in ("60", "132"):
        monkeypatch.setenv("COLUMNS", columns)
        ours = cli.build_parser()
        theirs = cli.build_parser()
        theirs.formatter_class = argparse.HelpFormatter
        assert ours.format_help() == theirs.format_help()
        assert max(map(len, ours.format_help().splitlines())) <= int(columns) - 2
