"""Daily CSVs as people export them: quoted thousands, odd date forms, a BOM, blank rows — or a clear refusal."""
from datetime import date

import polars as pl
import pytest

from rm_core.errors import ValidationFailed
from rm_core.metrics import load_csv


def test_an_export_with_bom_quoted_thousands_weekday_dates_and_blank_trailing_rows_loads():
    raw = ('\ufeffDate,Impressions,Clicks,Share\n'
           '"Sun, 05-Jan-2020","523,419",41874,56.5%\n'
           '"Mon, 06-Jan-2020","1,564,364","45,149",55%\n'
           ',,,\n\n').encode("utf-8")
    frame = load_csv(raw, name="export.csv")
    assert frame.columns == ["Date", "Impressions", "Clicks", "Share"]
    assert frame["Date"].to_list() == [date(2020, 1, 5), date(2020, 1, 6)]
    assert frame["Impressions"].to_list() == [523419.0, 1564364.0]
    assert frame["Clicks"].to_list() == [41874.0, 45149.0]
    assert frame["Share"].to_list() == pytest.approx([0.565, 0.55])


@pytest.mark.parametrize("dates, first", [
    (["1/5/20", "12/31/20"], date(2020, 1, 5)),
    (["1/5/2020", "12/31/2020"], date(2020, 1, 5)),
    (["2020-01-05", "2020-12-31"], date(2020, 1, 5)),
    (["2020-01-05 00:00:00", "2020-12-31 00:00:00"], date(2020, 1, 5)),
    (["05-Jan-2020", "31-Dec-2020"], date(2020, 1, 5)),
])
def test_common_date_forms_are_read(dates, first):
    text = "Date,x\n" + "".join(f"{d},1\n" for d in dates)
    frame = load_csv(text.encode(), name="d.csv")
    assert frame["Date"][0] == first and frame["Date"][1] == date(2020, 12, 31)


def test_rows_are_sorted_by_date_and_text_columns_stay_text():
    frame = load_csv(b"Date,country,v\n2020-01-02,UK,2\n2020-01-01,US,1\n2020-01-01,UK,\n", name="x.csv")
    assert frame["Date"].to_list() == [date(2020, 1, 1), date(2020, 1, 1), date(2020, 1, 2)]
    assert frame.schema["country"] == pl.String
    assert frame["v"].to_list() == [1.0, None, 2.0]


def test_a_repeated_column_name_gets_a_suffix_as_pandas_gives_it():
    frame = load_csv(b"Date,Pct,Pct\n2020-01-01,1,2\n", name="x.csv")
    assert frame.columns == ["Date", "Pct", "Pct.1"]


def test_a_file_without_a_date_column_is_refused_naming_the_columns_found():
    with pytest.raises(ValidationFailed) as err:
        load_csv(b"Day,v\n2020-01-01,1\n", name="x.csv")
    assert "no 'Date' column" in str(err.value) and "Day" in str(err.value)


def test_an_unreadable_date_is_refused_with_its_row_and_value():
    with pytest.raises(ValidationFailed) as err:
        load_csv(b"Date,v\n2020-01-01,1\n2020-01-02,2\nnext tuesday,3\n", name="x.csv")
    problem = err.value.problems[0]
    assert (problem.file, problem.row, problem.field) == ("x.csv", 4, "Date")
    assert "next tuesday" in problem.message


def test_text_in_a_column_the_deck_reads_as_numbers_is_refused_with_its_row():
    with pytest.raises(ValidationFailed) as err:
        load_csv(b"Date,v\n2020-01-01,1\n2020-01-02,n/a\n", name="x.csv", numeric=["v"])
    problem = err.value.problems[0]
    assert (problem.row, problem.field) == (3, "v") and "'n/a' is not a number" in problem.message


def test_a_column_the_deck_needs_but_the_file_lacks_is_refused():
    with pytest.raises(ValidationFailed) as err:
        load_csv(b"Date,v\n2020-01-01,1\n", name="x.csv", numeric=["PageViews"])
    assert "PageViews" in str(err.value)


def test_a_row_with_values_but_no_date_is_refused_with_its_row():
    with pytest.raises(ValidationFailed) as err:
        load_csv(b"Date,v\n2020-01-01,1\n,5\n", name="x.csv")
    assert err.value.problems[0].row == 3


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationFailed, match="empty"):
        load_csv(b"", name="x.csv")
