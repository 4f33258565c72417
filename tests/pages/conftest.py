"""Page tier: Streamlit AppTest over the real page files, each on a fresh state folder."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def app_test(path: str, timeout: float = 60) -> AppTest:
    return AppTest.from_file(str(ROOT / path), default_timeout=timeout)


@pytest.fixture(autouse=True)
def _run_from_project_root(monkeypatch):
    # Pages import `pages._ui`, which Streamlit finds from the main script's folder; AppTest runs in-process.
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(str(ROOT))


@pytest.fixture(autouse=True)
def _served_on_loopback():
    """As `make run` serves: on 127.0.0.1, so the AppTest visitor (no proxy headers) is the machine's own user."""
    from streamlit import config

    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", before)
