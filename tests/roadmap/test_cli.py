"""`python -m rm_core roadmap …` from the command line."""
from __future__ import annotations

import json

from rm_core.cli import main
from rm_core.identity import set_role


def test_import_baseline_moved_and_export_from_the_command_line(state, admin, tmp_path, capsys):
    set_role(admin, "tester", "editor")  # RM_USER of the state fixture
    set_role(admin, "priya", "editor")
    source = tmp_path / "plan.csv"
    source.write_text("id,title,workstream,owner,start,end\n"
                      "INI-001,Seller identity graph,Detection,priya,2026-01-05,2026-03-31\n"
                      "INI-002,Payout alerts,Detection,priya,2026-04-01,2026-06-30\n")
    assert main(["roadmap", "import", str(source)]) == 0
    assert "2 created" in capsys.readouterr().out
    assert main(["roadmap", "baseline", "save", "OP1 approved"]) == 0
    source.write_text("id,title,workstream,end\nINI-002,,,2026-08-31\n")
    assert main(["roadmap", "import", str(source)]) == 0
    capsys.readouterr()

    assert main(["roadmap", "moved", "--baseline", "OP1 approved", "--format", "json"]) == 0
    moved = json.loads(capsys.readouterr().out)
    assert moved["summary"]["slipped"] == 1
    assert [(m["id"], m["change"], m["end_shift_days"]) for m in moved["moves"]] == [("INI-002", "slipped", 62)]

    assert main(["roadmap", "moved", "--baseline", "OP1 approved", "--format", "md"]) == 0
    assert "| Payout alerts (INI-002) | Slipped | 2026-06-30 | 2026-08-31 | +62 d |" in capsys.readouterr().out

    for fmt in ("csv", "md", "html", "svg"):
        out = tmp_path / f"roadmap.{fmt}"
        assert main(["roadmap", "export", "--format", fmt, "--out", str(out), "--baseline", "OP1 approved"]) == 0
        assert "Payout alerts" in out.read_text(encoding="utf-8")


def test_a_bad_import_exits_2_with_the_problems_and_writes_nothing(state, admin, tmp_path, capsys):
    set_role(admin, "tester", "editor")
    source = tmp_path / "plan.csv"
    source.write_text("title,workstream,start,end\nBackwards,Detection,2026-05-01,2026-04-01\n")
    assert main(["roadmap", "import", str(source)]) == 2
    err = capsys.readouterr().err
    assert "plan.csv, row 2, field 'end': end 2026-04-01 is before start 2026-05-01" in err
    assert main(["roadmap", "list", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_viewer_cannot_save_a_baseline_from_the_command_line(state, admin, capsys):
    set_role(admin, "tester", "viewer")
    assert main(["roadmap", "baseline", "save", "Q3"]) == 2
    assert "needs the" in capsys.readouterr().err


def test_check_lists_conflicts_and_the_chain_behind_late_initiatives(small_roadmap, editor, capsys):
    from rm_core.roadmap.initiatives import set_status
    set_status(editor, "INI-002", "off_track", "Payments API slipped")
    assert main(["roadmap", "check", "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["cycle"] is None
    assert [(c["successor"], c["predecessor"], c["overlap_days"]) for c in found["conflicts"]] == \
        [("INI-002", "INI-001", 30)]
    assert found["late"]["INI-002"] == ["INI-001"]
    assert main(["roadmap", "list"]) == 0
    assert "INI-002   off_track   2026-03-01 → 2026-06-30" in capsys.readouterr().out
