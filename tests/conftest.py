"""Fixtures every tier shares: a fresh state folder per test, actors per role, and PostgreSQL on demand."""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from rm_core.identity import Actor
from rm_core.settings import get_settings
from rm_core.store.db import dispose_engines
from rm_core.store.migrate import upgrade
from tests.pg import TempPostgres


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("postgres"):
        metafunc.parametrize("backend", ["sqlite", "postgresql"])


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="session")
def pg_server_url():
    """The server URL: RM_TEST_PG_URL when given, else a temporary server for this test process."""
    given = os.environ.get("RM_TEST_PG_URL")
    if given:
        yield given
        return
    server = TempPostgres().start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_database(pg_server_url):
    """One database per test process, migrated from empty to head once."""
    from rm_core.settings import load_settings

    name = "rm_test_" + uuid.uuid4().hex[:8]
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg_server_url.rsplit("/", 1)[0] + "/" + name
    upgrade(load_settings({"RM_DATABASE_URL": url, "RM_HOME": os.environ.get("TMPDIR", "/tmp")}))
    dispose_engines()
    yield url
    dispose_engines()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_url(pg_database):
    """The test process's PostgreSQL database, emptied for this test (all rows gone, ids restarted)."""
    from rm_core.store.models import Base

    engine = create_engine(pg_database)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield pg_database
    dispose_engines()


@pytest.fixture
def state(tmp_path, monkeypatch, backend, request):
    """A fresh, migrated state folder (and database) for one test; settings point at it."""
    monkeypatch.setenv("RM_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("RM_EMBEDDINGS", os.environ.get("RM_TEST_EMBEDDINGS", "hash"))
    monkeypatch.setenv("RM_USER", "tester")
    monkeypatch.delenv("RM_CHROMA_HOST", raising=False)
    monkeypatch.delenv("RM_LINK_SECRET", raising=False)
    if backend == "postgresql":
        monkeypatch.setenv("RM_DATABASE_URL", request.getfixturevalue("pg_url"))
    else:
        monkeypatch.delenv("RM_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    dispose_engines()
    settings = get_settings()
    upgrade(settings)
    yield settings
    dispose_engines()
    get_settings.cache_clear()


@pytest.fixture
def admin() -> Actor:
    return Actor("ada", "admin", "Ada Admin")


@pytest.fixture
def editor() -> Actor:
    return Actor("eddie", "editor", "Eddie Editor")


@pytest.fixture
def facilitator() -> Actor:
    return Actor("fran", "facilitator", "Fran Facilitator")


@pytest.fixture
def viewer() -> Actor:
    return Actor("vic", "viewer", "Vic Viewer")
