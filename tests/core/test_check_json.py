"""`thetadesk check --json` writes its JSON with the C encoder: the text must be exactly what
json.dumps(..., indent=2) gives (the format scripts read), for every kind of result."""

from __future__ import annotations

import io
import sys
from enum import IntEnum, StrEnum
from pathlib import Path

import pytest

from tests.core.samples import SAMPLES
from tests.support.broken_corpus import file_cases, write_case
from thetadesk import cli
from thetadesk.core.inspection import inspect_file


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, object]]:
    folder = tmp_path_factory.mktemp("corpus")
    paths = [
        write_case(folder, case)
        for case in file_cases()
        if not case.skip and case.id != "genuine-11008x5504"
    ]
    paths += sorted(SAMPLES.glob("*.*")) if SAMPLES.is_dir() else []
    return [inspect_file(path).to_json() for path in paths]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "ascii"])
def test_check_json_is_json_dumps_indent_2(rows, monkeypatch, encoding: str) -> None:
    stdout = io.TextIOWrapper(io.BytesIO(), encoding=encoding)
    monkeypatch.setattr(sys, "stdout", stdout)
    assert cli._check_json_text(rows) == cli._json_text(rows)
    assert cli._check_json_text(rows[:1]) == cli._json_text(rows[:1])
    assert cli._check_json_text([]) == cli._json_text([]) == "[]"
    assert any(row["gpano"] for row in rows) and any(not row["gpano"] for row in rows)


def test_odd_values_are_written_as_json_dumps_writes_them() -> None:
    rows = [
        {
            "path": 'a "quoted" \\ path\x00reasons\x00',
            "reasons": ["\u00e9\u6771\u4eac", "", "tab\there"],
            "gpano": {"K\x00": "\x00gpano\x00", "": ""},
            "empty": [],
            "none": {},
            "n": None,
            "b": False,
            "f": 1.5,
        },
        {"only": 1},
        # A text that is exactly what a marker for the nested list after it used to be.
        {"model": "\x00reasons\x00", "reasons": ["x", "y"]},
    ]
    assert cli._check_json_text(rows) == cli._json_text(rows)
    deeper = [{"list": [[1]]}]
    assert cli._check_json_text(deeper) == cli._json_text(deeper)


@pytest.mark.parametrize(
    "value",
    [
        float("nan"), float("inf"), -0.0, 1e300, 2**70, -3, True, (1, "a"), ["x", 2.5, None],
        {1: "number key"}, {"k": [1]}, {"k": {"k": 1}}, IntEnum("N", "A").A,
        StrEnum("S", "B").B, {}, [],
    ],
    ids=repr,
)  # fmt: skip
def test_every_kind_of_value_is_written_as_json_dumps_writes_it(value: object) -> None:
    rows = [{"before": "x", "value": value, "list": [value], "object": {"k": value}}, {}]
    assert cli._check_json_text(rows) == cli._json_text(rows)


def test_a_path_is_written_as_before(tmp_path: Path) -> None:
    row = inspect_file(tmp_path / "missing.jpg").to_json()
    assert cli._check_json_text([row]) == cli._json_text([row])


def test_keys_that_are_not_text_are_written_as_json_dumps_writes_them() -> None:
    for key in (1, None, True, 2.5):
        rows = [{"a": "x", key: "value"}]
        assert cli._check_json_text(rows) == cli._json_text(rows)
