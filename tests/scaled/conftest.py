"""Scaled tier: `deploy/run-scaled.sh` starts PostgreSQL, a Chroma server, two replicas and HAProxy on free
ports in a temporary folder; Chromium talks to the proxy only. A browser context is pinned to a replica by
the proxy's own affinity cookie (RM_REPLICA), the way a returning user is.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.pg import free_port

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "run-scaled.sh"

pytestmark = pytest.mark.scaled


def visitor_identity() -> dict[str, str]:
    """How the browser is known to the replicas: the local user, RM_USER.

    HAProxy here adds no X-Forwarded-For nor Forwarded header (no `option forwardfor`) and the replicas listen
    on 127.0.0.1, so a replica sees a loopback visitor, as on one machine. If sign-in ever treats proxied
    visitors as signed out, this is the one place to sign the test user in.
    """
    return {"RM_USER": "scaled-admin"}


@pytest.fixture(scope="session")
def scaled():
    """(proxy URL, run(*args) for the script); everything is stopped at the end, whatever happened."""
    # Not under pytest's 0700 tmp folders: the postgres user runs the database and must reach its folder.
    folder = Path(tempfile.mkdtemp(prefix="rm-scaled-"))
    folder.chmod(0o755)
    env = dict(os.environ)
    # The interpreter running the tests serves the replicas (a worktree may have no .venv of its own).
    env.update({"PY": sys.executable, "RM_SCALED_DIR": str(folder), "RM_SCALED_PROXY_PORT": str(free_port()),
                "RM_SCALED_REPLICA_PORTS": f"{free_port()} {free_port()}",
                "RM_SCALED_CHROMA_PORT": str(free_port()), "RM_SCALED_PG_PORT": str(free_port()),
                "RM_EMBEDDINGS": os.environ.get("RM_TEST_BROWSER_EMBEDDINGS", "hash"), **visitor_identity()})
    for name in ("RM_HOME", "RM_DATABASE_URL", "RM_CHROMA_HOST", "RM_CHROMA_PORT"):
        env.pop(name, None)

    def run(*args: str, check: bool = True) -> int:
        # Output goes to a file, not a pipe: the daemons the script starts would hold a pipe open.
        out = folder / "script.log"
        with out.open("a") as log:
            code = subprocess.run(["bash", str(SCRIPT), *args], env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                                  stdout=log, stderr=subprocess.STDOUT, timeout=600).returncode
        if check and code:
            logs = "\n".join(f"== {p.name}\n{p.read_text()[-1500:]}" for p in sorted((folder / "logs").glob("*.log")))
            raise AssertionError(f"run-scaled.sh {' '.join(args)} failed:\n{out.read_text()[-2000:]}\n{logs}")
        return code

    try:
        run("start")
        yield f"http://127.0.0.1:{env['RM_SCALED_PROXY_PORT']}", run
    finally:
        run("stop", check=False)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def on_replica(browser, scaled):
    """on_replica("a") → a page whose requests the proxy sends to replica a (its affinity cookie is set)."""
    base, _ = scaled
    contexts = []

    def open_(name: str):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_cookies([{"name": "RM_REPLICA", "value": name, "url": base}])
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(60_000)
        return page

    yield open_
    for context in contexts:
        context.close()
