"""MO repository & search: find the right MO from a half-formed description, and know when it is new."""
import datetime as dt
import json
import tempfile
from pathlib import Path
from urllib.parse import quote

import altair as alt
import streamlit as st

from pages._ai import method_caption, streamed
from pages._ui import act, csv_download, current_actor, empty_state, mo_engine, run_action, show_flash
from rm_core import startup
from rm_core.ai.ask import ask_repository
from rm_core.ai.assist import log_result
from rm_core.ai.draft import FIELDS as DRAFT_FIELDS, discard_draft, draft_mo, save_drafted_mo
from rm_core.ai.match_judge import judge_match
from rm_core.ai.usage import log_unassisted_mo
from rm_core.store.models import utcnow
from rm_core.identity import can
from rm_core.errors import UserError
from rm_core.mos.case_notes import import_case_notes
from rm_core.mos.emerging import default_since, emerging_patterns, notes_version
from rm_core.mos.history import restore_version, version_changes
from rm_core.mos.interim import keyword_search
from rm_core.mos.repository import (ABUSE_FAMILIES, IMPORT_COLUMNS, SEVERITIES, SITES, STAGES, STATUSES, count_mos,
                                    coverage, create_mo, file_columns, import_mos, mo_detail, plan_columns,
                                    update_mo)
from rm_core.settings import get_settings
from rm_core.text import md_escape, narrative_markdown

actor = current_actor()
params = st.query_params
engine = mo_engine()

st.title("MO repository")


@st.fragment(run_every=1.0)
def index_progress_bar() -> None:
    """While the server embeds queued MOs in the background: how far it got; the page reruns when it is done."""
    progress = startup.index_progress(get_settings())
    if not progress.busy:
        st.rerun(scope="app")  # ready: search switches from keywords to fused
    if progress.phase == "model":
        st.progress(0.0, text="Loading the embedding model… keyword search works meanwhile.")
    else:
        st.progress(progress.done / max(progress.total, 1),
                    text=f"Indexing MOs for search by meaning: {progress.done:,} of {progress.total:,}. "
                         "Keyword search works meanwhile.")


indexing = startup.index_progress(get_settings())
if indexing.busy:
    index_progress_bar()
elif indexing.phase == "failed":
    st.warning(f"The MO search index could not be brought up to date ({md_escape(indexing.message)}); search "
               "works by keyword only. `python -m rm_core mo reindex` rebuilds it.", icon=":material/warning:")
keyword_only = indexing.busy or indexing.phase == "failed"

if count_mos() == 0:
    empty_state("No MOs yet. Import a CSV/JSONL/Parquet file of MOs in the **Import** tab (columns `title` and "
                "`description` are required; `data/sample_mos.csv` is an example), create one in **New MO**, or seed "
                "the demo world with `python -m rm_core demo seed`.")


MAX_PAIRS_SHOWN = 1_000


@st.cache_data(max_entries=8, show_spinner="Comparing MOs…")
def duplicate_pairs(generation: str, threshold: float) -> tuple[int, list]:
    """(how many pairs, the most similar MAX_PAIRS_SHOWN) for the index as it is now: the generation token changes
    with every write to it. Only the shown pairs are cached (a copy is unpickled on every rerun)."""
    pairs = mo_engine().duplicates(threshold)
    return len(pairs), pairs[:MAX_PAIRS_SHOWN]


@st.cache_resource
def _emerging_results() -> dict:
    return {}


def emerging(since: dt.date):
    """Emerging patterns for the notes since `since`, shared by every session and kept while what they depend on
    is unchanged: the MO index's generation (every write changes it) and the notes read. Computed with a progress
    bar (st.cache_data cannot update a bar from inside the cached call)."""
    key = (since, engine.current_generation(), notes_version(dt.datetime.combine(since, dt.time())))
    results = _emerging_results()
    if key not in results:
        bar = st.progress(0.0, text="Reading notes…")
        report = run_action(emerging_patterns, engine, since,
                            progress=lambda fraction, text: bar.progress(min(fraction, 1.0), text=text))
        bar.empty()
        if report is None:
            return None
        while len(results) >= 8:
            results.pop(next(iter(results)))
        results[key] = report
    return results[key]


