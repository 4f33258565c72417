"""`python -m rm_core …` as a user meets it: bad paths and damaged files give a message and exit 2, no traceback."""
import json
import zipfile

import pytest

from sqlalchemy import func, select

from rm_core.cli import main
from rm_core.identity import Actor, resolve_actor
from rm_core.state import backup_state
from rm_core.store.db import read_session
from rm_core.store.models import AuditEvent, Gap


def test_an_output_path_that_is_a_folder_is_a_message_not_a_traceback(state, tmp_path, capsys):
    resolve_actor("tester")
    folder = tmp_path / "reports"
    folder.mkdir()
    assert main(["roadmap", "export", "--format", "md", "--out", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: Cannot write {folder}: Is a directory")
    assert "Traceback" not in err and not list(tmp_path.glob(".*.partial"))  # no partial file left behind


def test_an_output_file_is_written_whole_with_a_receipt(state, tmp_path, capsys):
    resolve_actor("tester")
    out = tmp_path / "deep" / "roadmap.md"
    assert main(["roadmap", "export", "--format", "md", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("# ")
    assert capsys.readouterr().err.startswith(f"Wrote {out} (")
    assert sorted(p.name for p in out.parent.iterdir()) == ["roadmap.md"]


def test_importing_gaps_from_a_folder_names_the_folder(state, tmp_path, capsys):
    resolve_actor("tester")
    folder = tmp_path / "gaps.csv"
    folder.mkdir()
    assert main(["trackers", "import", "gaps", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"{folder}" in err and "is a folder, not a CSV file" in err
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(Gap)) == 0


def test_restoring_a_backup_missing_a_table_names_it_and_changes_nothing(state, tmp_path, capsys):
    resolve_actor("tester")  # the first local user is admin; resolving records a role event
    good = tmp_path / "good.zip"
    backup_state(Actor("ada", "admin"), good)
    with read_session() as s:
        events_before = s.scalar(select(func.count()).select_from(AuditEvent))
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(damaged, "w") as dst:
        for name in src.namelist():
            if name != "tables/gaps.jsonl":
                dst.writestr(name, src.read(name))
    assert main(["db", "restore", str(damaged), "--yes"]) == 2
    err = capsys.readouterr().err
    assert "tables/gaps.jsonl is missing" in err and "nothing was changed" in err
    assert "Traceback" not in err
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == events_before


def test_restoring_a_backup_with_a_damaged_row_changes_nothing(state, tmp_path, capsys):
    resolve_actor("tester")
    good = tmp_path / "good.zip"
    backup_state(Actor("ada", "admin"), good)
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(damaged, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name) if name != "tables/mos.jsonl" else b"{not json\n")
    assert main(["db", "restore", str(damaged), "--yes"]) == 2
    assert "tables/mos.jsonl line 1 is not a valid row" in capsys.readouterr().err
    meta = json.loads(zipfile.ZipFile(good).read("meta.json"))
    assert meta["format"] == "rm-backup/1"


def test_an_output_through_a_symlink_updates_its_target_and_keeps_its_mode(state, tmp_path, capsys):
    import os
    import stat

    resolve_actor("tester")
    target = tmp_path / "real.md"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o600)
    link = tmp_path / "link.md"
    link.symlink_to(target)
    assert main(["roadmap", "export", "--format", "md", "--out", str(link)]) == 0
    assert link.is_symlink() and target.read_text(encoding="utf-8").startswith("# ")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*.partial"))


@pytest.mark.parametrize("argv", [["roadmap", "list", "--format", "json"], ["trackers", "gaps", "list"],
                                  ["workshop", "list"]])
def test_every_command_starts_from_an_empty_state_folder(tmp_path, monkeypatch, capsys, argv):
    from rm_core.settings import get_settings

    monkeypatch.setenv("RM_HOME", str(tmp_path / "fresh"))
    monkeypatch.delenv("RM_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        assert main(argv) == 0, capsys.readouterr().err
    finally:
        get_settings.cache_clear()
    assert "Traceback" not in capsys.readouterr().err
