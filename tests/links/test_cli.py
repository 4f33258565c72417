"""`python -m rm_core links list|create|revoke`: the same rules as the Roadmap page's share section."""
from __future__ import annotations

import json

from rm_core import links
from rm_core.cli import main
from rm_core.identity import resolve_actor


def test_create_list_and_revoke_from_the_command_line(state, capsys):
    resolve_actor("tester")  # RM_USER of the state fixture: the installation's first user, so admin
    assert main(["links", "create", "--view", "roadmap", "--workstream", "Operations", "--days", "3",
                 "--base-url", "http://wb.example:8501/"]) == 0
    url = capsys.readouterr().out.strip()
    assert url.startswith("http://wb.example:8501/?share=")
    link = links.link_from_token(url.split("share=", 1)[1])
    assert link is not None and link.scope.roadmap["workstream"] == ["Operations"]
    assert main(["links", "list", "--format", "json"]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert (listed["id"], listed["status"], listed["created_by"]) == (link.id, "active", "tester")
    assert main(["links", "revoke", link.id]) == 0
    assert links.link_from_token(link.token) is None
    assert main(["links", "list", "--active"]) == 0
    assert "No share links yet" in capsys.readouterr().out


def test_a_viewer_cannot_make_a_link_and_gets_exit_2_with_the_role_needed(state, capsys):
    resolve_actor("first-user")
    resolve_actor("tester")  # a viewer now
    assert main(["links", "create", "--view", "roadmap"]) == 2
    assert "editor" in capsys.readouterr().err
    assert links.list_links(resolve_actor("first-user")) == []