def _chips(meta: dict) -> str:
    parts = [meta.get("abuse_family"), meta.get("stage"), ", ".join(meta.get("marketplaces") or []),
             meta.get("site"), meta.get("status"), meta.get("severity")]
    return " · ".join(md_escape(str(p)) for p in parts if p)


def _open(mo_id: str) -> None:
    st.query_params["mo"] = mo_id


def show_detail(mo_id: str) -> None:
    detail = run_action(mo_detail, mo_id)
    if detail is None:
        return
    mo = detail.mo
    st.button("← Back to results", on_click=lambda: st.query_params.pop("mo", None))
    st.header(f"{md_escape(mo.id)} · {md_escape(mo.title)}", anchor=False)
    st.caption(_chips({"abuse_family": mo.abuse_family, "stage": mo.stage, "marketplaces": mo.marketplaces,
                       "site": mo.site, "status": mo.status, "severity": mo.severity})
               + f" · version {mo.version} · owner {md_escape(mo.owner or '—')}")
    left, right = st.columns([3, 2])
    with left:
        if mo.summary:
            st.markdown(f"**Summary.** {md_escape(mo.summary)}")
        # Analysts write Markdown; shown without remote images, with link targets visible and no headings.
        st.markdown(narrative_markdown(mo.narrative) or "_(no narrative)_")
        if mo.signals:
            st.markdown("**Signals**\n" + "\n".join(f"- {md_escape(s)}" for s in mo.signals))
        if mo.mediums:
            st.markdown("**Entities and mediums:** " + md_escape(", ".join(mo.mediums)))
        if mo.aliases:
            st.markdown("**Also known as:** " + md_escape(", ".join(mo.aliases)))
        facts = {"First seen": mo.first_seen, "Last seen": mo.last_seen, "Documented": mo.documented_at,
                 "Mitigated": mo.mitigated_at, "Est. accounts": mo.est_accounts,
                 "Est. exposure (USD)": mo.est_exposure_usd, "Confidence": mo.confidence, "Source": mo.source}
        st.dataframe([{"fact": k, "value": "—" if v is None else str(v)} for k, v in facts.items()],
                     hide_index=True, width="stretch")
    with right:
        st.subheader("Rules", anchor=False)
        if detail.rules:
            st.dataframe([{"rule": r.rule_id, "name": r.name, "status": r.status, "coverage": r.role}
                          for r in detail.rules], hide_index=True, width="stretch")
        else:
            st.warning("No rule covers this MO.", icon=":material/gpp_maybe:")
        st.subheader("Requests, gaps, initiatives", anchor=False)
        links = ([{"link": r.id, "kind": r.kind.replace("_", " "), "title": r.title, "status": r.status}
                  for r in detail.requests] +
                 [{"link": g.id, "kind": "upstream gap", "title": g.title, "status": g.status} for g in detail.gaps] +
                 [{"link": i.id, "kind": "initiative", "title": i.title, "status": i.status}
                  for i in detail.initiatives])
        if links:
            st.dataframe(links, hide_index=True, width="stretch")
        else:
            st.caption("No linked requests, gaps or initiatives.")
        st.subheader("Similar MOs", anchor=False)
        similar = [] if keyword_only else run_action(engine.similar, mo.id, 5) or []
        if keyword_only:
            st.caption("Similar MOs are listed once the search index is ready.")
        for hit in similar:
            st.button(f"{md_escape(hit.mo_id)} · {md_escape(hit.title)} ({hit.score:.2f})", key=f"sim-{hit.mo_id}",
                      on_click=_open, args=(hit.mo_id,))
        st.subheader("History", anchor=False)
        st.dataframe([{"version": h.version, "when": h.changed_at, "who": h.changed_by,
                       "changed": ", ".join(h.changed_fields), "note": h.note} for h in detail.history],
                     hide_index=True, width="stretch",
                     column_config={"when": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
    version_view(mo)
    if can(actor, "mo.edit"):
        with st.expander("Edit this MO", icon=":material/edit:"):
            mo_form(f"edit-{mo.id}-{mo.version}", mo)


def _restore(mo_id: str, version: int, current: int) -> None:
    if act(restore_version, actor, mo_id, version, engine, expected_version=current,
           success=f"{mo_id}: version {version} restored as version {current + 1}") is not None:
        st.session_state.pop(f"version-{mo_id}", None)  # show the new version next


def version_view(mo) -> None:
    """What one version changed against the one before it, and (editors) restoring it as a new version."""
    st.subheader("Compare versions", anchor=False)
    show_flash()
    versions = list(range(mo.version, 0, -1))
    version = st.selectbox("Version", versions, key=f"version-{mo.id}",
                           format_func=lambda v: f"version {v}" + (" (current)" if v == mo.version else ""))
    changes = run_action(version_changes, mo.id, version) or []
    fields = [c for c in changes if not c.is_text]
    if fields:
        st.dataframe([{"field": c.field.replace("_", " "), "before": _shown(c.before), "after": _shown(c.after)}
                      for c in fields], hide_index=True, width="stretch")
    for change in (c for c in changes if c.is_text):
        st.caption(f"{change.field.capitalize()}: lines removed (-) and added (+)")
        st.code(change.text_diff() or "(whitespace only)", language="diff")
    if not changes:
        st.caption("This version changed nothing that is kept in the history.")
    if can(actor, "mo.edit") and version != mo.version:
        st.button(f"Restore version {version}", key=f"restore-{mo.id}", icon=":material/history:",
                  on_click=_restore, args=(mo.id, version, mo.version),
                  help="Saves this version's content as a new version; nothing in the history is lost.")


def _shown(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def mo_form(key: str, mo=None, prefill: str = "", prefill_title: str = "") -> None:
    """Create (mo is None) or edit form; the service validates every field and says which one is wrong."""
    with st.form(key):
        title = st.text_input("Title", value=mo.title if mo else prefill_title, max_chars=300)
        summary = st.text_area("Summary", value=mo.summary if mo else prefill[:500], height=80)
        narrative = st.text_area("Narrative", value=mo.narrative if mo else prefill, height=200)
        c1, c2, c3, c4 = st.columns(4)
        family = c1.selectbox("Abuse family", ("",) + ABUSE_FAMILIES,
                              index=(("",) + ABUSE_FAMILIES).index(mo.abuse_family) if mo and mo.abuse_family in ABUSE_FAMILIES else 0)
        stage = c2.selectbox("Stage", ("",) + STAGES, index=(("",) + STAGES).index(mo.stage) if mo and mo.stage in STAGES else 0)
        status = c3.selectbox("Status", STATUSES, index=STATUSES.index(mo.status) if mo else 0)
        severity = c4.selectbox("Severity", SEVERITIES, index=SEVERITIES.index(mo.severity) if mo else 2)
        c5, c6, c7 = st.columns(3)
        site = c5.selectbox("Owning site", ("",) + SITES, index=(("",) + SITES).index(mo.site) if mo and mo.site in SITES else 0)
        marketplaces = c6.text_input("Marketplaces (separate with ;)", value="; ".join(mo.marketplaces) if mo else "")
        first_seen = c7.date_input("First seen", value=mo.first_seen if mo else None)
        signals = st.text_area("Signals (one per line)", value="\n".join(mo.signals) if mo else "", height=90)
        note = st.text_input("What changed (kept in the history)") if mo else ""
        if st.form_submit_button("Save MO" if mo else "Create MO", type="primary"):
            data = {"title": title, "summary": summary, "narrative": narrative, "abuse_family": family,
                    "stage": stage, "status": status, "severity": severity, "site": site,
                    "marketplaces": marketplaces, "first_seen": first_seen, "signals": signals.splitlines()}
            if mo:
                saved = run_action(update_mo, actor, mo.id, data, engine, note=note, expected_version=mo.version,
                                   success=f"{mo.id} saved")
            else:
                saved = run_action(create_mo, actor, data, engine, success="MO created")
                if saved is not None and key == "new-from-notes" and st.session_state.get("match_at"):
                    # written from notes without a draft: the baseline the AI ROI's time saved is measured against
                    run_action(log_unassisted_mo, actor, saved.id, st.session_state["match_at"])
            if saved is not None:
                st.query_params["mo"] = saved.id
                st.rerun()


def draft_section(match_notes: str) -> None:
    """"Draft a new MO": notes (from the emerging-patterns tab when it sent some, else the notes above) -> a draft
    with its evidence -> the MO editor, saved only on the user's click."""
    st.subheader("Draft a new MO", anchor=False)
    sent = st.session_state.get("mo_draft_notes")
    draft_notes = sent or match_notes
    if sent:
        st.caption("Notes sent from the emerging-patterns cluster:")
        st.text(sent[:2_000] + ("…" if len(sent) > 2_000 else ""))
    if st.button("Draft a new MO", key="draft-btn", disabled=not (draft_notes or "").strip(),
                 help="Title, summary, family, stage, signals… from the notes, each with the sentences it came from. "
                      "Nothing is saved until you click Create MO."):
        drafted = run_action(draft_mo, draft_notes, engine)
        st.session_state["ai_draft"] = run_action(log_result, actor, "mo_draft", drafted) if drafted else None
    drafted = st.session_state.get("ai_draft")
    if drafted is None:
        return
    method_caption(drafted)
    draft = drafted.value
    with st.expander("Where each field came from", expanded=False):
        for name in DRAFT_FIELDS:
            for sentence in draft.evidence.get(name, []):
                st.text(f"{name}: {sentence}")
    with st.form("ai-draft-form"):
        title = st.text_input("Title", value=draft.title, max_chars=300)
        summary = st.text_area("Summary", value=draft.summary, height=80)
        narrative = st.text_area("Narrative", value=draft_notes or "", height=160)
        c1, c2, c3 = st.columns(3)
        families = ("",) + ABUSE_FAMILIES
        family = c1.selectbox("Abuse family", families,
                              index=families.index(draft.abuse_family) if draft.abuse_family in families else 0)
        stages = ("",) + STAGES
        stage = c2.selectbox("Stage", stages, index=stages.index(draft.stage) if draft.stage in stages else 0)
        severity = c3.selectbox("Severity", SEVERITIES, index=SEVERITIES.index(draft.severity)
                                if draft.severity in SEVERITIES else 2)
        marketplaces = st.text_input("Marketplaces (separate with ;)", value="; ".join(draft.marketplaces))
        mediums = st.text_input("Entities and mediums (separate with ;)", value="; ".join(draft.mediums))
        signals = st.text_area("Signals (one per line)", value="\n".join(draft.signals), height=90)
        if st.form_submit_button("Create MO", type="primary"):
            data = {"title": title, "summary": summary, "narrative": narrative, "abuse_family": family,
                    "stage": stage, "severity": severity, "marketplaces": marketplaces,
                    "mediums": [m for m in mediums.split(";") if m.strip()], "signals": signals.splitlines()}
            saved = run_action(save_drafted_mo, actor, drafted, data, engine, success="MO created from the draft")
            if saved is not None:
                st.session_state.pop("ai_draft", None)
                st.session_state.pop("mo_draft_notes", None)
                st.query_params["mo"] = saved.id
                st.rerun()
    if st.button("Discard draft", key="draft-discard"):
        run_action(discard_draft, actor, drafted)
        st.session_state.pop("ai_draft", None)
        st.rerun()


if params.get("mo"):
    show_detail(params["mo"])
    st.stop()

search_tab, match_tab, ask_tab, dup_tab, cov_tab, import_tab, new_tab, emerging_tab = st.tabs(
    ["Search", "Is this a known MO?", "Ask", "Duplicates", "Coverage", "Import", "New MO", "Emerging patterns"],
    key="mo-tab", on_change="rerun")  # the open tab is session state: a rerun that remounts the tabs keeps it

FILTERS = {"abuse_family": ("Abuse type", ABUSE_FAMILIES), "stage": ("Stage", STAGES),
           "marketplaces": ("Marketplace", ("US", "UK", "DE", "FR", "IT", "ES", "IN", "JP", "CA", "MX", "BR", "AU")),
           "site": ("Site", SITES), "status": ("Status", STATUSES), "severity": ("Severity", SEVERITIES)}

with search_tab:
    query = st.text_input("Describe what you are seeing, or type an MO id or keywords",
                          value=params.get("q", ""), key="q",
                          placeholder="e.g. new sellers change bank details right after listing gift cards")
    cols = st.columns(len(FILTERS) + 1)
    where: dict = {}
    for col, (name, (label, options)) in zip(cols, FILTERS.items()):
        chosen = col.multiselect(label, options, default=[v for v in params.get_all(name) if v in options],
                                 key=f"f-{name}")
        if chosen:
            where[name] = chosen if len(chosen) > 1 else chosen[0]
    since = cols[-1].date_input("First seen from", value=dt.date.fromisoformat(params["from"]) if params.get("from") else None)
    if since:
        where["first_seen_from"] = since.isoformat()
    # The URL carries the query and filters, so a result list can be shared as a link.
    st.query_params.from_dict({"q": query, **{k: v if isinstance(v, list) else [v] for k, v in where.items()
                                              if k in FILTERS}, **({"from": since.isoformat()} if since else {})})
    k = st.slider("Results", 5, 50, 10, step=5)
    if query.strip():
        results = (run_action(keyword_search, get_settings().database_url, query, k, where) if keyword_only
                   else run_action(engine.search, query, k, where))
        if results is not None and not results.hits:
            empty_state("No MO matches these words and filters. Widen the filters or describe the behaviour "
                        "differently — or check **Is this a known MO?** and start a new MO.")
        if results is not None and results.hits:
            st.caption(f"{len(results.hits)} MOs · keyword (BM25) matches only, until the index is ready"
                       if keyword_only else f"{len(results.hits)} MOs · query read as **{results.query_type}** · "
                       "scores fuse semantic similarity with keyword (BM25) evidence")
            for hit in results.hits:
                with st.container(border=True):
                    top, score = st.columns([6, 1])
                    top.markdown(f"**{md_escape(hit.mo_id)} · {md_escape(hit.title)}**  \n{_chips(hit.metadata)}")
                    score.metric("Score", f"{hit.score:.2f}", label_visibility="collapsed")
                    st.text(hit.snippet)
                    st.button("Open", key=f"open-{hit.mo_id}", on_click=_open, args=(hit.mo_id,))
            rows = [{"mo_id": h.mo_id, "title": h.title, "score": round(h.score, 4), "snippet": h.snippet,
                     **{k2: ", ".join(v) if isinstance(v, list) else v for k2, v in h.metadata.items()}}
                    for h in results.hits]
            d1, d2 = st.columns(2)
            with d1:
                csv_download("Export CSV", rows, "mo_results.csv")
            with d2:
                st.download_button("Export JSONL", "\n".join(json.dumps(r, default=str) for r in rows),
                                   file_name="mo_results.jsonl", mime="application/jsonl", icon=":material/download:")
    else:
        st.caption("Search by meaning (paraphrases work), by keyword, or by MO id. Filters narrow the list.")

def mo_link(mo_id: str, title: str) -> str:
    """Markdown link to an MO's detail (`?mo=ID`), id and title escaped."""
    return f"[{md_escape(mo_id)} · {md_escape(title)}](?mo={quote(mo_id, safe='')})"


with match_tab:
    # A form: the text and the click arrive in one run, so the first click after typing checks what was typed.
    with st.form("match-form", border=False):
        notes = st.text_area("Paste investigation notes (up to a few thousand words)", height=220, key="notes",
                             max_chars=60_000)
        checked = st.form_submit_button("Check", type="primary")
    if checked:
        if notes.strip():
            checked_now = run_action(judge_match, notes, engine, 5)
            if checked_now is not None and (checked_now.used_model or checked_now.message):
                # a model was asked (it answered or the offline verdict stood in): an assisted action for the log
                checked_now = run_action(log_result, actor, "mo_match", checked_now)
            st.session_state["match"] = checked_now
            st.session_state["match_notes"] = notes
            st.session_state["match_at"] = utcnow()
        else:
            st.session_state.pop("match", None)
            st.warning("Paste the notes first: what was observed, in a few sentences at least.")
    checked_match = st.session_state.get("match")
    result = checked_match.value if checked_match is not None else None
    if result is not None:
        verdicts = {"known": ("Known MO", st.success), "related": ("Related to known MOs", st.warning),
                    "new": ("Likely a new MO", st.info)}
        label, box = verdicts[result.verdict]
        named = result.named
        if result.verdict == "known" and named:
            headline = f"**{label}: {mo_link(named[0].mo_id, named[0].title)}**"
        elif named:
            headline = f"**{label}:** closest " + ", ".join(mo_link(m.mo_id, m.title) for m in named)
        else:
            headline = f"**{label}.** No MO is close enough to call it known or related."
        judgement = result.judgement
        said = (f"  \nModel's judgement ({md_escape(judgement.method)}): {judgement.verdict}"
                + (f" as {md_escape(judgement.mo_id)}" if judgement.mo_id else "")
                + f" — {md_escape(judgement.reason)} ({md_escape(judgement.effect)})" if judgement else "")
        box(f"{headline}  \nEvidence: {md_escape(result.evidence)}{said}")
        st.caption(md_escape(result.reason))
        if checked_match.used_model or checked_match.message:
            method_caption(checked_match)
        st.dataframe([{"mo_id": m.mo_id, "title": m.title, "match score": m.score,
                       "open": f"?mo={quote(m.mo_id, safe='')}"} for m in result.matches],
                     hide_index=True, width="stretch",
                     column_config={"match score": st.column_config.NumberColumn(
                         format="%.2f", help="How strongly search ranks this MO for the notes, 0 to 1 (for long "
                                             "notes it reflects the MO's ranks by meaning and by keywords, not a "
                                             "similarity). The verdict above weighs more than this number."),
                                    "open": st.column_config.LinkColumn("open", display_text="open MO")})
        if result.verdict != "known" and can(actor, "mo.edit"):
            with st.expander("Start a new MO from these notes", expanded=result.verdict == "new"):
                mo_form("new-from-notes", prefill=st.session_state.get("match_notes", ""))
    if can(actor, "mo.edit"):
        draft_section(notes)

with ask_tab:
    question = st.text_input("Ask the repository", key="ask-q", max_chars=2_000,
                             placeholder="e.g. how do sellers cash out gift cards before the payout?")
    ask_k = st.slider("MOs to use", 3, 20, 8, key="ask-k")
    if st.button("Ask", type="primary", disabled=not question.strip(), key="ask-btn"):
        answered = run_action(streamed, ask_repository, question, engine, ask_k)
        st.session_state["ai_answer"] = run_action(log_result, actor, "ask", answered) if answered else None
    answered = st.session_state.get("ai_answer")
    if answered is not None:
        method_caption(answered)
        if not answered.value.statements:
            empty_state("No MO was retrieved for this question; every answer needs a source.")
        for n, statement in enumerate(answered.value.statements):
            with st.container(border=True):
                st.text(statement.text)
                cols = st.columns(max(len(statement.citations), 1) + 3)
                for col, mo_id in zip(cols, statement.citations):
                    col.button(mo_id, key=f"cite-{n}-{mo_id}", on_click=_open, args=(mo_id,),
                               help=answered.value.sources.get(mo_id, ""))

with dup_tab:
    threshold = st.slider("Similarity threshold", 0.70, 0.99, 0.88, 0.01)
    total, pairs = (duplicate_pairs(engine.current_generation(), threshold)
                    if st.toggle("Find pairs of MOs to merge", key="dups") else (0, None))
    if pairs is None:
        st.caption("Compares every MO with its nearest MOs (every other MO up to 12,000); turn on to list the pairs "
                   "above the threshold.")
    elif pairs:
        if total > len(pairs):
            st.caption(f"{total:,} pairs; the {len(pairs):,} most similar are shown. Raise the threshold to see "
                       "fewer.")
        st.dataframe([{"first": p.first, "first title": p.first_title, "second": p.second,
                       "second title": p.second_title, "similarity": p.score} for p in pairs],
                     hide_index=True, width="stretch",
                     column_config={"similarity": st.column_config.NumberColumn(format="%.3f")})
    else:
        empty_state("No pair of MOs is this similar. Lower the threshold to see near-duplicates.")

with cov_tab:
    rows = coverage()
    if rows:
        st.caption(f"{len(rows)} live MOs are not covered by an active rule.")
        st.dataframe([r.__dict__ for r in rows], hide_index=True, width="stretch",
                     column_config={"rules": st.column_config.NumberColumn("Rules", format="%d"),
                                    "gap": st.column_config.TextColumn("Coverage gap")})
    else:
        empty_state("Every live MO has at least one active rule.")

def _import_columns(upload) -> list[str] | None:
    """The file's column names (header of a CSV, keys of a JSONL, schema of a Parquet file); None if unreadable
    (the import itself then names the problem)."""
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            return file_columns(path, upload.name)
    except UserError:
        return None


with import_tab:
    st.markdown("Columns: `title` and `description` are required; `mo_id` (any id such as `F1007.001`, kept as "
                "given), `summary`, `abuse_family`, `stage`, `marketplaces` (separated by `;`), `site`, `status`, "
                "`severity`, `first_seen`, … are optional. Other columns are mapped to one of these or ignored "
                "below. A file with any invalid row imports nothing; rows with an existing `mo_id` update that MO, "
                "unchanged rows are left alone.")
    upload = st.file_uploader("MO file", type=["csv", "jsonl", "ndjson", "parquet"], key="mo-upload")
    mapping: dict[str, str] = {}
    ignored: list[str] = []
    if upload is not None:
        columns = _import_columns(upload)
        plan = plan_columns(columns or [])
        if plan.unknown:
            st.markdown("**Map the columns this file names differently** (each is a column the workbench does "
                        "not know):")
            choices = ["(ignore this column)", *IMPORT_COLUMNS]
            for column in plan.unknown:
                hint = plan.suggestions.get(column)
                chosen = st.selectbox(f"`{md_escape(column)}` becomes", ["(choose)", *choices],
                                      index=(choices.index(hint) + 1) if hint else 0,
                                      key=f"map-{upload.file_id}-{column}",
                                      help=f"suggested: {hint}" if hint else "no known column is close")
                if chosen == "(ignore this column)":
                    ignored.append(column)
                elif chosen != "(choose)":
                    mapping[column] = chosen
    allow_duplicates = st.checkbox("Also create rows without an id whose title and text match an existing MO",
                                   key="mo-allow-dups", help="Such rows are held back and listed otherwise.")
    if upload is not None and st.button("Import", type="primary", disabled=not can(actor, "mo.edit")):
        status = st.empty()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            bar = status.progress(0.0, text="Embedding and indexing…")
            report = run_action(import_mos, actor, path, engine, name=upload.name,
                                progress=lambda done, total: bar.progress(done / max(total, 1),
                                                                          text=f"Indexed {done:,} of {total:,} chunks"),
                                mapping=mapping, ignore=ignored, allow_duplicates=allow_duplicates)
        status.empty()  # the progress label never stays above an error or the report
        if report is not None:
            st.success(f"{md_escape(report.file)}: {report.created} MOs created, {report.updated} updated, "
                       f"{report.unchanged} unchanged, {report.indexed} indexed.")
            if report.duplicates:
                st.warning(f"{len(report.duplicates)} rows look like MOs you already have (same title and text) "
                           "and were not created; tick the box above and import again to create them:\n"
                           + "\n".join(f"- row {d.row}: {md_escape(d.title)} — same as "
                                        f"{mo_link(d.existing, d.title)}" for d in report.duplicates[:50]))

with new_tab:
    if can(actor, "mo.edit"):
        mo_form("new-mo")
    else:
        empty_state(f"You are signed in as {actor.role}; creating MOs needs the editor role.")

def draft_from_cluster(cluster) -> None:
    """Hand a cluster's example notes to MO drafting (`mo_draft_notes`) and open the new-MO form prefilled."""
    st.session_state["mo_draft_notes"] = cluster.draft_notes
    st.session_state["emerging_draft"] = cluster.rank


def week_chart(cluster) -> alt.Chart:
    data = [{"week": w.week_start.isoformat(), "notes": w.notes} for w in cluster.weeks]
    return alt.Chart(alt.Data(values=data)).mark_bar().encode(
        x=alt.X("week:T", title="Week starting", timeUnit="yearmonthdate"),
        y=alt.Y("notes:Q", title="Notes", axis=alt.Axis(tickMinStep=1)),
        tooltip=[alt.Tooltip("week:T", title="Week starting", format="%Y-%m-%d"), alt.Tooltip("notes:Q")],
    ).properties(height=140)


with emerging_tab:
    st.caption("Recent case notes and requests linked to no MO, grouped by what they describe. Clusters that grow "
               "and sit far from every known MO come first: candidates for a new MO.")
    notes_since = st.date_input("Notes since", value=default_since(), key="emerging-since")
    report = None
    if st.toggle("Find emerging patterns", key="emerging-on"):
        report = emerging(notes_since)
    else:
        st.caption("Embeds and clusters every note since that day and compares each cluster with the MOs: turn on "
                   "to see the clusters.")
    verdict_words = {"known": "close to a known MO", "related": "related to known MOs", "new": "likely a new MO"}
    if report is not None and report.notes == 0:
        empty_state(f"No case notes or unlinked requests since {notes_since:%d %b %Y}. Import a case file below "
                    "(columns `case_id`, `opened_at`, `text`, optional `marketplace` and `site`; "
                    "`data/sample_case_notes.csv` is an example), pick an earlier date, or seed the demo world with "
                    "`python -m rm_core demo seed`.")
    elif report is not None and not report.clusters:
        empty_state(f"{report.notes:,} notes since {notes_since:%d %b %Y}, but no group of at least 5 alike: "
                    "nothing is emerging yet. Pick an earlier date, or import more case notes below.")
    elif report is not None:
        st.caption(f"{report.notes:,} notes since {notes_since:%d %b %Y} · {len(report.clusters)} clusters shown · "
                   f"{report.unclustered:,} notes in no cluster")
        for cluster in report.clusters:
            with st.container(border=True):
                st.markdown(f"**{cluster.rank}. {md_escape(cluster.label)}**  \n{cluster.size} notes · growth "
                            f"{cluster.growth:+.2f} · distance from the nearest MO {cluster.distance:.2f} · "
                            f"{verdict_words.get(cluster.verdict, 'no MOs to compare with')}")
                chart, side = st.columns([3, 2])
                chart.altair_chart(week_chart(cluster), width="stretch")
                with side:
                    st.markdown("**Nearest MOs**")
                    for m in cluster.nearest:
                        st.button(f"{md_escape(m.mo_id)} · {md_escape(m.title)} ({m.score:.2f})",
                                  key=f"em-{cluster.rank}-{m.mo_id}", on_click=_open, args=(m.mo_id,))
                st.markdown("**Example notes**\n" + "\n".join(
                    f"- **{md_escape(n.ref)}** ({n.opened_at:%d %b}) {md_escape(n.text)}" for n in cluster.examples))
                if can(actor, "mo.edit"):
                    st.button("Draft an MO from this cluster", key=f"em-draft-{cluster.rank}",
                              icon=":material/edit_note:", on_click=draft_from_cluster, args=(cluster,))
                    if st.session_state.get("emerging_draft") == cluster.rank:
                        st.info("The example notes are ready to draft from: complete the new MO below.")
                        mo_form(f"em-form-{cluster.rank}", prefill=st.session_state["mo_draft_notes"],
                                prefill_title=cluster.draft_title)
    with st.expander("Import case notes", icon=":material/upload_file:"):
        st.markdown("One row per investigation case: `case_id`, `opened_at` (a date, or date and time), `text`; "
                    "optional `marketplace` and `site`. A file with any invalid row imports nothing; a case imported "
                    "again is updated when its note changed.")
        notes_file = st.file_uploader("Case file", type=["csv", "jsonl", "ndjson"], key="case-file")
        if notes_file is not None and st.button("Import case notes", disabled=not can(actor, "mo.edit")):
            done = run_action(import_case_notes, actor, notes_file.getvalue(), notes_file.name)
            if done is not None:
                st.success(f"{md_escape(done.file)}: {done.created} case notes created, {done.updated} updated, "
                           f"{done.unchanged} unchanged.")
