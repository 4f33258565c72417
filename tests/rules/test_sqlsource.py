"""Hit logs that live in an engine: same answers as the in-memory path, bad tables refused, SQL per dialect."""
from __future__ import annotations

import json
from datetime import date, datetime

import polars as pl
import pytest
import sqlglot

from rm_core.cli import main
from rm_core.errors import UserError, ValidationFailed
from rm_core.rules import (lost_catches, overlap_matrix, recommend_retirement, retire_whatif, rule_stats,
                           shadow_catches, synth_hit_log, who_else_catches)
from rm_core.rules.sqlsource import open_hit_source
from tests.rules.hitlogs import hand_frame
from tests.rules.sources import ENGINES, prepare, sqlite_table

SQL_ENGINES = ENGINES[1:]


@pytest.fixture(scope="module")
def generated():
    return synth_hit_log(rows=30_000, rules=70, entities=4_000, seed=5)


@pytest.fixture(scope="module")
def in_memory(generated):
    return prepare("memory", generated, date(2026, 6, 1), date(2026, 10, 31))


@pytest.mark.parametrize("engine", SQL_ENGINES)
def test_every_answer_matches_the_in_memory_path_on_a_generated_log(engine, generated, in_memory, request):
    pg = request.getfixturevalue("pg_database") if engine == "postgresql" else None
    sql = prepare(engine, generated, date(2026, 6, 1), date(2026, 10, 31), pg_url=pg)
    # 70 rules span two 63-bit words, so rules on both sides of the word boundary are exercised.
    assert sql.rule_ids == in_memory.rule_ids and len(sql.rule_ids) == 70
    assert sql.label.size < in_memory.label.size  # signatures, not entities, came back
    assert sql.entity_count == in_memory.entity_count and sql.flagged_entities == in_memory.flagged_entities
    assert rule_stats(sql).equals(rule_stats(in_memory))
    for retire in (["R001"], ["R062", "R063", "R064"], list(in_memory.rule_ids[:35]), list(in_memory.rule_ids)):
        a, b = retire_whatif(in_memory, retire), retire_whatif(sql, retire)
        assert a.as_dict() == b.as_dict()
        assert lost_catches(in_memory, a).equals(lost_catches(sql, b))
    assert overlap_matrix(sql).equals(overlap_matrix(in_memory))
    assert who_else_catches(sql, "R003").equals(who_else_catches(in_memory, "R003"))
    assert shadow_catches(sql).equals(shadow_catches(in_memory))
    for budget in (0, 25):
        assert (recommend_retirement(sql, max_lost_confirmed_bad=budget).steps
                == recommend_retirement(in_memory, max_lost_confirmed_bad=budget).steps)


def test_a_folder_of_parquet_files_is_read_as_one_log(tmp_path, generated, in_memory):
    generated.head(10_000).write_parquet(tmp_path / "a.parquet")
    (tmp_path / "2026").mkdir()
    generated.slice(10_000).write_parquet(tmp_path / "2026" / "b.parquet")
    source = open_hit_source(f"parquet://{tmp_path}", memory_limit="256MB")
    assert source.rows == generated.height
    prepared = source.prepare(date(2026, 6, 1), date(2026, 10, 31))
    assert retire_whatif(prepared, ["R001", "R002"]).as_dict() == retire_whatif(in_memory, ["R001", "R002"]).as_dict()


def test_sqlite_times_with_offsets_are_read_as_utc(tmp_path):
    # 00:30 at +02:00 is 22:30 UTC the day before: outside a window that starts on the 2nd.
    path = tmp_path / "hits.db"
    url = sqlite_table(hand_frame().head(1), path)
    import sqlite3

    with sqlite3.connect(path) as con:
        con.execute("UPDATE hits SET event_time = '2026-01-02T00:30:00+02:00'")
    source = open_hit_source(url, "hits")
    assert source.first_day == date(2026, 1, 1)
    assert rule_stats(source.prepare(date(2026, 1, 2), date(2026, 1, 3)))["hits"].sum() == 0
    assert rule_stats(source.prepare())["last_hit"].to_list() == [datetime(2026, 1, 1, 22, 30)]


@pytest.mark.parametrize("change,field,words", [
    (pl.col("label").replace("unlabeled", "maybe"), "label", "unknown label 'maybe'"),
    (pl.col("action").replace("shadow", "muted"), "action", "unknown action 'muted'"),
    (pl.when(pl.col("entity_id") == "e2").then(None).otherwise(pl.col("entity_id")), "entity_id", "empty value"),
])
def test_a_bad_row_refuses_the_table_naming_the_column_and_the_count(tmp_path, change, field, words):
    frame = hand_frame().with_columns(change.alias(field))
    url = sqlite_table(frame, tmp_path / "hits.db")
    with pytest.raises(ValidationFailed) as err:
        open_hit_source(url, "hits")
    problem = err.value.problems[0]
    assert problem.field == field and words in problem.message and problem.file == "hits"


def test_a_missing_column_is_named(tmp_path):
    url = sqlite_table(hand_frame().drop("label"), tmp_path / "hits.db")
    with pytest.raises(ValidationFailed, match="missing column 'label'"):
        open_hit_source(url, "hits")


def test_a_missing_table_or_folder_is_a_clear_message(tmp_path):
    url = sqlite_table(hand_frame(), tmp_path / "hits.db")
    with pytest.raises(UserError, match="cannot read the hit table"):
        open_hit_source(url, "nope")
    with pytest.raises(UserError, match="no such file or folder"):
        open_hit_source(f"parquet://{tmp_path}/missing")
    with pytest.raises(UserError, match="name the table"):
        open_hit_source(url)


@pytest.mark.parametrize("dialect", ["postgres", "trino", "athena", "redshift", "spark", "sqlite", "duckdb"])
def test_the_generated_sql_parses_back_in_each_warehouse_dialect(tmp_path, dialect):
    source = open_hit_source(sqlite_table(hand_frame(), tmp_path / "hits.db"), "hits")
    source._engine.dialect = dialect  # only the text is checked here: it must be valid in that dialect
    source._relation = "analytics.rule_hits"
    captured = []
    source._engine.frame = lambda sql: captured.append(sql) or pl.DataFrame()
    with pytest.raises(Exception):
        source.prepare(date(2026, 1, 1), date(2026, 1, 31))
    sql = captured[0]
    assert "analytics.rule_hits" in sql
    sqlglot.parse_one(sql, read=dialect)


def test_the_cli_reads_a_sql_source(tmp_path, capsys):
    url = sqlite_table(hand_frame(), tmp_path / "hits.db")
    code = main(["rules", "whatif", "--hits-url", url, "--hits-table", "hits", "--retire", "A,B",
                 "--since", "2026-01-01", "--until", "2026-01-31"])
    impact = json.loads(capsys.readouterr().out)
    assert code == 0 and impact == {"retired": ["A", "B"], "flagged_before": 5, "flagged_after": 1,
                                    "lost_confirmed_bad": 2, "avoided_false_positive": 1, "lost_unlabeled": 1,
                                    "lost_exposure_usd": 90.0, "precision_before": 0.75, "precision_after": 1.0}
    code = main(["rules", "stats", "--hits-url", f"parquet://{tmp_path}/none.parquet"])
    assert code == 2 and "no such file" in capsys.readouterr().err
