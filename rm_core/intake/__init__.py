"""The always-open idea intake: ideas from analysts any day of the year, triaged, de-duplicated against ideas and
roadmap initiatives, and carried into the next OP1 workshop (`rm_core.workshops.seeding`).

The public face pages and scripts import from; see each module for the details (`ideas` documents who may do
what).
"""
from rm_core.intake.duplicates import SimilarRecord, similar_records, similar_to_idea
from rm_core.intake.transfer import INTAKE_COLUMNS, export_ideas, import_ideas
from rm_core.intake.ideas import (DECISIONS, NEXT_STATUSES, SITES, STATUS_LABELS, STATUSES, THEMES, HistoryEntry,
                                  IdeaInput, IntakeDetail, IntakeRecord, StatusMove, WorkshopUse, get_idea,
                                  intake_counts, list_ideas, may_submit, may_triage, merge_idea, move_idea, my_ideas,
                                  submit_idea, support_idea, validate_idea)

__all__ = [
    "DECISIONS", "NEXT_STATUSES", "SITES", "STATUS_LABELS", "STATUSES", "THEMES", "HistoryEntry", "IdeaInput",
    "IntakeDetail", "IntakeRecord", "StatusMove", "WorkshopUse", "get_idea", "intake_counts", "list_ideas",
    "may_submit", "may_triage", "merge_idea", "move_idea", "my_ideas", "submit_idea", "support_idea",
    "validate_idea", "SimilarRecord", "similar_records", "similar_to_idea",
    "INTAKE_COLUMNS", "export_ideas", "import_ideas",
]
