"""OP1 workshop boards: live, facilitated ideation — brainstorm → group → vote → score → wrap-up → closed.

Who may do what: the facilitator is a signed-in user whose services take an `Actor` and check
`require(actor, "workshop.facilitate")` plus that they run the session (or are an admin). Participants joining
from a link need no account: `join` returns a participant id that the page keeps in that browser's Streamlit
session state (held on the server) and, so that a reload keeps their place, as a signed participant token
(`participant_token`: id + HMAC with a per-database secret) in their own tab's URL. The shared join link
carries only the session id, and a token cannot be forged or reused in another session, so a browser acts only
as the participant it joined as; participant services take that id and check it belongs to the session.
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
                                        get_session, join, list_sessions, participant, participant_from_token,
                                        participant_token, phase_change_resets,
                                        reveal_ideas, set_locked, set_phase, set_timer, update_limits)
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
    "participant", "participant_from_token", "participant_token", "phase_change_resets", "reveal_ideas", "set_locked", "set_phase", "set_timer", "update_limits",
    "SuggestedTheme", "ThemeSuggestions", "suggest_for_session",
    "IdeaTally", "VoteResult", "VoterStatus", "cast_vote", "not_voted", "retract_vote", "tally", "votes_left",
    "voting_status", "PHASE_LABELS", "PHASES",
]
