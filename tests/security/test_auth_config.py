"""A broken, partial or unreadable [auth] stops start-up with the problem named; it never means "no sign-in"."""
import pytest

from rm_core.errors import UserError
from rm_core.signin import auth_config, read_secrets

GOOD = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "workbench", "client_secret": "s3cret",
        "server_metadata_url": "http://127.0.0.1:9400/.well-known/openid-configuration"}


def test_no_auth_section_is_the_no_sign_in_mode():
    assert auth_config({"other": {"a": 1}}) is None


def test_a_complete_flat_section_offers_the_default_provider():
    config = auth_config({"auth": GOOD})
    assert config.providers == ("default",) and config.redirect_uri == GOOD["redirect_uri"]


def test_named_providers_are_offered_each():
    section = {k: GOOD[k] for k in ("redirect_uri", "cookie_secret")}
    section["okta"] = {k: GOOD[k] for k in ("client_id", "client_secret", "server_metadata_url")}
    section["keycloak"] = dict(section["okta"])
    assert auth_config({"auth": section}).providers == ("okta", "keycloak")


@pytest.mark.parametrize("missing", ["redirect_uri", "cookie_secret", "client_id", "client_secret",
                                     "server_metadata_url"])
def test_a_partial_section_names_the_missing_key(missing):
    section = {k: v for k, v in GOOD.items() if k != missing}
    with pytest.raises(UserError, match=f"{missing}.*missing|{missing} is missing|no provider"):
        auth_config({"auth": section})


@pytest.mark.parametrize("key,value,message", [
    ("redirect_uri", "http://localhost:8501/", "must be an http\\(s\\) URL ending in /oauth2callback"),
    ("cookie_secret", "short", "shorter than 16"),
    ("server_metadata_url", "file:///etc/passwd", "is not an http\\(s\\) URL"),
])
def test_a_wrong_value_is_named(key, value, message):
    with pytest.raises(UserError, match=message):
        auth_config({"auth": {**GOOD, key: value}})


def test_an_auth_value_that_is_not_a_table_is_refused():
    with pytest.raises(UserError, match="must be a table"):
        auth_config({"auth": "yes"})


def test_a_secrets_file_that_is_not_toml_stops_start_up_naming_the_file(tmp_path):
    bad = tmp_path / "secrets.toml"
    bad.write_text('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback\n')
    with pytest.raises(UserError, match=f"{bad} is not valid TOML"):
        read_secrets([tmp_path / "missing.toml", bad])


def test_later_secrets_files_win_as_in_streamlit(tmp_path):
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    first.write_text('[auth]\nclient_id = "one"\n')
    second.write_text('[auth]\nclient_id = "two"\n')
    merged, found = read_secrets([first, second, tmp_path / "none.toml"])
    assert merged["auth"]["client_id"] == "two" and found == [str(first), str(second)]


def test_serve_refuses_to_start_on_a_partial_auth_section_and_names_the_problem(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\n')
    env = {"PATH": "/usr/bin:/bin", "RM_HOME": str(tmp_path / "state"), "RM_EMBEDDINGS": "hash",
           "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "serve.py", "--secrets.files", str(secrets), "--server.port", "1"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "cookie_secret is missing" in done.stderr and str(secrets) in done.stderr
    assert not (tmp_path / "state").exists()  # refused before anything was written
