"""Expanding dropped or given paths into the photo files to inspect."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.unreadable import refuse_listing
from thetadesk.core.scan import find_photos


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


@pytest.fixture
def roll(tmp_path: Path) -> Path:
    root = tmp_path / "roll"
    for name in [
        "R0010002.JPG",
        "R0010001.jpg",
        "b/pano.Jpeg",
        "a/deeper/R0010003.JPG",
        "._R0010001.JPG",  # macOS AppleDouble companion
        "Thumbs.db",
        ".DS_Store",
        "notes.txt",
        "R0010004.DNG",
        "video.MP4",
        ".hidden/R0010005.JPG",
        "a/.thumbnails/R0010006.JPG",
    ]:
        touch(root / name)
    return root


def test_folders_are_searched_recursively_sorted_and_filtered(roll: Path) -> None:
    assert find_photos([roll]) == [
        roll / "R0010001.jpg",
        roll / "R0010002.JPG",
        roll / "a" / "deeper" / "R0010003.JPG",
        roll / "b" / "pano.Jpeg",
    ]


def test_explicit_files_are_kept_whatever_their_name(roll: Path) -> None:
    given = [roll / "notes.txt", roll / "._R0010001.JPG", roll / "R0010004.DNG"]
    assert find_photos(given) == given


def test_missing_explicit_path_is_kept_to_be_reported(tmp_path: Path) -> None:
    assert find_photos([str(tmp_path / "gone.JPG")]) == [tmp_path / "gone.JPG"]


def test_duplicates_are_dropped_keeping_first_order(roll: Path) -> None:
    first = roll / "R0010002.JPG"
    relative = os.path.relpath(first)
    result = find_photos([first, roll, relative, str(first)])
    assert result[0] == first
    assert len(result) == 4 and len(set(result)) == 4


def test_accepts_strings_and_empty_input(roll: Path) -> None:
    assert find_photos([str(roll / "b")]) == [roll / "b" / "pano.Jpeg"]
    assert find_photos([]) == []


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="needs symlinks")
def test_symlink_loops_end(roll: Path) -> None:
    (roll / "a" / "deeper" / "loop").symlink_to(roll, target_is_directory=True)
    (roll / "b" / "self").symlink_to(roll / "b", target_is_directory=True)
    result = find_photos([roll])
    assert len(result) == 4
    assert len({os.path.realpath(p) for p in result}) == 4


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="needs symlinks")
def test_symlinked_folder_outside_the_tree_is_followed(tmp_path: Path) -> None:
    elsewhere = touch(tmp_path / "elsewhere" / "R0000001.JPG").parent
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(elsewhere, target_is_directory=True)
    assert find_photos([root]) == [root / "link" / "R0000001.JPG"]


def test_many_non_image_files_are_quick(tmp_path: Path) -> None:
    folder = tmp_path / "junk"
    folder.mkdir()
    for index in range(2000):
        (folder / f"file{index}.dat").write_bytes(b"")
    touch(folder / "one.jpg")
    assert find_photos([folder]) == [folder / "one.jpg"]


def test_each_folder_is_in_path_order_whatever_the_punctuation(tmp_path: Path, monkeypatch) -> None:
    # Sorted as Path objects sort (part by part), not as text: "a/x" before "a-b/y" and
    # "a b/z", although "-" and " " come before "/" in text.
    names = ["a/x.jpg", "a-b/y.jpg", "a b/z.jpg", "q.jpg", "a/b/w.jpg", "ab.jpg", "B.JPG"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert find_photos([tmp_path]) == sorted(tmp_path / name for name in names)
    monkeypatch.chdir(tmp_path)
    assert find_photos(["."]) == sorted(Path(name) for name in names)
    assert find_photos(["./a"]) == sorted(Path("a", name) for name in ("x.jpg", "b/w.jpg"))


@pytest.fixture
def locked(monkeypatch: pytest.MonkeyPatch, roll: Path) -> Path:
    """A subfolder that cannot be listed."""
    refuse_listing(monkeypatch, roll / "b")
    return roll / "b"


def test_a_folder_that_cannot_be_opened_is_reported(roll: Path, locked: Path) -> None:
    unreadable: list[tuple[Path, str]] = []
    found = find_photos([roll], unreadable)
    assert unreadable == [(locked, "Permission denied")]
    assert found and not any(locked in path.parents for path in found)


def test_the_command_line_says_what_it_could_not_open(roll: Path, locked: Path, capsys) -> None:
    from thetadesk import cli

    assert cli.main(["check", str(roll)]) == cli.EXIT_INCOMPLETE
    err = capsys.readouterr().err
    assert f"warning: cannot open the folder {locked} (Permission denied)" in err
    assert cli.main(["check", str(locked)]) == 2
    assert "no JPEG files could be read in" in capsys.readouterr().err


class _Entry:
    """Stands in for a Windows os.DirEntry (Linux's have no file attributes)."""

    def __init__(self, name: str, attributes: int) -> None:
        self.name = name
        self._attributes = attributes

    def stat(self, *, follow_symlinks: bool = True):  # type: ignore[no-untyped-def]
        return type("Stat", (), {"st_file_attributes": self._attributes})()


def test_windows_hidden_and_system_folders_are_not_searched(monkeypatch) -> None:
    from thetadesk.core import scan

    monkeypatch.setattr(scan, "_HAS_FILE_ATTRIBUTES", True)
    assert scan._is_hidden_dir(_Entry("System Volume Information", 0x2 | 0x4))
    assert scan._is_hidden_dir(_Entry("$RECYCLE.BIN", 0x2 | 0x4))
    assert scan._is_hidden_dir(_Entry("secret", 0x2))
    assert not scan._is_hidden_dir(_Entry("DCIM", 0x10))  # a plain directory
    assert scan._is_hidden_dir(_Entry(".thumbnails", 0x10))
