from __future__ import annotations

import argparse

from rm_core.workshops import add_idea, cast_vote, set_phase
from rm_core.workshops.cli import register


def run(argv):
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_list_tally_and_export_from_the_command_line(workshop, capsys, tmp_path):
    idea = add_idea(workshop.id, workshop.ana, "Device graph", workshop.prompt)
    set_phase(workshop.id, "group", workshop.facilitator)
    set_phase(workshop.id, "vote", workshop.facilitator)
    cast_vote(workshop.id, workshop.ben, idea)
    assert run(["workshop", "list"]) == 0
    assert workshop.session.code in capsys.readouterr().out
    assert run(["workshop", "tally", workshop.session.code.lower()]) == 0
    out = capsys.readouterr().out
    assert "1 votes on 1 ideas" in out and f"#{idea}" in out
    target = tmp_path / "ideas.csv"
    assert run(["workshop", "export", str(workshop.id), "--format", "csv", "-o", str(target)]) == 0
    assert "Device graph" in target.read_text()
    assert run(["workshop", "export", str(workshop.id), "--format", "md"]) == 0
    assert capsys.readouterr().out.startswith("# OP1 2027 ideation")


def test_suggest_prints_themes_for_ungrouped_ideas(workshop, capsys):
    for text in ("payout bank change", "payout bank hold", "device graph link", "device graph cluster"):
        add_idea(workshop.id, workshop.ana, text, workshop.prompt)
    assert run(["workshop", "suggest", str(workshop.id), "--themes", "2"]) == 0
    out = capsys.readouterr().out
    assert "clustered on embeddings (hash)" in out and out.count("ideas):") == 2
