"""Issue 8's corpus, end to end through the core and the CLI.

Every file case is inspected in-process (verdict, a clear reason, JSON, a tile thumbnail) and
all of them go through one `thetadesk check --json` and one `thetadesk check` subprocess, as a
batch: one broken file must not change its neighbours' verdicts. Nothing may touch the files:
sha256, size, mode and mtime are compared before and after, and no file may appear beside them.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from tests.support.broken_corpus import Case, DropCase, drop_cases, file_cases, write_case
from thetadesk import cli
from thetadesk.core import inspection
from thetadesk.core.inspection import Inspection, inspect_file
from thetadesk.core.scan import find_photos
from thetadesk.core.thumbnails import thumbnail_jpeg

ROOT = Path(__file__).resolve().parents[2]
CASES = {case.id: case for case in file_cases()}
DROPS = {case.id: case for case in drop_cases()}


def shown(path: str | os.PathLike[str]) -> str:
    """How a path must appear in CLI and JSON output (test-side: bad bytes as \\xNN)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


# -- "nothing on disk modified" -----------------------------------------------------------------


@dataclass(frozen=True)
class FileState:
    sha256: str | None  # None when the file cannot be read (chmod 000, a symlink loop)
    size: int
    mode: int
    mtime_ns: int


def file_state(path: str | bytes | os.PathLike[str]) -> FileState:
    info = os.lstat(path)  # a symlink's own times: it must not be followed and touched either
    try:
        with open(path, "rb") as stream:
            digest: str | None = hashlib.sha256(stream.read()).hexdigest()
    except OSError:
        digest = None
    return FileState(digest, info.st_size, info.st_mode, info.st_mtime_ns)


def tree_state(top: Path) -> dict[bytes, FileState]:
    """Every entry under `top`, as bytes paths, symlinks not followed."""
    states = {}
    for folder, dirs, files in os.walk(os.fsencode(top)):
        for name in dirs + files:
            full = os.path.join(folder, name)
            states[full] = file_state(full)
    return states


# -- the corpus, written once per session ---------------------------------------------------------


@dataclass(frozen=True)
class Corpus:
    folder: Path
    paths: dict[str, Path]
    before: dict[bytes, FileState]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    """All file cases in one folder; includes the genuine 11008×5504 (made here, once)."""
    folder = tmp_path_factory.mktemp("corpus")
    paths = {case.id: write_case(folder, case) for case in CASES.values() if not case.skip}
    return Corpus(folder, paths, tree_state(folder))


def chmod_stops_reading(path: Path) -> bool:
    try:
        with open(path, "rb"):
            return False
    except PermissionError:
        return True


def root_can_read(corpus: Corpus, case: Case) -> bool:
    # As root (the CI container), chmod 000 does not stop reading: such a run cannot see the
    # real error, so it is injected in-process instead (see test_unreadable_file_in_the_cli).
    return case.unreadable and not chmod_stops_reading(corpus.paths[case.id])


def assert_clear_reasons(result: Inspection) -> None:
    assert result.reasons, "every verdict needs a reason"
    for reason in result.reasons:
        assert reason.strip() and reason.isprintable(), repr(reason)
        assert "unexpected error" not in reason, result.reasons  # an exception was swallowed
        assert "Traceback" not in reason and "Error(" not in reason, reason


def params(cases: dict[str, Case] | dict[str, DropCase]) -> list:
    return [
        pytest.param(case_id, marks=pytest.mark.skip(reason=case.skip) if case.skip else ())
        for case_id, case in cases.items()
    ]


# -- every file case in-process -------------------------------------------------------------------


