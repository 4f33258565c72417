"""Dangerous commands are admin-only and `mo reindex` needs editor: refused means exit 2, the role named, and
nothing changed. Hit logs are stored relative to RM_HOME, and no file outside it is deleted."""
import datetime as dt
import json

import polars as pl
import pytest
from sqlalchemy import func, select

from rm_core.cli import main
from rm_core.identity import Actor, resolve_actor, set_role
from rm_core.state import backup_state
from rm_core.store.db import read_session, write_session
from rm_core.store.models import AuditEvent, Base, HitLog

ADMIN_COMMANDS = [
    ["demo", "seed", "--scale", "small", "--force"],
    ["db", "backup", "--out", "{tmp}/copy.zip"],
    ["db", "restore", "{tmp}/good.zip", "--yes"],
    ["users", "list", "--format", "json"],
    ["users", "grant", "tester", "admin"],
    ["users", "add", "new@example.com", "editor"],
    ["users", "deactivate", "ada"],
    ["users", "activate", "ada"],
]
EDITOR_COMMANDS = [["mo", "reindex"]]


def _rows() -> dict[str, int]:
    with read_session() as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


@pytest.fixture
def as_role(state, tmp_path):
    """RM_USER (tester) holds the given role; ada stays admin; a good backup exists for restore."""
    def make(role: str):
        boss = resolve_actor("tester")
        set_role(boss, "ada", "admin")
        backup_state(Actor("ada", "admin"), tmp_path / "good.zip")
        set_role(Actor("ada", "admin"), "tester", role)
        return tmp_path
    return make


@pytest.mark.parametrize("argv", ADMIN_COMMANDS + EDITOR_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_a_viewer_running_a_privileged_command_exits_2_naming_the_role_and_changes_nothing(as_role, capsys, argv):
    tmp = as_role("viewer")
    before = _rows()
    argv = [a.replace("{tmp}", str(tmp)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    needed = "admin" if argv in [[a.replace("{tmp}", str(tmp)) for a in c] for c in ADMIN_COMMANDS] else "editor"
    assert f"needs the {needed}" in err or f"needs the admin or {needed}" in err, err
    assert "Traceback" not in err
    assert _rows() == before
    assert not (tmp / "copy.zip").exists()


@pytest.mark.parametrize("argv", ADMIN_COMMANDS, ids=lambda a: " ".join(a[:2]))
def test_an_editor_is_refused_the_admin_commands_too(as_role, capsys, argv):
    tmp = as_role("editor")
    before = _rows()
    assert main([a.replace("{tmp}", str(tmp)) for a in argv]) == 2
    assert "admin" in capsys.readouterr().err
    assert _rows() == before


def test_an_admin_lists_and_grants_from_the_command_line(state, capsys):
    resolve_actor("tester")
    assert main(["users", "grant", "priya@example.com", "editor"]) == 0
    assert main(["users", "list", "--format", "json"]) == 0
    out = capsys.readouterr().out
    listed = {u["name"]: u for u in json.loads(out[out.index("["):])}
    assert listed["tester"]["role"] == "admin" and listed["tester"]["active"] is True
    assert listed["priya@example.com"]["role"] == "editor" and listed["priya@example.com"]["email"] == \
        "priya@example.com"
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "user.set_role")) == 1
    assert main(["users", "grant", "tester", "viewer"]) == 2  # the last admin
    assert "last active admin" in capsys.readouterr().err


def test_reindex_check_needs_no_role_but_a_rebuild_needs_editor(as_role, capsys):
    as_role("viewer")
    assert main(["mo", "reindex", "--check"]) == 0
    assert main(["mo", "reindex"]) == 2
    assert "editor" in capsys.readouterr().err


def _hits(path):
    pl.DataFrame({"rule_id": ["R1"], "entity_id": ["E1"], "event_time": [dt.datetime(2026, 1, 5)],
                  "label": ["confirmed_bad"]}).write_parquet(path)


def test_hit_logs_are_stored_relative_to_rm_home_and_old_absolute_rows_still_read(state):
    from rm_core.rules.logs import current_hit_log, upload_hit_log

    outside = state.home.parent / "elsewhere.parquet"
    _hits(outside)
    info = upload_hit_log(Actor("ada", "admin"), outside.read_bytes(), "week1.parquet")
    with read_session() as s:
        stored = s.scalars(select(HitLog.path)).one()
    assert stored.startswith("hits/") and not stored.startswith("/")
    assert current_hit_log().path == state.home / stored == info.path
    with write_session() as s:  # a row written before paths were relative
        s.query(HitLog).update({"current": False})
        s.add(HitLog(name="old", path=str(outside), rows=1, uploaded_by="ada", current=True))
    assert current_hit_log().path == outside and current_hit_log().path.exists()


def test_replacing_a_demo_world_never_deletes_a_hit_log_outside_rm_home(state):
    from rm_core.demo import seed_demo

    seed_demo(state, scale="small")
    other_home = state.home.parent / "other-state" / "hits"
    other_home.mkdir(parents=True)
    foreign = other_home / "demo-small-seed7-abcdef.parquet"
    _hits(foreign)
    with write_session() as s:  # an old absolute row pointing into another state folder
        s.add(HitLog(name="foreign", path=str(foreign), rows=1, uploaded_by="x", current=False))
    summary = seed_demo(state, scale="small", seed=8, force=True, actor=Actor("ada", "admin"))
    assert foreign.exists()
    assert summary.hit_log_path.exists() and state.holds(summary.hit_log_path)
