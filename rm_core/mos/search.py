"""Fused MO search: dense and keyword evidence weighed by what kind of query it is, filters, snippets, results."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Container, Iterable

from rm_core.errors import UserError
from rm_core.mos.keyword import tokenize
from rm_core.mos.records import FILTER_FIELDS, date_number

# -- filters ---------------------------------------------------------------------------------------------------

RANGE_FIELDS = {"first_seen_from": ("first_seen", "$gte"), "first_seen_to": ("first_seen", "$lte")}
WHERE_FIELDS = tuple(f for f in FILTER_FIELDS if f != "first_seen") + tuple(RANGE_FIELDS)


def parse_where(pairs: Iterable[str]) -> dict[str, Any]:
    """CLI `--where FIELD=VALUE` pairs -> filters; `VALUE` may list alternatives with commas (status=active,dormant)."""
    where: dict[str, Any] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value:
            raise UserError(f"--where {pair!r}: write FIELD=VALUE, e.g. --where site=India")
        values = [v.strip() for v in value.split(",") if v.strip()]
        where[name] = values[0] if len(values) == 1 else values
    return check_where(where)


def check_where(where: dict[str, Any] | None) -> dict[str, Any]:
    """Refuse unknown fields and bad dates with a message naming the fix."""
    where = dict(where or {})
    for name, value in where.items():
        if name not in WHERE_FIELDS:
            raise UserError(f"cannot filter on {name!r}: use one of {', '.join(WHERE_FIELDS)}")
        if name in RANGE_FIELDS:
            try:
                date_number(value)
            except (TypeError, ValueError) as exc:
                raise UserError(f"{name}={value!r} is not a date: write YYYY-MM-DD") from exc
    return where


def chroma_where(where: dict[str, Any] | None) -> dict[str, Any] | None:
    """Our filters as a Chroma `where` clause (marketplaces is a list field: `$contains`)."""
    clauses: list[dict[str, Any]] = []
    for name, value in check_where(where).items():
        if name in RANGE_FIELDS:
            fld, op = RANGE_FIELDS[name]
            clauses.append({fld: {op: date_number(value)}})
        elif name == "marketplaces":
            values = value if isinstance(value, list) else [value]
            ors = [{"marketplaces": {"$contains": str(v)}} for v in values]
            clauses.append(ors[0] if len(ors) == 1 else {"$or": ors})
        elif isinstance(value, list):
            clauses.append({name: {"$in": [str(v) for v in value]}})
        else:
            clauses.append({name: str(value)})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def where_matches(where: dict[str, Any] | None, metadata: dict[str, Any]) -> bool:
    """The same filters evaluated in Python (the keyword side masks its scores with this)."""
    for name, value in (where or {}).items():
        if name in RANGE_FIELDS:
            fld, op = RANGE_FIELDS[name]
            have = metadata.get(fld)
            if have is None:
                return False
            bound = date_number(value)
            if (op == "$gte" and have < bound) or (op == "$lte" and have > bound):
                return False
            continue
        wanted = {str(v) for v in (value if isinstance(value, list) else [value])}
        have = metadata.get(name)
        have_set = set(have) if isinstance(have, list) else ({str(have)} if have is not None else set())
        if not wanted & have_set:
            return False
    return True


# -- query types -----------------------------------------------------------------------------------------------

ID_TOKEN = re.compile(r"\b[A-Za-z]{1,5}-?\d{2,6}(?:\.\d{1,3})?\b")
_ACRONYM = re.compile(r"\b(?:[A-Z0-9]{2,}s?|[A-Za-z]+\d+[A-Za-z0-9]*|\d+[A-Za-z]+)\b")
NOTES_WORDS = 40


def query_type(query: str, known_ids: Container[str] | None = None) -> str:
    """`id` (names an MO id), `keyword` (a few terms, quoted phrases or codes), `notes` (pasted paragraphs),
    or `natural` (a described behaviour)."""
    words = query.split()
    if known_ids is not None and any(t.upper() in known_ids for t in ID_TOKEN.findall(query)):
        return "id"
    if known_ids is None and ID_TOKEN.search(query) and len(words) <= 3:
        return "id"
    if len(words) > NOTES_WORDS:
        return "notes"
    content = tokenize(query)
    if '"' in query or len(content) <= 3 or (len(content) <= 6 and _ACRONYM.search(query)):
        return "keyword"
    return "natural"


# -- fusion ----------------------------------------------------------------------------------------------------

# Short queries: how much keyword evidence adds to the dense similarity, by query type, as (coverage weight,
# relative BM25 weight). Cosines of one short query are comparable across MOs, so scores are added. Coverage
# (share of the query's idf found in the MO) is comparable across queries and stays near 0 when a paraphrase shares
# no rare words with an MO, so it counts on every type. Relative BM25 (score over the query's best BM25 score)
# always crowns some MO, even on one common word, so on described behaviour it only nudges (0.1), while on
# term-like queries ("buy box", "3DS", an id) the words are the intent and it weighs as much as coverage.
# Chosen in the middle of a plateau on tests/mos/eval where every neighbour also kept fused >= the better single
# method on both corpora; the leave-one-corpus-out figures are printed by bench/bench_search_quality.py.
KEYWORD_WEIGHTS = {"id": (0.6, 0.6), "keyword": (0.6, 0.6), "natural": (0.4, 0.1)}
# Pasted notes: fused by rank, not score. The cosine of a long text's mean vector is flattened (every MO looks
# 0.3-0.5 alike) while BM25 scores grow with length, so their scales do not meet; their ranks do. BM25 leads (its
# many specific words are the strongest evidence on notes), dense lifts what BM25 rates close:
# score = (1/(K + dense rank) + W/(K + keyword rank)) / ((1 + W)/(K + 1)), 1.0 when both rank the MO first.
NOTES_RANK_WEIGHT, NOTES_RANK_K = 3.0, 2.0
ID_BONUS = 1.0  # an MO named by id in the query goes first


@dataclass(frozen=True)
class Evidence:
    """What each method said about one MO for one query."""

    mo_id: str
    dense: float = 0.0          # best chunk cosine similarity
    keyword: float = 0.0        # best chunk BM25 score
    coverage: float = 0.0       # share of the query's term weight (idf) found in that chunk, 0..1
    named: bool = False         # the query names this MO's id


def _ranks(values: list[float], ids: list[str]) -> list[float]:
    """1-based rank of each value among `values` (higher first, ties by id); 0 or less ranks nowhere (inf)."""
    order = sorted(range(len(values)), key=lambda i: (-values[i], ids[i]))
    ranks = [float("inf")] * len(values)
    for rank, i in enumerate(order, start=1):
        if values[i] > 0:
            ranks[i] = float(rank)
    return ranks


def fuse(evidence: Iterable[Evidence], qtype: str, weights: dict[str, Any] | None = None
         ) -> list[tuple[str, float]]:
    """(mo_id, score 0..1) best first; an MO named by id in the query goes first.

    Short queries: score = (dense + wc * coverage + wb * BM25 / best BM25) / (1 + wc + wb), weights by query type.
    Notes: weighted reciprocal rank fusion (see NOTES_RANK_WEIGHT). `weights` overrides the defaults (the quality
    benchmark's cross-corpus check tunes them on one corpus and scores the other): {qtype: (wc, wb), "notes":
    (W, K)}."""
    evidence = list(evidence)
    table = {**KEYWORD_WEIGHTS, "notes": (NOTES_RANK_WEIGHT, NOTES_RANK_K), **(weights or {})}
    ids = [ev.mo_id for ev in evidence]
    if qtype == "notes":
        w, k = table["notes"]
        dense_rank = _ranks([max(ev.dense, 1e-9) for ev in evidence], ids)
        keyword_rank = _ranks([ev.keyword for ev in evidence], ids)
        top = (1 + w) / (k + 1)
        base = [(1 / (k + d) + w / (k + r)) / top for d, r in zip(dense_rank, keyword_rank)]
    else:
        wc, wb = table.get(qtype, table["natural"])
        best_keyword = max((ev.keyword for ev in evidence), default=0.0) or 1.0
        scale = 1.0 + wc + wb
        base = [(max(ev.dense, 0.0) + wc * ev.coverage + wb * ev.keyword / best_keyword) / scale for ev in evidence]
    scored = []
    for ev, score in zip(evidence, base):
        if ev.named:
            score = min(1.0, score + ID_BONUS)
        scored.append((ev.mo_id, round(score, 6)))
    scored.sort(key=lambda item: (-item[1], item[0]))
    return scored


# -- snippets --------------------------------------------------------------------------------------------------

_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")
SNIPPET_CHARS = 240


def snippet(passage: str, query: str, limit: int = SNIPPET_CHARS) -> str:
    """The passage's sentence (plus the next while room) sharing most query terms; its start if none share."""
    sentences = [s.strip() for s in _SENTENCE.split(passage or "") if s.strip()]
    if not sentences:
        return ""
    terms = set(tokenize(query))
    best = max(range(len(sentences)), key=lambda i: (len(terms & set(tokenize(sentences[i]))), -i)) if terms else 0
    text = sentences[best]
    for following in sentences[best + 1:]:
        if len(text) + 1 + len(following) > limit:
            break
        text = f"{text} {following}"
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return ("…" if best > 0 else "") + text