@pytest.mark.parametrize("case_id", params(CASES))
def test_file_case(corpus: Corpus, case_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[case_id]
    path = corpus.paths[case_id]
    before = file_state(path)
    if root_can_read(corpus, case):

        def refuse(*args: object, **kwargs: object) -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(inspection, "open", refuse, raising=False)
    decoded: list[object] = []
    if case.never_decode:

        def no_decoding(*args: object, **kwargs: object) -> None:
            decoded.append(args)
            raise AssertionError("this file must be judged from its header alone")

        monkeypatch.setattr(Image, "open", no_decoding)

    result = inspect_file(path)

    assert result.verdict is case.verdict, (case.bullet, result.reasons)
    assert any(case.reason in reason for reason in result.reasons), (case.bullet, result.reasons)
    assert_clear_reasons(result)
    text = json.dumps(result.to_json(), ensure_ascii=False)
    text.encode("utf-8")  # what the CLI writes: must be encodable, whatever the name
    assert json.loads(text)["path"] == shown(path)
    thumbnail = thumbnail_jpeg(path)  # the tile: an image or None, never an exception
    assert thumbnail is None or thumbnail.startswith(b"\xff\xd8")
    assert not decoded, "decoded although the header is over the pixel cap"
    assert file_state(path) == before, "inspection or the thumbnail changed the file"


def test_corpus_ids_are_unique_and_cover_every_section() -> None:
    assert len(CASES) == len(file_cases())
    assert {case.section for case in CASES.values()} == {
        "Files: structure",
        "Files: EXIF",
        "Files: XMP",
        "Files: THETA",
        "Paths and drops",
    }


# -- the whole corpus through the CLI, as one batch ---------------------------------------------


def run_cli(args: Sequence[str | os.PathLike[str]], encoding: str = "utf-8"):
    """`thetadesk ARGS` in a subprocess whose output is strict `encoding` (like a terminal)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("THETADESK_")}
    env["PYTHONIOENCODING"] = encoding  # no error handler given: strict, as on most desktops
    return subprocess.run(
        [sys.executable, "-m", "thetadesk", *map(os.fspath, args)],
        capture_output=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )


def batch(corpus: Corpus) -> list[str]:
    return [
        case_id
        for case_id in corpus.paths
        if not root_can_read(corpus, CASES[case_id])  # judged in-process instead
    ]


def test_cli_check_json_of_the_whole_corpus(corpus: Corpus) -> None:
    ids = batch(corpus)
    before = tree_state(corpus.folder)
    result = run_cli(["check", "--json", *(corpus.paths[case_id] for case_id in ids)])
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1, stderr  # some files are not uploadable: expected
    assert "Traceback" not in stderr
    items = json.loads(result.stdout.decode("utf-8"))  # strict: the output is valid UTF-8
    assert len(items) == len(ids)
    for case_id, item in zip(ids, items, strict=True):
        case = CASES[case_id]
        assert item["path"] == shown(corpus.paths[case_id])
        assert item["verdict"] == case.verdict.value, (case_id, item["reasons"])
        assert item["uploadable"] is case.verdict.uploadable
        assert any(case.reason in reason for reason in item["reasons"]), (case_id, item)
    assert stderr.strip().splitlines()[-1].endswith("files are not uploadable as they are")
    assert tree_state(corpus.folder) == before == corpus.before


def test_cli_check_text_of_the_whole_corpus(corpus: Corpus) -> None:
    ids = batch(corpus)
    result = run_cli(["check", *(corpus.paths[case_id] for case_id in ids)])
    output = result.stdout.decode("utf-8")
    assert result.returncode == 1, result.stderr
    assert b"Traceback" not in result.stderr
    lines = output.splitlines()
    for case_id in ids:
        case = CASES[case_id]
        headline = f"{case.verdict.value:<12} {shown(corpus.paths[case_id])}  ["
        at = next(i for i, line in enumerate(lines) if line.startswith(headline))
        assert case.reason in lines[at + 1], (case_id, lines[at : at + 2])
    assert lines[-1].startswith(f"{len(ids)} files: ")
    assert tree_state(corpus.folder) == corpus.before


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_cli_survives_an_output_that_cannot_carry_the_names(corpus: Corpus, encoding: str) -> None:
    # A Windows pipe or a legacy console: Japanese, Romanian and "°" are not all encodable.
    ids = batch(corpus)
    files = [corpus.paths[case_id] for case_id in ids]
    text = run_cli(["check", *files], encoding)
    assert text.returncode == 1 and b"Traceback" not in text.stderr, text.stderr
    assert text.stdout.decode(encoding).splitlines()[-1].startswith(f"{len(ids)} files: ")
    as_json = run_cli(["check", "--json", *files], encoding)
    assert as_json.returncode == 1 and b"Traceback" not in as_json.stderr, as_json.stderr
    items = json.loads(as_json.stdout.decode(encoding))  # \u escapes: still valid JSON
    assert [item["path"] for item in items] == [shown(path) for path in files]
    assert [item["verdict"] for item in items] == [CASES[i].verdict.value for i in ids]


@pytest.mark.skipif(os.name == "nt", reason="no chmod 000 on Windows")
def test_unreadable_file_in_the_cli(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case = CASES["unreadable"]
    path = corpus.paths[case.id]
    if chmod_stops_reading(path):
        pytest.skip("chmod 000 stops reading here: the subprocess runs above saw the real error")

    # Running as root: inject what open() raises for a chmod 000 file, through the CLI's own
    # main(), so the path from the error to the printed reason is still exercised.
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(inspection, "open", refuse, raising=False)
    assert cli.main(["check", "--json", os.fspath(path)]) == cli.EXIT_INCOMPLETE
    (item,) = json.loads(capsys.readouterr().out)
    assert item["verdict"] == case.verdict.value
    assert item["reasons"] == [case.reason]


# -- folders: what find_photos keeps, and how the CLI ends -------------------------------------


@pytest.mark.parametrize("case_id", params(DROPS))
def test_drop_case(tmp_path: Path, case_id: str, record_property) -> None:
    case = DROPS[case_id]
    dropped = case.make(tmp_path)
    before = tree_state(tmp_path)

    started = time.perf_counter()
    found = find_photos([dropped])
    # Measured and reported (`--junitxml` or -rP), never asserted: CI machines vary too much.
    record_property("find_photos_seconds", round(time.perf_counter() - started, 3))
    assert [Path(os.path.relpath(path, dropped)).as_posix() for path in found] == list(case.found)
    for path in found:
        result = inspect_file(path)
        assert result.verdict.uploadable, (case.bullet, path, result.reasons)

    result = run_cli(["check", dropped])
    output = (result.stdout + result.stderr).decode("utf-8")
    assert result.returncode == case.exit_code, output
    assert case.output in output, output
    assert "Traceback" not in output
    assert tree_state(tmp_path) == before
