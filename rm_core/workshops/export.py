"""The session summary (Markdown, HTML) and the ideas CSV; authors appear only when the session is not anonymous."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from rm_core.exports import safe_csv
from rm_core.store.db import read_session
from rm_core.store.models import Idea, Initiative, Participant, Score, Theme, Vote
from rm_core.text import html_escape, md_escape
from rm_core.workshops._guards import load_session
from rm_core.workshops.sessions import SessionView, view_of

IDEA_COLUMNS = ("idea_id", "prompt", "theme", "text", "author", "votes", "voters", "score_method", "score",
                "initiative_id")


@dataclass(frozen=True)
class IdeaLine:
    idea_id: int
    prompt: str
    theme: str | None
    text: str
    author: str | None  # None in anonymous sessions
    votes: int
    voters: int
    score_method: str | None
    score: float | None
    initiative_id: str | None


@dataclass(frozen=True)
class PromotedLine:
    initiative_id: str
    title: str
    workstream: str
    horizon: str
    idea_id: int


@dataclass(frozen=True)
class Summary:
    session: SessionView
    participants: int
    ideas: list[IdeaLine]  # by theme (named themes first, in creation order), then most votes
    themes: list[str]
    promoted: list[PromotedLine]
    generated_at: dt.datetime

    @property
    def total_votes(self) -> int:
        return sum(i.votes for i in self.ideas)

    def by_theme(self) -> list[tuple[str, list[IdeaLine]]]:
        groups = [(t, [i for i in self.ideas if i.theme == t]) for t in self.themes]
        rest = [i for i in self.ideas if i.theme is None]
        return [g for g in groups if g[1]] + ([("Ungrouped", rest)] if rest else [])


def summary(session_id: int) -> Summary:
    with read_session() as s:
        ws = load_session(s, session_id)
        session = view_of(ws)
        names = dict(s.execute(select(Participant.id, Participant.display_name)
                               .where(Participant.session_id == ws.id)).all())
        themes = s.execute(select(Theme.id, Theme.name).where(Theme.session_id == ws.id).order_by(Theme.id)).all()
        theme_name = dict(themes)
        votes = {r[0]: (r[1], r[2]) for r in s.execute(
            select(Vote.idea_id, func.count(), func.count(func.distinct(Vote.participant_id)))
            .where(Vote.session_id == ws.id).group_by(Vote.idea_id))}
        scores = {r.idea_id: r for r in s.scalars(select(Score).where(Score.session_id == ws.id,
                                                                     Score.method == ws.scoring))}
        initiatives = s.execute(select(Initiative).join(Idea, Idea.id == Initiative.source_idea_id)
                                .where(Idea.session_id == ws.id).order_by(Initiative.id)).scalars().all()
        promoted_by_idea = {i.source_idea_id: i.id for i in initiatives}
        ideas = s.execute(select(Idea).where(Idea.session_id == ws.id).order_by(Idea.id)).scalars().all()
        lines = [IdeaLine(i.id, i.prompt, theme_name.get(i.theme_id), i.text,
                          None if ws.anonymous else names.get(i.participant_id),
                          votes.get(i.id, (0, 0))[0], votes.get(i.id, (0, 0))[1],
                          ws.scoring if i.id in scores else None,
                          scores[i.id].value if i.id in scores else None, promoted_by_idea.get(i.id))
                 for i in ideas]
        promoted = [PromotedLine(i.id, i.title, i.workstream, i.horizon, i.source_idea_id) for i in initiatives]
    theme_order = {name: n for n, (_, name) in enumerate(themes)}
    lines.sort(key=lambda l: (l.theme is None, theme_order.get(l.theme, 0), -l.votes, l.idea_id))
    return Summary(session, len(names), lines, [t[1] for t in themes], promoted,
                   dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0))


def _score_text(line: IdeaLine) -> str:
    return f"{line.score_method} {line.score:,.1f}" if line.score is not None else "—"


def to_markdown(sm: Summary) -> str:
    ws = sm.session
    out = [f"# {md_escape(ws.title)}", "",
           f"{md_escape(ws.template_label)} workshop · facilitated by {md_escape(ws.facilitator)} · "
           f"{ws.created_at:%Y-%m-%d} · phase: {ws.phase_label}",
           "", f"{sm.participants} participants · {len(sm.ideas)} ideas · {len(sm.themes)} themes · "
           f"{sm.total_votes} votes" + (" · anonymous" if ws.anonymous else ""), ""]
    if sm.promoted:
        out += ["## Promoted to the roadmap", ""]
        out += [f"- **{p.initiative_id}** {md_escape(p.title)} — {md_escape(p.workstream)}, {p.horizon} "
                f"(idea {p.idea_id})" for p in sm.promoted]
        out.append("")
    out += ["## Ideas by theme", ""]
    if not sm.ideas:
        out += ["No ideas were added.", ""]
    for theme, lines in sm.by_theme():
        out += [f"### {md_escape(theme)}", "", "| Idea | Votes | Score | Initiative |" if ws.anonymous
                else "| Idea | Author | Votes | Score | Initiative |",
                "| --- | ---: | ---: | --- |" if ws.anonymous else "| --- | --- | ---: | ---: | --- |"]
        for line in lines:
            cells = [md_escape(line.text).replace("\n", " ")]
            if not ws.anonymous:
                cells.append(md_escape(line.author or ""))
            cells += [str(line.votes), _score_text(line), line.initiative_id or ""]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    out.append(f"_Generated {sm.generated_at:%Y-%m-%d %H:%M} UTC by the Risk Mining Workbench._")
    return "\n".join(out) + "\n"


def to_html(sm: Summary) -> str:
    ws = sm.session
    e = html_escape
    parts = ["<!doctype html><html><head><meta charset='utf-8'>", f"<title>{e(ws.title)}</title>",
             "<style>body{font-family:Helvetica,Arial,sans-serif;max-width:60rem;margin:2rem auto;color:#1c2230}"
             "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e8ebf0;padding:.3rem .5rem;"
             "text-align:left;vertical-align:top}td.n{text-align:right}</style></head><body>",
             f"<h1>{e(ws.title)}</h1>",
             f"<p>{e(ws.template_label)} workshop · facilitated by {e(ws.facilitator)} · {ws.created_at:%Y-%m-%d} · "
             f"phase: {e(ws.phase_label)}</p>",
             f"<p>{sm.participants} participants · {len(sm.ideas)} ideas · {len(sm.themes)} themes · "
             f"{sm.total_votes} votes{' · anonymous' if ws.anonymous else ''}</p>"]
    if sm.promoted:
        parts.append("<h2>Promoted to the roadmap</h2><ul>")
        parts += [f"<li><b>{e(p.initiative_id)}</b> {e(p.title)} — {e(p.workstream)}, {e(p.horizon)} "
                  f"(idea {p.idea_id})</li>" for p in sm.promoted]
        parts.append("</ul>")
    parts.append("<h2>Ideas by theme</h2>")
    if not sm.ideas:
        parts.append("<p>No ideas were added.</p>")
    for theme, lines in sm.by_theme():
        head = "<tr><th>Idea</th>" + ("" if ws.anonymous else "<th>Author</th>") + \
               "<th>Votes</th><th>Score</th><th>Initiative</th></tr>"
        parts.append(f"<h3>{e(theme)}</h3><table>{head}")
        for line in lines:
            author = "" if ws.anonymous else f"<td>{e(line.author or '')}</td>"
            parts.append(f"<tr><td>{e(line.text)}</td>{author}<td class='n'>{line.votes}</td>"
                         f"<td class='n'>{e(_score_text(line))}</td><td>{e(line.initiative_id or '')}</td></tr>")
        parts.append("</table>")
    parts.append(f"<p><small>Generated {sm.generated_at:%Y-%m-%d %H:%M} UTC by the Risk Mining Workbench."
                 "</small></p></body></html>")
    return "\n".join(parts)


def ideas_csv(sm: Summary) -> str:
    """One row per idea; formula-looking cells neutralised; the author column is left out when anonymous."""
    columns = [c for c in IDEA_COLUMNS if not (c == "author" and sm.session.anonymous)]
    rows = [{c: getattr(line, c) for c in columns} for line in sm.ideas]
    if not rows:
        return ",".join(columns) + "\n"
    return safe_csv(rows)
