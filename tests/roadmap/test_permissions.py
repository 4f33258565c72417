"""A viewer (a leadership link) cannot change anything on the roadmap through any service."""
from __future__ import annotations

import inspect

import pytest
from sqlalchemy import func, select

import rm_core.roadmap.baselines as baselines
import rm_core.roadmap.importing as importing
import rm_core.roadmap.initiatives as initiatives
from rm_core.errors import PermissionDenied
from rm_core.roadmap.initiatives import PathToGreenInput
from rm_core.store.db import read_session
from rm_core.store.models import AuditEvent, Baseline, Dependency, Initiative, Milestone, PathToGreen, StatusChange

CSV = "title,workstream\nSneaky,Detection\n"

# Every write service with arguments that would succeed for an editor on the small roadmap.
WRITES = {
    "create_initiative": lambda a: initiatives.create_initiative(a, title="X", workstream="Detection"),
    "update_initiative": lambda a: initiatives.update_initiative(a, "INI-001", title="Renamed"),
    "apply_grid_edits": lambda a: initiatives.apply_grid_edits(a, [{"id": "INI-001", "title": "Renamed"}]),
    "drop_initiative": lambda a: initiatives.drop_initiative(a, "INI-003"),
    "set_status": lambda a: initiatives.set_status(a, "INI-001", "off_track", "Late"),
    "save_path_to_green": lambda a: initiatives.save_path_to_green(
        a, "INI-001", PathToGreenInput("Escalate", "priya", "2026-04-01")),
    "add_milestone": lambda a: initiatives.add_milestone(a, "INI-001", "M", "2026-02-01"),
    "update_milestone": lambda a: initiatives.update_milestone(a, 1, done=True),
    "remove_milestone": lambda a: initiatives.remove_milestone(a, 1),
    "add_dependency": lambda a: initiatives.add_dependency(a, "INI-002", "INI-003"),
    "remove_dependency": lambda a: initiatives.remove_dependency(a, "INI-001", "INI-002"),
    "save_baseline": lambda a: baselines.save_baseline(a, "Sneaky"),
    "delete_baseline": lambda a: baselines.delete_baseline(a, "OP1 approved"),
    "import_initiatives_csv": lambda a: importing.import_initiatives_csv(a, CSV),
}


def counts() -> tuple[int, ...]:
    with read_session() as s:
        return tuple(s.scalar(select(func.count()).select_from(model)) for model in
                     (Initiative, Milestone, Dependency, StatusChange, PathToGreen, Baseline, AuditEvent))


def test_every_public_write_service_is_covered_here():
    """A new write service must be added to WRITES (so the viewer test sees it)."""
    readers = {"known_owners", "list_owners", "load_plan", "plan_version", "status_history", "path_to_green_history",
               "next_initiative_id", "check_new_dependencies", "list_baselines", "get_baseline", "moved_since",
               "source_ideas"}
    public = {name for module in (initiatives, baselines, importing)
              for name, fn in vars(module).items()
              if inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("_")}
    assert public - readers == set(WRITES)


@pytest.mark.parametrize("service", sorted(WRITES))
def test_a_viewer_cannot_change_the_roadmap(small_roadmap, editor, viewer, service):
    baselines.save_baseline(editor, "OP1 approved")
    before = counts()
    with pytest.raises(PermissionDenied, match="needs the"):
        WRITES[service](viewer)
    assert counts() == before


@pytest.mark.parametrize("service", sorted(WRITES))
def test_an_editor_can_do_what_the_viewer_cannot(small_roadmap, editor, service):
    """The same call by an editor goes through: it is audited under the editor's name in the same write."""
    baselines.save_baseline(editor, "OP1 approved")
    before = latest_audit_id()
    WRITES[service](editor)
    with read_session() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    assert [e.actor for e in events] and {e.actor for e in events} == {editor.name}


def latest_audit_id() -> int:
    with read_session() as s:
        return s.scalar(select(func.max(AuditEvent.id))) or 0


def test_a_facilitator_may_edit_the_roadmap_to_promote_workshop_ideas(small_roadmap, facilitator):
    assert initiatives.create_initiative(facilitator, title="From the workshop", workstream="Workshop") == "INI-004"
