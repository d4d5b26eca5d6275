"""date_from_exif: the date part of an EXIF date-time, when it is a real date."""

from __future__ import annotations

import datetime as dt

import pytest

from thetadesk.core.verdict_rules import date_from_exif


def test_real_dates_are_what_datetime_accepts() -> None:
    for year in (0, 1, 1900, 1999, 2000, 2004, 2023, 2024, 2100, 9999):
        for month in range(14):
            for day in range(33):
                value = f"{year:04d}:{month:02d}:{day:02d} 12:00:00"
                try:
                    expected: str | None = dt.date(year, month, day).isoformat()
                except ValueError:
                    expected = None
                assert date_from_exif(value) == expected, value


@pytest.mark.parametrize(
    "value",
    [None, "", "    :  :     :  :  ", "2024:05:17", "2024-05-17 10:00:00", "x2024:05:17 10:00:00"],
)
def test_no_date_time_no_date(value: str | None) -> None:
    assert date_from_exif(value) is None


def test_a_theta_date_time() -> None:
    assert date_from_exif("2024:05:17 10:11:12") == "2024-05-17"
    assert date_from_exif("2024:05:17T10:11:12") == "2024-05-17"