# -- results ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    """One MO in a result list: `score` 0..1 (higher is closer); `snippet` the passage that matched."""

    mo_id: str
    title: str
    score: float
    snippet: str
    dense: float = 0.0
    keyword: float = 0.0
    metadata: dict[str, Any] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        return {"mo_id": self.mo_id, "title": self.title, "score": round(self.score, 4), "snippet": self.snippet}


@dataclass(frozen=True)
class SearchResults:
    query: str
    query_type: str
    where: dict[str, Any]
    hits: list[SearchHit]

    def public(self) -> dict[str, Any]:
        """The CLI's stable JSON shape: {"query", "results": [{"mo_id", "title", "score", "snippet"}]}."""
        return {"query": self.query, "results": [h.public() for h in self.hits]}

    def to_json(self) -> str:
        return json.dumps(self.public(), ensure_ascii=False)


def read_queries_file(lines: Iterable[str], source: str = "queries file") -> list[tuple[str, dict[str, Any]]]:
    """Lines of {"query": ..., "where": {...}} (where optional) -> [(query, where)]; blank lines skipped."""
    from rm_core.errors import Problem, ValidationFailed

    out: list[tuple[str, dict[str, Any]]] = []
    problems: list[Problem] = []
    for row, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            query = item["query"]
            where = item.get("where") or {}
            if not isinstance(query, str) or not isinstance(where, dict):
                raise TypeError
            out.append((query, check_where(where)))
        except (ValueError, KeyError, TypeError, AttributeError):
            problems.append(Problem('write {"query": "...", "where": {"FIELD": "VALUE"}} on each line',
                                    file=source, row=row))
        except UserError as exc:
            problems.append(Problem(str(exc), file=source, row=row, field="where"))
    if problems:
        raise ValidationFailed(problems)
    return out


def search_lines(engine: Any, lines: Iterable[str], k: int = 10, source: str = "queries file") -> list[str]:
    """`mo search --queries-file`: one JSON result object per input line, in input order (all lines are
    validated before any search runs)."""
    return [engine.search(query, k, where).to_json() for query, where in read_queries_file(lines, source)]
