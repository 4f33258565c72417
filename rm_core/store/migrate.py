"""Schema migrations (Alembic): bring any database, empty or older, to the current schema."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from rm_core.settings import Settings, get_settings
from rm_core.store.db import get_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(settings: Settings | None = None) -> Config:
    settings = settings or get_settings()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(settings: Settings | None = None) -> str | None:
    with get_engine(settings).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(settings: Settings | None = None, revision: str = "head") -> str | None:
    """Apply pending migrations; returns the revision the database is at afterwards."""
    settings = settings or get_settings()
    cfg = alembic_config(settings)
    with get_engine(settings).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return current_revision(settings)


def is_current(settings: Settings | None = None) -> bool:
    return current_revision(settings) == head_revision()
