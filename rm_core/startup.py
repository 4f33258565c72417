"""Getting a state folder ready to serve: migrations, and repairs that must happen before the first page."""
from __future__ import annotations

import logging

from rm_core.errors import UserError
from rm_core.settings import Settings
from rm_core.store.db import check_database
from rm_core.store.migrate import upgrade

log = logging.getLogger(__name__)


def prepare_state(settings: Settings) -> list[str]:
    """Migrate the database and repair what a crash may have left; returns warnings for the sidebar."""
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"RM_HOME={settings.home} cannot be created ({exc.strerror or exc}).") from None
    check_database(settings)
    upgrade(settings)
    warnings: list[str] = []
    return warnings
