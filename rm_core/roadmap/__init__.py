"""The roadmap: initiatives with milestones, dependencies, RAG status and path to green, baselines, and views.

Public face for pages and scripts; the modules behind it:
`plan` (pure reasoning: roll-up, slip, dependencies), `validation` (what an initiative may look like),
`initiatives` (role-checked, audited services), `baselines`, `importing` (CSV), `export` (CSV, one-pager,
images), `charts` (the Gantt spec), `views` (the page's compute path), `cli`.
"""
from __future__ import annotations

import importlib
from typing import Any

# name -> module; imported on first use so `python -m rm_core --help` does not pay for SQLAlchemy and Altair.
_EXPORTS = {
    "baselines": ("BaselineInfo", "delete_baseline", "get_baseline", "list_baselines", "moved_since",
                  "save_baseline"),
    "initiatives": ("PathToGreenInput", "StatusEntry", "add_dependency", "add_milestone", "apply_grid_edits",
                    "create_initiative", "drop_initiative", "known_owners", "list_owners", "load_plan", "path_to_green_history",
                    "plan_version", "remove_dependency", "remove_milestone", "save_path_to_green", "set_status",
                    "source_ideas", "status_history", "update_initiative", "update_milestone"),
    "importing": ("ImportResult", "import_initiatives_csv"),
    "plan": ("CHANGE_LABELS", "HORIZON_LABELS", "HORIZONS", "STATUS_LABELS", "STATUSES", "Move", "MoveSummary",
             "Plan", "PlanItem", "chain_behind", "compare_to_baseline", "dependency_conflicts", "find_cycle",
             "is_late", "roll_up"),
    "views": ("ZOOMS", "RoadmapView", "roadmap_view"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'rm_core.roadmap' has no attribute {name!r}")
    return getattr(importlib.import_module(f"rm_core.roadmap.{module}"), name)
