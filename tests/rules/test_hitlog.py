"""Reading hit logs: what is accepted, and how each kind of bad input is refused (file, column, row, value)."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl
import pytest

from rm_core.errors import UserError, ValidationFailed
from rm_core.rules import LABELS, load_hit_log
from tests.rules.hitlogs import hand_frame

GOOD_CSV = (
    "rule_id,entity_id,event_time,label,action,amount_usd\n"
    "R2,S1,2026-03-01T10:00:00Z,confirmed_bad,enforced,\"$1,200.50\"\n"
    "R10,S2,2026-03-02 11:30,false_positive,,80\n"
    "R2,S2,2026-03-03,unlabeled,shadow,\n"
)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def refused(path) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as err:
        load_hit_log(path)
    return err.value


def test_a_csv_hit_log_is_read_with_its_optional_columns(tmp_path):
    log = load_hit_log(write(tmp_path, "hits.csv", GOOD_CSV))
    assert log.rows == 3 and log.source == "hits.csv"
    assert log.rule_ids == ("R2", "R10")  # natural order: R2 before R10
    assert [log.rule_ids[r] for r in log.rule] == ["R2", "R10", "R2"]
    assert log.entity_ids.gather(log.entity).to_list() == ["S1", "S2", "S2"]
    assert [LABELS[c] for c in log.label] == ["confirmed_bad", "false_positive", "unlabeled"]
    assert log.enforced.tolist() == [True, True, False]  # a blank action is enforced
    assert log.event_time.astype("datetime64[us]").tolist() == [
        datetime(2026, 3, 1, 10), datetime(2026, 3, 2, 11, 30), datetime(2026, 3, 3)]
    assert log.amount_usd[:2].tolist() == [1200.5, 80.0] and np.isnan(log.amount_usd[2])


def test_a_parquet_hit_log_with_time_zones_is_read_in_utc(tmp_path):
    frame = hand_frame().with_columns(pl.col("event_time").dt.replace_time_zone("America/Costa_Rica"))
    frame.write_parquet(tmp_path / "hits.parquet")
    log = load_hit_log(tmp_path / "hits.parquet")
    assert log.rows == len(frame)
    assert log.event_time[0].astype("datetime64[us]").item() == datetime(2026, 1, 2, 16)  # 10:00 UTC-6


def test_uploaded_bytes_are_sniffed_for_parquet(tmp_path):
    hand_frame().write_parquet(tmp_path / "x.parquet")
    log = load_hit_log((tmp_path / "x.parquet").read_bytes(), name="upload.parquet")
    assert log.rows == 11 and log.source == "upload.parquet"
    assert load_hit_log(GOOD_CSV.encode(), name="upload.csv").rows == 3


def test_a_missing_column_is_named(tmp_path):
    err = refused(write(tmp_path, "hits.csv", "rule_id,entity_id,event_time\nR1,S1,2026-01-01\n"))
    assert [p.field for p in err.problems] == ["label"]
    assert "hits.csv" in str(err) and "missing column 'label'" in str(err)


def test_an_unknown_label_is_named_with_its_row_and_value(tmp_path):
    text = GOOD_CSV + "R2,S3,2026-03-04,fraud,enforced,1\nR2,S4,2026-03-04,fraud,enforced,1\n"
    err = refused(write(tmp_path, "hits.csv", text))
    (problem,) = err.problems
    assert (problem.file, problem.row, problem.field) == ("hits.csv", 4, "label")
    assert "unknown label 'fraud'" in problem.message and "2 rows" in problem.message


def test_an_unparseable_time_is_named_with_its_row_and_value(tmp_path):
    err = refused(write(tmp_path, "hits.csv", GOOD_CSV + "R2,S3,31/02/2026,unlabeled,enforced,1\n"))
    (problem,) = err.problems
    assert (problem.row, problem.field) == (4, "event_time")
    assert "unparseable time '31/02/2026'" in problem.message


def test_an_unknown_action_and_a_bad_amount_are_both_reported(tmp_path):
    err = refused(write(tmp_path, "hits.csv", GOOD_CSV + "R2,S3,2026-03-04,unlabeled,block,ten\n"))
    assert {(p.field, p.row) for p in err.problems} == {("action", 4), ("amount_usd", 4)}
    assert "unknown action 'block'" in str(err) and "not a number: 'ten'" in str(err)


def test_an_empty_entity_id_is_refused(tmp_path):
    err = refused(write(tmp_path, "hits.csv", GOOD_CSV + "R2,,2026-03-04,unlabeled,enforced,1\n"))
    assert [(p.field, p.row) for p in err.problems] == [("entity_id", 4)]


def test_an_empty_file_is_refused(tmp_path):
    err = refused(write(tmp_path, "hits.csv", ""))
    assert "empty" in str(err) and "hits.csv" in str(err)


def test_a_header_without_hits_is_refused(tmp_path):
    err = refused(write(tmp_path, "hits.csv", "rule_id,entity_id,event_time,label\n"))
    assert "no hits" in str(err)


def test_a_file_that_is_neither_parquet_nor_csv_is_refused(tmp_path):
    path = tmp_path / "hits.parquet"
    path.write_bytes(b"PAR1 not really parquet")
    assert "hits.parquet" in str(refused(path))


def test_a_numeric_event_time_column_is_refused(tmp_path):
    frame = hand_frame().with_columns(pl.lit(5).alias("event_time"))
    frame.write_parquet(tmp_path / "hits.parquet")
    err = refused(tmp_path / "hits.parquet")
    assert err.problems[0].field == "event_time"


def test_a_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="no such file"):
        load_hit_log(tmp_path / "nope.parquet")


def test_many_distinct_entity_ids_get_dense_codes_that_round_trip():
    ids = [f"seller-{i % 5000}" for i in range(40_000)]
    frame = pl.DataFrame({"rule_id": "R1", "entity_id": ids, "event_time": datetime(2026, 1, 1),
                          "label": "unlabeled"})
    log = load_hit_log(frame)
    assert log.entity_ids.len() == 5000 and log.entity.max() == 4999
    assert log.entity_ids.gather(log.entity).to_list() == ids


def test_a_semicolon_separated_file_gets_a_hint(tmp_path):
    err = refused(write(tmp_path, "hits.csv", "rule_id;entity_id;event_time;label\nR1;S1;2026-01-01;unlabeled\n"))
    assert "comma-separated" in str(err)


def test_times_written_in_several_ways_in_one_file_are_all_read(tmp_path):
    rows = "".join(f"R1,S{i},{t},unlabeled\n" for i, t in enumerate(
        ["2026-03-01T10:00:00", "2026-03-01 11:00", "2026-03-02", "2026-03-02T12:00:00+02:00",
         "2026-03-03 08:30:00.250"] * 300))
    log = load_hit_log(write(tmp_path, "hits.csv", "rule_id,entity_id,event_time,label\n" + rows))
    assert log.event_time[:5].astype("datetime64[us]").tolist() == [
        datetime(2026, 3, 1, 10), datetime(2026, 3, 1, 11), datetime(2026, 3, 2), datetime(2026, 3, 2, 10),
        datetime(2026, 3, 3, 8, 30, 0, 250_000)]


def test_an_empty_label_is_named_as_empty(tmp_path):
    err = refused(write(tmp_path, "hits.csv", GOOD_CSV + "R2,S3,2026-03-04,,enforced,1\n"))
    assert [(p.field, p.row) for p in err.problems] == [("label", 4)] and "empty value" in str(err)


def test_an_unknown_column_is_refused_with_its_row_and_name(tmp_path):
    text = GOOD_CSV.replace("action", "acton", 1)  # a misspelt column would read every hit as enforced
    err = refused(write(tmp_path, "hits.csv", text))
    (problem,) = err.problems
    assert (problem.file, problem.row, problem.field) == ("hits.csv", 1, "acton")
    assert "unknown column" in problem.message
