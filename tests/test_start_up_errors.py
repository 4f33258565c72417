"""Start-up problems are one sentence naming the problem, never a traceback (CLI here; the app in tests/pages)."""
import pytest

from rm_core.cli import main
from rm_core.settings import get_settings, load_settings
from tests.pg import free_port


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("RM_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("RM_USER", "tester")

    def use(url):
        monkeypatch.setenv("RM_DATABASE_URL", url)
        get_settings.cache_clear()
    yield use
    get_settings.cache_clear()


def test_an_unreachable_postgresql_is_named(env, capsys):
    port = free_port()
    env(f"postgresql+psycopg://rm:secret@127.0.0.1:{port}/workbench")
    assert main(["roadmap", "list"]) == 2
    err = capsys.readouterr().err
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port}/workbench" in err and "secret" not in err
    assert "Traceback" not in err


def test_a_sqlite_path_in_a_missing_folder_is_named(env, tmp_path, capsys):
    env(f"sqlite:///{tmp_path}/nowhere/db.sqlite")
    assert main(["db", "upgrade"]) == 2
    assert f"the folder {tmp_path}/nowhere does not exist" in capsys.readouterr().err


def test_a_sqlite_path_that_is_a_folder_is_named(env, tmp_path, capsys):
    (tmp_path / "adir").mkdir()
    env(f"sqlite:///{tmp_path}/adir")
    assert main(["trackers", "gaps", "list"]) == 2
    assert "which is a folder" in capsys.readouterr().err


def test_a_relative_sqlite_url_is_resolved_against_rm_home(tmp_path):
    s = load_settings({"RM_HOME": str(tmp_path), "RM_DATABASE_URL": "sqlite:///sub/x.db"})
    assert s.database_url == f"sqlite:///{tmp_path}/sub/x.db"


def test_a_deck_that_is_not_utf8_is_named_with_its_line(env, tmp_path, capsys):
    deck = tmp_path / "deck.yaml"
    deck.write_bytes(b"setup:\n  week_ending: 25-SEP-2021\n  title: 'Caf\xe9'\n")
    data = tmp_path / "d.csv"
    data.write_text("Date,x\n2021-09-01,1\n")
    assert main(["metrics", "wbr", "--config", str(deck), "--csv", str(data)]) == 2
    assert f"{deck}, row 3: not UTF-8 text (byte 0xe9)" in capsys.readouterr().err
