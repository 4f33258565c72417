"""`python -m rm_core trackers …`: list as JSON, import (all or nothing, exit 2 with the problems), export."""
import argparse
import json

import pytest

from rm_core.errors import UserError
from rm_core.identity import set_role, resolve_actor
from rm_core.trackers import cli


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "requests.csv"
    path.write_text("kind,title,requester_team,priority,opened_at\n"
                    "exec_escalation,=cmd(),BRP NA,P1,2020-01-01\n"
                    "partner_request,Gift cards,BRP EU,P3,2099-01-01\n")
    return path


def test_import_then_list_as_json_most_at_risk_first(state, csv_file, capsys):
    resolve_actor("tester")  # the first local user is admin
    assert run(["trackers", "import", "requests", str(csv_file)]) == 0
    assert "Imported 2 requests" in capsys.readouterr().out
    assert run(["trackers", "requests", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == ["REQ-00001", "REQ-00002"]
    assert rows[0]["sla_colour"] == "red" and rows[0]["age_bucket"] == "60+"


def test_export_csv_neutralises_formulas(state, csv_file, tmp_path, capsys):
    resolve_actor("tester")
    run(["trackers", "import", "requests", str(csv_file)])
    out = tmp_path / "out.csv"
    assert run(["trackers", "export", "requests", "--out", str(out)]) == 0
    assert "'=cmd()" in out.read_text()


def test_a_bad_file_is_a_user_error_naming_row_and_field(state, tmp_path):
    resolve_actor("tester")
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,title,requester_team\nnope,x,ML\n")
    with pytest.raises(UserError, match="bad.csv, row 2, field 'kind'"):
        run(["trackers", "import", "requests", str(bad)])


def test_a_viewer_cannot_import_from_the_command_line(state, csv_file):
    resolve_actor("tester")
    set_role(resolve_actor("tester"), "ada", "admin")  # the last admin cannot step down
    set_role(resolve_actor("tester"), "tester", "viewer")
    with pytest.raises(UserError, match="viewer"):
        run(["trackers", "import", "requests", str(csv_file)])


def test_sla_and_metrics_and_parity_print(state, capsys):
    assert run(["trackers", "sla", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["days"]["exec_escalation"]["P1"] == 1
    assert run(["trackers", "metrics"]) == 0
    assert "SOP parity %" in capsys.readouterr().out
    assert run(["trackers", "sops", "parity"]) == 0
    assert "no SOPs yet" in capsys.readouterr().out
