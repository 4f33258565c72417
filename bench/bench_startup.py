"""`make run` start-up on a freshly seeded world: time to the first served page, and the first searches after it.

Both variants start from the same freshly seeded state folder (seeded once, copied) and run what `make run` runs
after seeding, timed from the first command:

- baseline: the code at `--baseline` (default: the commit before serve-first, extracted with `git archive`):
  `db upgrade`, `mo reindex --check` (embeds every queued MO), then `streamlit run app.py`;
- current: this tree: `db upgrade`, then `serve.py` (the model loads and the MOs are embedded in the background).

Measured with headless Chromium, as a user would see it: the home page rendered (script idle, navigation shown);
a search typed on the MO page right after (the current variant answers by keyword while indexing, and says so);
when the index is complete (no queued MO left); and a search by meaning after that (the baseline loads the
embedding model in that first search, the current one warmed it at launch).

Run: .venv/bin/python bench/bench_startup.py [--scale default] [--baseline COMMIT]
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
BASELINE = "f6e4745"  # main before serve-first (MO page + start-up work of issue 15)
FIRST_QUERY = "sellers change the payout bank account after listing gift cards"
LATER_QUERY = "buyers claim the parcel never arrived and ask for a refund"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"RM_HOME": str(home), "RM_USER": "bench", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "ANONYMIZED_TELEMETRY": "False", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
                "RM_EMBEDDINGS": "local"})
    for name in ("RM_DATABASE_URL", "RM_CHROMA_HOST"):
        env.pop(name, None)
    return env


def queued(home: Path) -> int:
    with sqlite3.connect(home / "workbench.db", timeout=30) as db:
        return db.execute("select count(*) from index_outbox").fetchone()[0]


def wait_idle(page, timeout: float = 300_000) -> None:
    page.wait_for_selector('[data-testid="stApp"]', state="attached", timeout=timeout)
    page.wait_for_function("""() => { const a = document.querySelector('[data-testid="stApp"]');
        return a && a.getAttribute('data-test-script-state') === 'notRunning'
            && !document.querySelector('[data-testid="stSkeleton"]'); }""", timeout=timeout)


def search(page, base: str, query: str) -> tuple[float, str]:
    """Seconds from pressing Enter to the result list, and the caption that says how it was searched."""
    page.goto(f"{base}/mo_search")
    wait_idle(page)
    box = page.get_by_label("Describe what you are seeing, or type an MO id or keywords")
    box.fill(query)
    started = time.monotonic()
    box.press("Enter")
    caption = page.locator('[data-testid="stCaptionContainer"]').filter(has_text=" MOs · ").first
    caption.wait_for(timeout=300_000)
    return time.monotonic() - started, caption.inner_text().split(" · ", 1)[1][:60]


def run_variant(name: str, tree: Path, seeded: Path, browser) -> dict[str, object]:
    home = Path(tempfile.mkdtemp(prefix=f"rm-bench-{name}-"))
    shutil.rmtree(home)
    shutil.copytree(seeded, home)
    env, port = env_for(home), free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(home / "server.log", "w")
    started = time.monotonic()
    subprocess.run([PY, "-m", "rm_core", "db", "upgrade"], cwd=tree, env=env, check=True, capture_output=True)
    serve_args = ["--server.port", str(port), "--server.headless", "true", "--server.address", "127.0.0.1"]
    if name == "baseline":
        subprocess.run([PY, "-m", "rm_core", "mo", "reindex", "--check"], cwd=tree, env=env, check=True,
                       capture_output=True)
        command = [PY, "-m", "streamlit", "run", "app.py", *serve_args]
    else:
        command = [PY, "serve.py", *serve_args]
    proc = subprocess.Popen(command, cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT)
    out: dict[str, object] = {"variant": name}
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                time.sleep(0.1)
            if proc.poll() is not None:
                raise RuntimeError((home / "server.log").read_text()[-2000:])
        out["health_s"] = time.monotonic() - started
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(base)
        wait_idle(page)
        page.locator('[data-testid="stSidebarNavLink"]').first.wait_for(timeout=300_000)
        out["first_page_s"] = time.monotonic() - started
        out["first_search_s"], out["first_search_mode"] = search(page, base, FIRST_QUERY)
        out["queued_at_first_search"] = queued(home)
        while queued(home):
            time.sleep(0.5)
        out["index_ready_s"] = time.monotonic() - started
        page.goto(f"{base}/mo_search")
        wait_idle(page)  # the page reruns once the background work reports ready
        while page.locator('[data-testid="stProgress"]').count():
            page.wait_for_timeout(500)
        out["semantic_search_s"], out["semantic_search_mode"] = search(page, base, LATER_QUERY)
        context.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(home, ignore_errors=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="default")
    parser.add_argument("--baseline", default=BASELINE)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="rm-bench-startup-"))
    try:
        baseline_tree = work / "baseline"
        baseline_tree.mkdir()
        archive = subprocess.run(["git", "archive", args.baseline], cwd=ROOT, check=True, capture_output=True).stdout
        tarfile.open(fileobj=BytesIO(archive)).extractall(baseline_tree)
        seeded = work / "seeded"
        env = env_for(seeded)
        t = time.monotonic()
        subprocess.run([PY, "-m", "rm_core", "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([PY, "-m", "rm_core", "demo", "seed", "--scale", args.scale, "--if-empty"], cwd=ROOT,
                       env=env, check=True, capture_output=True)
        print(f"seeding the {args.scale} world (both variants start from a copy): {time.monotonic() - t:.1f} s; "
              f"{queued(seeded)} MOs queued for the index", flush=True)
        load = os.getloadavg()[0]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                         args=["--headless", "--no-sandbox", "--disable-gpu"])
            rows = []
            for name, tree in (("baseline", baseline_tree), ("current", ROOT)):
                rows.append(run_variant(name, tree, seeded, browser))
                print(f"{name}: " + ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}"
                                              for k, v in rows[-1].items() if k != "variant"), flush=True)
            browser.close()
        print(f"load average at start {load:.1f} (2 cores, shared)")
        print(f"{'variant':<9} {'health':>7} {'1st page':>9} {'1st search':>11} {'(queued)':>9} {'index ready':>12} "
              f"{'semantic':>9}  modes")
        for r in rows:
            print(f"{r['variant']:<9} {r['health_s']:>6.1f}s {r['first_page_s']:>8.1f}s {r['first_search_s']:>10.2f}s "
                  f"{r['queued_at_first_search']:>9} {r['index_ready_s']:>11.1f}s {r['semantic_search_s']:>8.2f}s  "
                  f"{r['first_search_mode']!r} / {r['semantic_search_mode']!r}")
        b, c = rows
        print(f"first served page: {b['first_page_s']:.1f} s -> {c['first_page_s']:.1f} s "
              f"({b['first_page_s'] / c['first_page_s']:.1f}x sooner); first search by meaning after the index is "
              f"ready: {b['semantic_search_s']:.2f} s -> {c['semantic_search_s']:.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
