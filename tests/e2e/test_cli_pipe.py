"""`thetadesk check … | head`: the reader leaving early ends the command quietly."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.theta_fixtures import make_theta_jpeg


@pytest.mark.parametrize("json_output", [False, True])
def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path, json_output):
    roll = tmp_path / "roll"
    roll.mkdir()
    for n in range(400):  # far more output than a pipe buffer holds
        make_theta_jpeg(roll / f"R{n:07d}.JPG")
    command = [sys.executable, "-m", "thetadesk", "check", str(roll)]
    if json_output:
        command.insert(4, "--json")
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        first = process.stdout.read(64)
        process.stdout.close()  # like `head -c 64` exiting
        errors = process.stderr.read().decode()
        process.wait(timeout=60)
    assert first
    assert "Traceback" not in errors and "BrokenPipeError" not in errors, errors
    assert process.returncode != 0
