"""What an initiative may look like, checked the same way for the form, the grid and the CSV import."""
from __future__ import annotations

import datetime as dt
import math

from rm_core.roadmap.validation import clean_fields

OWNERS = {"priya": "priya", "brp lead": "BRP Lead"}


def problems(values, **kwargs) -> list[str]:
    return [str(p) for p in clean_fields(values, known_owners=OWNERS, **kwargs)[1]]


def test_a_complete_initiative_is_cleaned_to_typed_values():
    clean, found = clean_fields({"title": " Graph ", "workstream": "Detection", "owner": "brp LEAD",
                                 "horizon": "Now", "start": "2026-01-05", "end": dt.datetime(2026, 3, 31, 12),
                                 "status": "On track", "ai_based": "Yes", "expected_roi_usd": "$1,500"},
                                known_owners=OWNERS)
    assert found == []
    assert clean == {"title": "Graph", "workstream": "Detection", "owner": "BRP Lead", "horizon": "now",
                     "start": dt.date(2026, 1, 5), "end": dt.date(2026, 3, 31), "status": "on_track",
                     "ai_based": True, "expected_roi_usd": 1500.0}


def test_title_and_workstream_are_required_for_a_new_initiative_only():
    assert problems({}) == ["field 'title': title is required", "field 'workstream': workstream is required"]
    assert problems({"end": "2026-01-01"}, partial=True) == []


def test_an_end_before_the_start_names_both_dates_and_the_row():
    assert problems({"title": "A", "workstream": "W", "start": "2026-05-01", "end": "2026-04-30"}, row=7) == \
        ["row 7, field 'end': end 2026-04-30 is before start 2026-05-01"]


def test_unknown_values_say_what_is_allowed():
    found = problems({"title": "A", "workstream": "W", "horizon": "soon", "status": "green", "ai_based": "maybe",
                      "expected_roi_usd": "lots", "start": "31/12/2026", "colour": "red"})
    assert "field 'colour': unknown field; use title, description, workstream, owner, horizon, start, end, " \
           "status, status_note, ai_based, expected_roi_usd, source_idea_id" in found
    assert "field 'horizon': horizon 'soon' is not one of now, next, later" in found
    assert "field 'status': status 'green' is not one of not_started, on_track, at_risk, off_track, done" in found
    assert "field 'ai_based': AI-based 'maybe' is not yes/no" in found
    assert "field 'expected_roi_usd': expected ROI 'lots' is not a number of dollars" in found
    assert "field 'start': start date '31/12/2026' is not a date; write it as YYYY-MM-DD" in found


def test_blank_grid_cells_mean_no_date_no_roi_and_no_owner():
    clean, found = clean_fields({"start": math.nan, "expected_roi_usd": None, "owner": ""},
                                known_owners=OWNERS, partial=True)
    assert found == [] and clean == {"start": None, "expected_roi_usd": None, "owner": ""}


def test_an_update_cannot_blank_the_title():
    assert problems({"title": "  "}, partial=True) == ["field 'title': title cannot be blank"]
