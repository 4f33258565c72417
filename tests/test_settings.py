from pathlib import Path

import pytest

from rm_core.errors import UserError
from rm_core.settings import PROJECT_ROOT, VARIABLES, load_settings


def test_defaults_put_everything_under_data_state():
    s = load_settings({})
    assert s.home == PROJECT_ROOT / "data" / "state"
    assert s.database_url == f"sqlite:///{s.home / 'workbench.db'}"
    assert s.chroma_host is None and s.embeddings == "local" and s.chat_model == "none"


def test_rm_home_moves_the_database_with_it(tmp_path):
    s = load_settings({"RM_HOME": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'workbench.db'}"
    assert s.chroma_path == tmp_path / "chroma"


def test_plain_postgresql_url_gets_the_psycopg_driver():
    s = load_settings({"RM_DATABASE_URL": "postgresql://rm@db:5432/rm"})
    assert s.database_url == "postgresql+psycopg://rm@db:5432/rm"


@pytest.mark.parametrize("name,value,fix", [
    ("RM_DATABASE_URL", "mysql://x", "sqlite:///PATH"),
    ("RM_CHROMA_PORT", "eighty", "port number"),
    ("RM_CHROMA_PORT", "70000", "between 1 and 65535"),
    ("RM_EMBEDDINGS", "bert", "local, hash"),
    ("RM_CHAT_MODEL", "gpt", "provider:model"),
    ("RM_USER", "a b<script>", "letters"),
    ("RM_LOG_LEVEL", "LOUD", "DEBUG"),
])
def test_a_bad_value_names_the_variable_and_the_fix(name, value, fix):
    with pytest.raises(UserError) as err:
        load_settings({name: value})
    assert name in str(err.value) and fix in str(err.value)


def test_rm_home_pointing_at_a_file_is_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(UserError, match="RM_HOME"):
        load_settings({"RM_HOME": str(f)})


def test_readme_documents_every_variable():
    readme = (PROJECT_ROOT / "README.md").read_text()
    missing = [name for name in VARIABLES if f"`{name}`" not in readme]
    assert not missing, f"README.md does not document {missing}"


def test_core_library_never_imports_streamlit():
    offenders = [str(p.relative_to(PROJECT_ROOT)) for p in Path(PROJECT_ROOT, "rm_core").rglob("*.py")
                 if any(line.strip().startswith(("import streamlit", "from streamlit"))
                        for line in p.read_text().splitlines())]
    assert offenders == []


def test_storage_imports_no_policy_module():
    """rm_core/store is mechanism (engine, models, migrations, dump/load): it never imports who may do what
    (identity), the audit log or a domain; those import it."""
    import ast

    allowed = ("rm_core.store", "rm_core.errors", "rm_core.settings")
    offenders = []
    for path in Path(PROJECT_ROOT, "rm_core", "store").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            offenders += [f"{path.relative_to(PROJECT_ROOT)}: {n}" for n in names
                          if n.startswith("rm_core") and not n.startswith(allowed)]
    assert offenders == []
