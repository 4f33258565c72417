"""Serve the workbench (`make run`): `streamlit run app.py` plus what must happen before the first visitor,
which no script run can do.

- Streamlit treats a `pages/` folder beside the main script as a legacy multipage app until `st.navigation` has
  run once in the process: the first visitor's sidebar listed the files in `pages/` (`_ui.py` included) until
  the router's navigation replaced it, and a click in that moment went nowhere. app.py routes every page with
  `st.navigation`, so the legacy mode is switched off before the server starts.
- The embedding model is loaded, and the MOs that seeding or an import left queued are embedded, in the
  background from launch (`rm_core.startup`): the first page is served at once and the first search does not
  wait for the model.

Usage: `python serve.py [streamlit run options]`, e.g. `python serve.py --server.port 8501`.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    from rm_core.errors import UserError
    from rm_core.settings import get_settings
    from rm_core.startup import import_shared_modules, prepare_state, start_indexing

    PagesManager.uses_pages_directory = False  # set before any session: a session's PagesManager keeps it
    try:
        settings = get_settings()
        _check_sign_in(argv)
        prepare_state(settings)
    except UserError as exc:
        print(f"serve.py: {exc}", file=sys.stderr)
        return 2
    import_shared_modules()  # before the indexer's thread imports them too (see rm_core.startup)
    start_indexing(settings)
    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *argv]
    return cli.main()


def _secrets_files(argv: list[str]) -> list[str]:
    """The secrets files the server will read: `--secrets.files` when given, else Streamlit's configured ones."""
    for i, arg in enumerate(argv):
        if arg == "--secrets.files" and i + 1 < len(argv):
            return [argv[i + 1]]
        if arg.startswith("--secrets.files="):
            return [arg.split("=", 1)[1]]
    from streamlit import config

    return list(config.get_option("secrets.files") or [])


def _check_sign_in(argv: list[str]) -> None:
    """A broken or partial `[auth]` (or a secrets file that is not TOML) stops the server before it serves, with
    the problem named; the app's router refuses to serve anything on it as well."""
    from rm_core.signin import auth_config, read_secrets

    secrets, found = read_secrets(_secrets_files(argv))
    auth_config(secrets, ", ".join(found) or "secrets.toml")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
