"""The GUI's form checks, table data and macro lines, without Qt or Tango."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sardana_nxsas.dataroot.fsn import FsnCounter
from sardana_nxsas.dataroot.layout import DataRoot
from sardana_nxsas.errors import NxsError
from sardana_nxsas.gui_model import (
    add_macro,
    catalog_filters,
    check_exposure_form,
    edit_macro,
    fsn_rows,
    newest_exposure,
    progress,
    row_cells,
    row_details,
    sample_rows,
    use_macro,
)
from sardana_nxsas.samples.model import Sample


def test_a_valid_form_gives_the_macro_lines():
    check = check_exposure_form("crd", "Glassy carbon", " 0.5 ", "3")
    assert check.ok and check.reason == ""
    assert check.macros == (("nxssample", "use", "Glassy carbon"), ("expose", "0.5", "3", "crd"))
    assert check.total_seconds == pytest.approx(1.5)
    assert check_exposure_form("crd", "", "2", "1").macros == (("expose", "2", "1", "crd"),)


@pytest.mark.parametrize(
    ("prefix", "time", "count", "reason"),
    [
        ("crd", "", "1", "give the exposure time"),
        ("crd", "x1", "1", "exposure time 'x1' is not a number"),
        ("crd", "-1", "1", "give a positive number of seconds"),
        ("crd", "nan", "1", "give a positive number of seconds"),
        ("crd", "1", "-3", "number of images -3 must be at least 1"),
        ("crd", "1", "1.5", "must be a whole number"),
        ("xyz", "1", "1", "unknown prefix 'xyz'"),
        ("", "1", "1", "choose a prefix"),
    ],
)
def test_bad_forms_are_refused_with_the_reason(prefix, time, count, reason):
    check = check_exposure_form(prefix, "", time, count)
    assert not check.ok and reason in check.reason and not check.macros


def test_progress_never_shows_done_before_the_end():
    assert progress(5, 10) == (50, "5.0 s elapsed, 5.0 s left")
    assert progress(30, 10)[0] == 99
    assert progress(12, 10, done=True) == (100, "12.0 s elapsed, done")


def test_fsn_rows_follow_allocations(data_root):
    assert fsn_rows(data_root)[0] == ("crd", "-", "1")
    FsnCounter(DataRoot(data_root)).allocate("crd")
    assert fsn_rows(data_root)[0] == ("crd", "1", "2")
    assert newest_exposure(data_root) is None  # a number without a file


def test_sample_edits_are_nxssample_lines():
    sample = Sample("GC", thickness=0.1, thickness_error=0.001)
    assert sample_rows([sample])[0][:4] == ["GC", "", "0.1", "0.001"]
    assert edit_macro(sample, 2, "0.2") == ("nxssample", "set", "GC", "thickness", "0.2", "0.001")
    assert edit_macro(sample, 3, "") == ("nxssample", "set", "GC", "thickness", "0.1", "-")
    assert edit_macro(sample, 0, "GC 2") == ("nxssample", "rename", "GC", "GC 2")
    assert edit_macro(sample, 6, "12") == ("nxssample", "set", "GC", "x", "12", "-")
    assert edit_macro(sample, 1, "Glassy \u03b1") == (
        "nxssample", "set", "GC", "title", "Glassy \\u03b1",
    )  # fmt: skip
    with pytest.raises(NxsError, match="positive"):
        edit_macro(sample, 2, "-1")
    with pytest.raises(NxsError, match="category"):
        edit_macro(sample, 8, "soup")
    assert add_macro(" new ") == ("nxssample", "add", "new")
    assert use_macro("GC", move=True) == ("nxssample", "use", "GC", "move")


def test_catalog_filters_and_cells():
    filters = catalog_filters("Glassy*", "crd", "2026-11-01", "2026-11-02", "P-1")
    assert filters["title"] == "Glassy*" and filters["prefix"] == "crd"
    assert filters["until"] > filters["since"]
    assert catalog_filters() == {}
    with pytest.raises(NxsError, match="is not a date"):
        catalog_filters(since="yesterday")
    with pytest.raises(NxsError, match="after"):
        catalog_filters(since="2026-11-03", until="2026-11-02")
    row = {
        "prefix": "crd", "fsn": 7, "title": "GC", "sample": None, "project": "P",
        "start_time": datetime(2026, 11, 1, tzinfo=UTC), "exposure_time": 0.5,
        "total_counts": 12, "status": "complete", "header": {"raw": {"distance": 1000.0}},
    }  # fmt: skip
    assert row_cells(row)[0] == "crd_00007" and row_cells(row)[5:] == ["0.5", "12", "complete"]
    details = dict(row_details(row))
    assert details["title"] == "GC" and details["raw/distance"] == "1000.0"
