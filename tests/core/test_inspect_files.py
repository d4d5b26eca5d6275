"""inspect_files: a batch checked in worker processes gives what checking it here gives.

`thetadesk check` shares a big batch with one worker process per extra CPU. Whatever the
processes, the start method or a worker that dies, the results are the serial ones, in the
same order. No timing here: only results.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import MappingProxyType

import pytest

from tests.support.broken_corpus import file_cases, write_case
from tests.support.theta_fixtures import make_theta_jpeg
from thetadesk.core import forked_batch, inspection
from thetadesk.core.inspection import Inspection, inspect_file, inspect_files
from thetadesk.core.scan import find_photos

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def forking_as_from_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """`thetadesk check` forks its helpers from a single-threaded process. Here, idle
    threads that earlier tests left behind (a live server's output reader) would turn the
    helpers off, and with them what these tests are about; tests that need the other
    answer say so themselves."""
    monkeypatch.setattr(inspection, "_fork_is_safe", lambda: sys.platform.startswith("linux"))


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The broken corpus (every verdict and refusal) and good photos, interleaved, 3 times."""
    folder = tmp_path_factory.mktemp("batch")
    files = []
    for case in file_cases():
        if case.skip or case.unreadable or case.id == "genuine-11008x5504":
            continue
        path = write_case(folder, case)
        if path.is_file():
            files.append(path)
    good = make_theta_jpeg(folder / "good.jpg")
    paths = []
    for copy in range(3):
        for index, path in enumerate(files):
            paths.append(path)
            if index % 4 == 0:
                target = folder / f"good-{copy}-{index}.jpg"
                shutil.copyfile(good, target)
                paths.append(target)
    assert len(paths) > 3 * inspection.CHUNK_FILES
    return paths


def fields(result: Inspection) -> dict[str, object]:
    return result._asdict()


def test_an_inspection_is_immutable_comparable_and_hashable(batch: list[Path]) -> None:
    result = inspect_file(batch[0])
    copy = result._replace()
    assert copy == result and hash(copy) == hash(result) and copy is not result
    assert result._replace(reasons=("other",)) != result
    # gpano is compared, not hashed (a mapping is not hashable).
    other_gpano = result._replace(gpano=MappingProxyType({"ProjectionType": "cylindrical"}))
    assert other_gpano != result and hash(other_gpano) == hash(result)
    with pytest.raises(AttributeError):
        result.verdict = None  # type: ignore[misc]
    # Sent between processes as the window's check pool sends it (check_pool teaches pickle
    # the read-only gpano mapping).
    import thetadesk.core.check_pool  # noqa: F401

    assert pickle.loads(pickle.dumps(result)) == result


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_give_the_serial_results_in_order(batch: list[Path], workers: int) -> None:
    serial = [inspect_file(path) for path in batch]
    shared = inspect_files(batch, workers=workers)
    assert [r.path for r in shared] == batch
    assert shared == serial
    assert [fields(r) for r in shared] == [fields(r) for r in serial]
    assert all(isinstance(r.path, Path) for r in shared)
    assert all(type(r.gpano).__name__ == "mappingproxy" for r in shared)


def test_spawned_workers_give_the_same(batch: list[Path], monkeypatch) -> None:
    # What Windows, macOS and the window do (no fork).
    monkeypatch.setattr(inspection, "_fork_is_safe", lambda: False)
    assert inspect_files(batch, workers=2) == [inspect_file(path) for path in batch]


def test_text_paths_come_back_as_paths(batch: list[Path]) -> None:
    texts = [os.fspath(path) for path in batch]
    assert [r.path for r in inspect_files(texts, workers=2)] == batch


def test_a_dead_helper_leaves_its_files_to_this_process(
    batch: list[Path], monkeypatch, caplog
) -> None:
    monkeypatch.setattr(inspection, "_inspect_rows", _die)
    assert inspect_files(batch, workers=2) == [inspect_file(path) for path in batch]
    assert "an inspection helper failed" in caplog.text


def test_no_helper_processes_means_checking_here(batch: list[Path], monkeypatch) -> None:
    def cannot_start(*args: object) -> None:
        raise OSError("no processes here")

    monkeypatch.setattr(os, "fork", cannot_start)
    assert inspect_files(batch, workers=2) == [inspect_file(path) for path in batch]
    monkeypatch.setattr(inspection, "_fork_is_safe", lambda: False)
    monkeypatch.setattr(inspection, "_start_pool", cannot_start)
    assert inspect_files(batch, workers=2) == [inspect_file(path) for path in batch]


def test_small_batches_and_one_cpu_stay_in_this_process(batch: list[Path], monkeypatch) -> None:
    monkeypatch.setattr(inspection, "_start_pool", None)  # would fail if called
    monkeypatch.setattr(forked_batch, "share", None)
    assert inspect_files(batch[:5]) == [inspect_file(path) for path in batch[:5]]
    assert inspect_files(batch, workers=1) == [inspect_file(path) for path in batch]


def test_ctrl_c_ends_the_helpers(batch: list[Path], monkeypatch) -> None:
    """Interrupted, this process stops its helpers and waits for them: none is left
    running, or as a zombie, after the KeyboardInterrupt."""
    parent = os.getpid()
    helpers: list[int] = []
    real_fork, real_inspect = os.fork, inspection.inspect_file

    def fork() -> int:
        pid = real_fork()
        if pid:
            helpers.append(pid)
        return pid

    def interrupted_here(path):
        if os.getpid() == parent:
            raise KeyboardInterrupt
        return real_inspect(path)

    monkeypatch.setattr(os, "fork", fork)
    monkeypatch.setattr(inspection, "inspect_file", interrupted_here)
    with pytest.raises(KeyboardInterrupt):
        inspect_files(batch, workers=3)
    assert len(helpers) == 2
    for pid in helpers:
        with pytest.raises(ChildProcessError):  # already waited for
            os.waitpid(pid, os.WNOHANG)


def test_ctrl_c_while_waiting_for_the_helpers_stops_them(batch: list[Path], monkeypatch) -> None:
    """Ctrl-C after this process has done its share, while it waits for a helper's results:
    the KeyboardInterrupt goes on (a review saw it turn into "no helpers" and the whole
    batch checked again), and the helper is stopped and waited for."""
    parent = os.getpid()
    helpers: list[int] = []
    real_fork, real_rows, real_inspect = os.fork, inspection._inspect_rows, inspection.inspect_file
    here: list[Path] = []

    def fork() -> int:
        pid = real_fork()
        if pid:
            helpers.append(pid)
        return pid

    def rows_then_ctrl_c(paths):
        time.sleep(0.3)  # a slow chunk: meanwhile this process has done the others (a
        os.kill(parent, signal.SIGINT)  # deliberate delay); then the user presses Ctrl-C
        time.sleep(5)  # while the helper is still busy (it is killed long before this ends)
        return real_rows(paths)

    def counted(path):
        if os.getpid() == parent:
            here.append(path)
        return real_inspect(path)

    monkeypatch.setattr(os, "fork", fork)
    monkeypatch.setattr(inspection, "_inspect_rows", rows_then_ctrl_c)
    monkeypatch.setattr(inspection, "inspect_file", counted)
    with pytest.raises(KeyboardInterrupt):
        inspect_files(batch, workers=2)
    assert len(helpers) == 1
    with pytest.raises(ChildProcessError):  # already waited for
        os.waitpid(helpers[0], os.WNOHANG)
    assert len(here) < len(batch)  # nothing checked again


HELPER_OUTLIVES_PARENT = r"""
import os, sys, time
from pathlib import Path
from thetadesk.core import inspection

paths, log = [Path(p) for p in sys.argv[2:]], Path(sys.argv[1])
parent, real_rows, real_inspect = os.getpid(), inspection._inspect_rows, inspection.inspect_file

def slow_rows(chunk):  # a slow disk; says who its parent was when it took the chunk
    with open(log, "a") as out:
        out.write(f"{os.getppid()}\n")
    time.sleep(0.05)
    return real_rows(chunk)

def killed(path):  # this process is killed (a service manager, `timeout`) while it checks
    if os.getpid() == parent:
        time.sleep(0.12)
        os.kill(parent, 9)
    return real_inspect(path)

inspection._inspect_rows, inspection.inspect_file = slow_rows, killed
print(parent, flush=True)
inspection.inspect_files(paths, workers=2)
"""


def test_helpers_stop_when_their_parent_is_killed(tmp_path: Path) -> None:
    good = make_theta_jpeg(tmp_path / "good.jpg")
    paths = [good] * (40 * inspection.CHUNK_FILES)
    log = tmp_path / "helper.log"
    # capture_output: run() returns once every holder of the output pipe, the helper
    # included, has exited.
    completed = subprocess.run(
        [sys.executable, "-c", HELPER_OUTLIVES_PARENT, str(log), *map(str, paths)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert completed.returncode == -9, completed.stderr
    parent = int(completed.stdout.split()[0])
    taken = log.read_text().split()
    assert taken and set(taken) == {str(parent)}  # nothing taken once the parent was gone
    assert len(taken) < 20  # far from the 39 chunks it would have done alone


def _die(paths: list[str]) -> list[tuple[object, ...]]:
    # A helper killed (out of memory, say) after taking its first chunk.
    os._exit(3)


def test_check_command_over_a_big_batch_matches_one_file_at_a_time(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    good = make_theta_jpeg(folder / "R0000000.JPG")
    for index in range(1, 4 * inspection.FORKED_MIN_FILES):
        target = folder / f"R{index:07d}.JPG"
        if index % 50 == 7:
            target.write_bytes(good.read_bytes()[:-100])  # truncated: rejected
        else:
            shutil.copyfile(good, target)
    env = {k: v for k, v in os.environ.items() if not k.startswith("THETADESK_")}
    env["THETADESK_DATA_DIR"] = str(tmp_path / "home")
    completed = subprocess.run(
        [sys.executable, "-m", "thetadesk", "check", "--json", str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )
    assert completed.returncode == 1, completed.stderr  # the truncated ones
    printed = json.loads(completed.stdout)
    expected = [inspect_file(path).to_json() for path in find_photos([folder])]
    assert printed == expected


@pytest.mark.parametrize(
    ("load", "count", "expected"),
    [
        (0.2, 5000, 4),  # an idle 4-CPU machine: every CPU
        (2.0, 5000, 3),  # two CPUs busy elsewhere: this process and two workers
        (3.9, 5000, 1),  # all busy: no workers to juggle as well
        (0.0, inspection.FORKED_MIN_FILES - 1, 1),  # too small to be worth a worker
    ],
)
def test_workers_follow_the_idle_cpus(monkeypatch, load: float, count: int, expected: int) -> None:
    monkeypatch.setattr(inspection, "_fork_is_safe", lambda: True)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load), raising=False)
    assert inspection._parallel_workers(count) == expected
