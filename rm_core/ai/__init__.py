"""AI assist: MO drafts from notes, answers with citations, theme names and summaries, report narratives, and the
usage log the WBR's AI ROI is computed from. Every feature has an offline method and uses a LangChain chat model
only when `RM_CHAT_MODEL` names one; a failing model gives the offline result and says why."""
from __future__ import annotations

from rm_core.ai.assist import Assisted
from rm_core.ai.ask import Answer, ask_repository
from rm_core.ai.draft import MODraft, draft_mo
from rm_core.ai.narrative import narrative
from rm_core.ai.themes import ThemeIdeas, name_themes, session_summary
from rm_core.ai.usage import log_unassisted_mo, record_outcome

__all__ = ["Answer", "Assisted", "MODraft", "ThemeIdeas", "ask_repository", "draft_mo", "log_unassisted_mo",
           "name_themes", "narrative", "record_outcome", "session_summary"]
