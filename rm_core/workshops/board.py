"""What one person sees on the board right now, with anonymity, reveal policy and hidden results applied.

The page and the export read the board only through here, so no surface can show an author or a hidden idea
that this module withheld.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from rm_core.store.db import read_session
from rm_core.store.models import Idea, Initiative, IntakeIdea, Participant, Score, Theme, Vote
from rm_core.workshops._guards import load_session
from rm_core.workshops.sessions import SessionView, view_of


@dataclass(frozen=True)
class IdeaCard:
    id: int
    prompt: str
    text: str
    theme_id: int | None
    author: str | None  # None when the session is anonymous (your own ideas say "you")
    mine: bool
    editable: bool
    votes: int | None  # None while results are hidden
    my_votes: int
    score: float | None
    initiative_id: str | None
    intake_id: str | None = None   # the intake idea the facilitator seeded this card from
    raised_by: str | None = None   # who first raised it in the intake


@dataclass(frozen=True)
class ThemeCard:
    id: int
    name: str
    suggested: bool
    idea_ids: list[int]
    votes: int | None


@dataclass(frozen=True)
class Board:
    session: SessionView
    viewer_id: int | None
    viewer_is_facilitator: bool
    ideas: list[IdeaCard]
    themes: list[ThemeCard]
    hidden_ideas: dict[str, int]  # prompt -> ideas of others not revealed yet
    participants: int
    results_visible: bool
    votes_left: int | None
    can_vote: bool
    not_voted: list[str] = field(default_factory=list)  # facilitator view only

    def ideas_under(self, prompt: str) -> list[IdeaCard]:
        return [i for i in self.ideas if i.prompt == prompt]

    def ideas_in(self, theme_id: int | None) -> list[IdeaCard]:
        return [i for i in self.ideas if i.theme_id == theme_id]


def load_board(session_id: int, participant_id: int | None = None, *, runs: bool = False) -> Board:
    """The board as participant `participant_id` sees it (the facilitator is a participant too; None: an
    observer who has not joined). `runs`: the viewer runs the session (a co-facilitator or admin at the
    controls) and sees what the facilitator sees; the services still check who they are."""
    with read_session() as s:
        ws = load_session(s, session_id)
        session = view_of(ws)
        people = {p.id: p for p in s.scalars(select(Participant).where(Participant.session_id == ws.id))}
        viewer = people.get(participant_id) if participant_id is not None else None
        ideas = s.execute(select(Idea.id, Idea.participant_id, Idea.prompt, Idea.text, Idea.theme_id,
                                 Idea.intake_idea_id, IntakeIdea.submitter_label, IntakeIdea.submitter)
                          .outerjoin(IntakeIdea, IntakeIdea.id == Idea.intake_idea_id)
                          .where(Idea.session_id == ws.id).order_by(Idea.id)).all()
        themes = s.execute(select(Theme.id, Theme.name, Theme.suggested).where(Theme.session_id == ws.id)
                           .order_by(Theme.id)).all()
        vote_rows = s.execute(select(Vote.idea_id, Vote.participant_id, func.count())
                              .where(Vote.session_id == ws.id).group_by(Vote.idea_id, Vote.participant_id)).all()
        scores = dict(s.execute(select(Score.idea_id, Score.value).where(Score.session_id == ws.id,
                                                                          Score.method == ws.scoring)).all())
        promoted = dict(s.execute(select(Initiative.source_idea_id, Initiative.id)
                                  .join(Idea, Idea.id == Initiative.source_idea_id)
                                  .where(Idea.session_id == ws.id)).all())

    is_fac = bool(viewer and viewer.is_facilitator) or runs
    per_idea: dict[int, int] = {}
    mine_votes: dict[int, int] = {}
    used_by: dict[int, int] = {}
    for idea_id, pid, n in vote_rows:
        per_idea[idea_id] = per_idea.get(idea_id, 0) + n
        used_by[pid] = used_by.get(pid, 0) + n
        if viewer and pid == viewer.id:
            mine_votes[idea_id] = n
    # Anonymous sessions hide the running tally until the Vote phase ends, so early dots don't steer later ones.
    results_visible = session.phase in ("score", "wrapup", "closed") or (session.phase == "vote"
                                                                         and not session.anonymous)
    # the facilitator screens ideas before revealing them, so only the others wait for the reveal
    hide_others = session.reveal == "on_reveal" and not session.revealed and not is_fac
    cards, hidden = [], {}
    for i in ideas:
        mine = viewer is not None and i.participant_id == viewer.id
        if hide_others and not mine:
            hidden[i.prompt] = hidden.get(i.prompt, 0) + 1
            continue
        if mine:
            author = "you"
        elif session.anonymous:
            author = None
        else:
            author = people[i.participant_id].display_name if i.participant_id in people else None
        cards.append(IdeaCard(
            i.id, i.prompt, i.text, i.theme_id, author, mine,
            editable=mine and session.phase == "brainstorm" and not session.revealed and not session.locked,
            votes=per_idea.get(i.id, 0) if results_visible else None, my_votes=mine_votes.get(i.id, 0),
            score=scores.get(i.id), initiative_id=promoted.get(i.id), intake_id=i.intake_idea_id,
            raised_by=(i.submitter_label or i.submitter) if i.intake_idea_id else None))
    theme_cards = []
    for t in themes:
        members = [c.id for c in cards if c.theme_id == t.id]
        theme_cards.append(ThemeCard(t.id, t.name, t.suggested, members,
                                     sum(per_idea.get(m, 0) for m in members) if results_visible else None))
    voters_allowed = viewer is not None and (session.facilitator_votes or not is_fac)
    votes_left = max(0, session.votes_per_person - used_by.get(viewer.id, 0)) if voters_allowed else None
    not_voted = []
    if is_fac:
        not_voted = sorted(p.display_name for p in people.values()
                           if used_by.get(p.id, 0) == 0 and (session.facilitator_votes or not p.is_facilitator))
    return Board(session, viewer.id if viewer else None, is_fac, cards, theme_cards, hidden, len(people),
                 results_visible, votes_left,
                 can_vote=voters_allowed and session.phase == "vote" and not session.locked,
                 not_voted=not_voted)
