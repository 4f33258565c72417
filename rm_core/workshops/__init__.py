"""OP1 workshop boards: live, facilitated ideation — brainstorm → group → vote → score → wrap-up → closed.

Who may do what: the session's facilitator, the co-facilitators they name and admins run it (services take the
caller's `Actor`); participants join through a signed join link (or the session code) with the name they type
and act through a signed participant token that names their session and their place in it, so editing a URL
cannot act as someone else or elsewhere. See `_guards` for the details.
Vote limits and one-name-per-participant are enforced by database constraints (see `voting`).
"""
from rm_core.workshops.board import Board, IdeaCard, ThemeCard, load_board
from rm_core.workshops.grouping import (apply_suggestions, create_theme, delete_theme, merge_themes, move_idea,
                                        move_ideas, rename_theme)
from rm_core.workshops.ideas import IDEA_MAX, add_idea, edit_idea, remove_idea, withdraw_idea
from rm_core.workshops.promote import HORIZONS, promote_idea
from rm_core.workshops.scoring import ScoreInput, score_idea, score_value, scores_frame
from rm_core.workshops.sessions import (TEMPLATES, JoinedParticipant, SessionSummary, SessionView, close_session,
                                        create_session, extend_timer, facilitator_participant, find_session,
                                        get_session, join, join_token, list_sessions, participant, participant_actor,
                                        participant_from_token, participant_token, phase_change_resets,
                                        reveal_ideas, runs_session, session_from_join_token, set_co_facilitators,
                                        set_locked, set_phase, set_timer, update_limits)
from rm_core.workshops.seeding import (IntakeOrigin, SeedCandidate, SeedResult, intake_origins, seed_board,
                                       seed_candidates)
from rm_core.workshops.themes import SuggestedTheme, ThemeSuggestions, suggest_for_session
from rm_core.workshops.voting import (IdeaTally, VoteResult, VoterStatus, cast_vote, not_voted, retract_vote, tally,
                                      votes_left, voting_status)
from rm_core.workshops._guards import PHASE_LABELS, PHASES

__all__ = [
    "Board", "IdeaCard", "ThemeCard", "load_board",
    "apply_suggestions", "create_theme", "delete_theme", "merge_themes", "move_idea", "move_ideas", "rename_theme",
    "IDEA_MAX", "add_idea", "edit_idea", "remove_idea", "withdraw_idea",
    "HORIZONS", "promote_idea",
    "ScoreInput", "score_idea", "score_value", "scores_frame",
    "TEMPLATES", "JoinedParticipant", "SessionSummary", "SessionView", "close_session", "create_session",
    "extend_timer", "facilitator_participant", "find_session", "get_session", "join", "list_sessions",
    "join_token", "participant", "participant_actor", "participant_from_token", "participant_token",
    "phase_change_resets", "reveal_ideas", "runs_session", "session_from_join_token", "set_co_facilitators",
    "set_locked", "set_phase", "set_timer", "update_limits",
    "IntakeOrigin", "SeedCandidate", "SeedResult", "intake_origins", "seed_board", "seed_candidates",
    "SuggestedTheme", "ThemeSuggestions", "suggest_for_session",
    "IdeaTally", "VoteResult", "VoterStatus", "cast_vote", "not_voted", "retract_vote", "tally", "votes_left",
    "voting_status", "PHASE_LABELS", "PHASES",
]
