"""Browser tier: the real app served by `streamlit run` on a free port, driven by headless Chromium.

Waits use Streamlit's own signal (`data-test-script-state` on the app root), never sleeps.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.pg import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("RM_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# Every link text the sidebar ever showed (a page's init script records them; SHOWN reads them back).
SHOWN = """() => Array.from(window.__navSeen || [])"""
RECORD_NAV = """
window.__navSeen = new Set();
new MutationObserver(() => document.querySelectorAll('[data-testid="stSidebarNavLink"]').forEach(
    a => window.__navSeen.add(a.innerText.trim().split('\\n').pop().trim()))
).observe(document, {subtree: true, childList: true, characterData: true});
"""

pytestmark = pytest.mark.browser


def browser_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"RM_HOME": str(home), "RM_USER": "browser-admin", "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
                "RM_EMBEDDINGS": os.environ.get("RM_TEST_BROWSER_EMBEDDINGS", "local")})
    env.pop("RM_DATABASE_URL", None)
    env.pop("RM_CHROMA_HOST", None)
    return env


def seed_state(home: Path, env: dict[str, str]) -> None:
    """A migrated, seeded small demo world in `home` with its MO index built."""
    subprocess.run([sys.executable, "-m", "rm_core", "db", "upgrade"], env=env, cwd=ROOT, check=True,
                   capture_output=True)
    seed = subprocess.run([sys.executable, "-m", "rm_core", "demo", "seed", "--scale", "small"], env=env, cwd=ROOT,
                          capture_output=True, text=True)
    assert seed.returncode == 0, seed.stderr[-2000:]
    index = subprocess.run([sys.executable, "-m", "rm_core", "mo", "reindex", "--check"], env=env, cwd=ROOT,
                           capture_output=True, text=True)
    assert index.returncode == 0, index.stderr[-2000:]


# serve.py is what `make run` serves with (legacy pages/ handling off, background indexing)
SERVE_PY = ("serve.py",)
# plain `streamlit run app.py`: what a user gets without the launcher (the router's own guards)
STREAMLIT_RUN = ("-m", "streamlit", "run", "app.py")


@contextlib.contextmanager
def serve(home: Path, env: dict[str, str], *extra_args: str, port: int | None = None,
          launcher: tuple[str, ...] = SERVE_PY, host: str = "127.0.0.1", cwd: Path = ROOT):
    """Serve the app on a loopback port (a free one unless given) until the block ends; yields the base URL
    (`host` names it, e.g. `localhost` where an OIDC redirect URI says so; `cwd` is the tree whose
    `.streamlit/config.toml` the server reads)."""
    port = port or free_port()
    log = open(home / "streamlit.log", "w")
    proc = subprocess.Popen([sys.executable, *launcher, "--server.port", str(port),
                             "--server.headless", "true", "--server.address", "127.0.0.1", *extra_args],
                            env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start:\n{(home / 'streamlit.log').read_text()[-3000:]}")
            time.sleep(0.2)  # polling the health endpoint, not waiting on the UI
        yield f"http://{host}:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def served_env(tmp_path_factory) -> dict[str, str]:
    """The environment (state folder included) of the served demo world, for commands a test runs against it."""
    home = tmp_path_factory.mktemp("browser-state")
    env = browser_env(home)
    seed_state(home, env)
    return env


@pytest.fixture(scope="session")
def served_app(served_env):
    """Base URL of the app served over a small seeded demo world; the server always stops at the end."""
    with serve(Path(served_env["RM_HOME"]), served_env) as base:
        yield base


def rm_command(env: dict[str, str], *args: str) -> str:
    """Run `python -m rm_core ARGS` against a test's state folder; its standard output."""
    done = subprocess.run([sys.executable, "-m", "rm_core", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def share_path(env: dict[str, str], *args: str) -> str:
    """A fresh share link made with `links create ARGS` by the state's local user: its path after the base URL."""
    return rm_command(env, "links", "create", "--base-url", "", *args).strip().lstrip("/")  # "?share=…"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect, sync_playwright

    # The first search loads the embedding model (seconds on a busy 2-core machine): assertions wait on the
    # app, up to a minute, for what a user would see.
    expect.set_options(timeout=60_000)

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
    except Exception:
        pass
    context.close()


def wait_for_app(page) -> None:
    """Wait until the script run the last action started has finished."""
    page.wait_for_selector('[data-testid="stApp"]', state="attached")
    page.wait_for_selector(IDLE, state="attached")
    page.wait_for_function("""() => {
        const app = document.querySelector('[data-testid="stApp"]');
        return app && app.getAttribute('data-test-script-state') === 'notRunning'
            && !document.querySelector('[data-testid="stSkeleton"]');
    }""")


def open_page(page, base: str, path: str = "") -> None:
    page.goto(f"{base}/{path}")
    wait_for_app(page)


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]').first.inner_text()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test carries the tail of the shared server's log: the page only shows a redacted error."""
    outcome = yield
    report = outcome.get_result()
    env = item.funcargs.get("served_env") if hasattr(item, "funcargs") else None
    if report.failed and env:
        log = Path(env["RM_HOME"]) / "streamlit.log"
        if log.exists():
            report.sections.append(("served app log (tail)", log.read_text(errors="replace")[-4000:]))
