"""Whole-column cell formatting (writers/columns.py): each kind of column, with values written by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from calendar_audit.writers.columns import csv_column, csv_header, csv_quote, neutralise_texts


def texts(values: object) -> list[str]:
    return list(csv_column(pd.Series(values) if not isinstance(values, pd.Series) else values))


def test_text_column_neutralises_each_trigger_and_quotes_what_csv_needs() -> None:
    column = pd.Series(["=1+1", "+44 20", "-e3", "@SUM(A1)", "\tx", "\rx", "a,b", 'say "hi"', "ok", None, ""],
                       dtype=object)  # fmt: skip
    assert texts(column) == ["'=1+1", "'+44 20", "'-e3", "'@SUM(A1)", "'\tx", "\"'\rx\"", '"a,b"', '"say ""hi"""',
                             "ok", "", ""]  # fmt: skip


def test_a_string_holding_nul_takes_the_slow_path_with_the_same_result() -> None:
    assert list(neutralise_texts(np.array(["=a\0b", "b", "-c"], dtype=object))) == ["'=a\0b", "b", "'-c"]
    assert list(csv_quote(np.array(["x\0,y", "z"], dtype=object))) == ['"x\0,y"', "z"]


def test_mostly_distinct_text_column_is_formatted_straight_with_the_same_result() -> None:
    ids = [f"-id{i}" if i % 2 else f"id{i}" for i in range(1_500)]
    ids[3] = None  # type: ignore[call-overload]
    out = texts(pd.Series(ids, dtype=object))
    assert out[:5] == ["id0", "'-id1", "id2", "", "id4"] and out[-1] == "'-id1499"


def test_pandas_string_dtype_and_nullable_booleans() -> None:
    assert texts(pd.Series(["-x", None, "y"], dtype="string")) == ["'-x", "", "y"]
    assert texts(pd.Series([True, None, False], dtype="boolean")) == ["true", "", "false"]
    assert texts(pd.Series([True, False])) == ["true", "false"]


def test_lists_are_joined_then_neutralised() -> None:
    assert texts(pd.Series([("a", "b"), ("=x",), ()], dtype=object)) == ["a; b", "'=x", ""]


@pytest.mark.parametrize(("values", "expected"), [
    ([32.0, 4.69, -1.5, float("nan"), 0.3333], ["32", "4.69", "-1.5", "", "0.3333"]),
    ([-30, 45, 0], ["-30", "45", "0"]),
    (pd.array([1, None, -2], dtype="Int64"), ["1", "", "-2"]),
])  # fmt: skip
def test_numbers_are_numbers_negative_ones_too(values: object, expected: list[str]) -> None:
    assert texts(pd.Series(values)) == expected


def test_zoned_times_keep_their_offset_across_a_clock_change_and_utc() -> None:
    utc = pd.Series(pd.to_datetime(["2026-10-24 09:00", "2026-10-26 09:00", None]).tz_localize("UTC"))
    assert texts(utc.dt.tz_convert("Europe/London")) == ["2026-10-24T10:00:00+01:00", "2026-10-26T09:00:00+00:00", ""]
    assert texts(utc) == ["2026-10-24T09:00:00+00:00", "2026-10-26T09:00:00+00:00", ""]
    assert texts(utc.dt.tz_convert("Asia/Kolkata"))[0] == "2026-10-24T14:30:00+05:30"
    assert texts(utc.dt.tz_convert("America/St_Johns"))[0] == "2026-10-24T06:30:00-02:30"


def test_naive_times_are_local_minutes() -> None:
    assert texts(pd.Series(pd.to_datetime(["2026-10-19 10:00", None]))) == ["2026-10-19 10:00", ""]


def test_header_names_are_neutralised_and_quoted_like_cells() -> None:
    assert csv_header(["person", "=x", "a,b"]) == "person,'=x,\"a,b\""


def test_empty_columns() -> None:
    assert texts(pd.Series([], dtype=object)) == []
    assert texts(pd.Series([], dtype=float)) == []


def test_a_trigger_right_after_a_one_letter_or_empty_text_marks_its_own_cell() -> None:
    """The flags come from one scan of every text joined by NUL: a formula after a short neighbour is still its own."""
    assert list(neutralise_texts(np.array(["a", "=x", "", "+y"], dtype=object))) == ["a", "'=x", "", "'+y"]


def test_a_nul_after_the_first_letter_is_not_taken_for_a_cell_boundary() -> None:
    assert list(neutralise_texts(np.array(["a\0=b", "c"], dtype=object))) == ["a\0=b", "c"]


def test_fixed_width_string_arrays_get_their_whole_prefixed_and_quoted_text() -> None:
    """A NumPy unicode array holds strings no longer than its longest: the prefix and quotes must not be cut off."""
    assert list(neutralise_texts(np.array(["=x", "ab"]))) == ["'=x", "ab"]
    assert list(csv_quote(np.array(['a "b", c', "d"]))) == ['"a ""b"", c"', "d"]
    assert list(csv_header(["=x", "ab"]).split(",")) == ["'=x", "ab"]
