"""Cutting MO write-ups and pasted notes into passages the embedding model reads whole (it stops at 256 tokens)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from rm_core.mos.records import MODoc

# ~800 characters is ~170 word pieces: with the title in front every chunk stays under MiniLM's 256 limit.
CHUNK_CHARS = 800
OVERLAP_CHARS = 120


@dataclass(frozen=True)
class Chunk:
    """One passage of an MO. `passage` is the original text (snippets come from it); `embed_text` adds the title
    so a passage deep in a long write-up still says what it is about."""

    chunk_id: str
    mo_id: str
    position: int
    title: str
    passage: str

    @property
    def embed_text(self) -> str:
        return f"{self.title}. {self.passage}" if self.passage else self.title

    @property
    def keyword_text(self) -> str:
        # The id is searchable by keyword ("MO-0142"), the title weighs in every passage.
        return f"{self.mo_id} {self.title} {self.passage}"


@lru_cache(maxsize=4)
def _splitter(chunk_chars: int, overlap: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(chunk_size=chunk_chars, chunk_overlap=overlap,
                                          separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
                                          keep_separator="end")


def split_text(text: str, chunk_chars: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS) -> list[str]:
    """Paragraph-then-sentence aware pieces of at most `chunk_chars` characters; no empty pieces."""
    text = (text or "").strip()
    if not text:
        return []
    if len(text) <= chunk_chars:
        return [text]
    return [p.strip() for p in _splitter(chunk_chars, overlap).split_text(text) if p.strip()]


def chunk_id(mo_id: str, position: int) -> str:
    return f"{mo_id}::{position}"


def chunk_mo(doc: MODoc, chunk_chars: int = CHUNK_CHARS, overlap: int = OVERLAP_CHARS) -> list[Chunk]:
    """The MO's passages in order; an MO with no text still gets one chunk (its title) so it is findable."""
    pieces = split_text(doc.text, chunk_chars, overlap) or [""]
    return [Chunk(chunk_id(doc.mo_id, i), doc.mo_id, i, doc.title.strip(), piece) for i, piece in enumerate(pieces)]
