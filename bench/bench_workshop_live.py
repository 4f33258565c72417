"""A live workshop board in real browsers: how soon a phase change and new votes reach every participant's screen.

Run: `.venv/bin/python bench/bench_workshop_live.py [--browsers 6] [--participants 40] [--changes 10]
[--baseline-ref REF]`.

Set-up: a served app (serve.py, as `make run` serves) over a fresh state; one OP1 session with 40 simulated
participants (each joined through the service, 2 ideas each) who keep adding ideas and casting votes from
threads of this process while the measurement runs (one write every ~0.3 s), plus `--browsers` participants
in headless Chromium, each in its own browser context, on their board through a signed participant link.

Measured, per browser and phase change (the facilitator alternates group ⇄ vote, going back resets the votes):
- **phase visible**: from the moment `set_phase` committed to the moment that browser's phase bar shows the new
  phase in bold (the browser stamps the time itself; one clock on one machine). Target: p95 ≤ 3 s.
- **votes fresh**: after the simulated voters stop, from the last vote committed to the moment every browser's
  "Votes cast" equals the database's tally (and it must get there: a stale count fails the run).
- **page load**: a fresh participant page opened while everything else runs, to the first idle board.
- **server CPU per refresh**: the server process's CPU seconds over 10 quiet seconds, per browser per second.

Baseline in the same run (`--baseline-ref`, e.g. the commit before a change): the same measurement against a
server started from a git worktree of that commit, printed beside, with the ratio.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS, IDLE, browser_env, serve  # noqa: E402

PHASE_JS = """(label) => {
  for (const el of document.querySelectorAll('[data-testid="stMarkdownContainer"] strong')) {
    const line = el.closest('[data-testid="stMarkdownContainer"]').innerText;
    if (line.includes('→') && el.innerText.trim() === label) return Date.now();
  }
  return false;
}"""
VOTES_JS = """(total) => {
  for (const m of document.querySelectorAll('[data-testid="stMetric"]')) {
    if (m.innerText.includes('Votes cast') &&
        m.querySelector('[data-testid="stMetricValue"]').innerText.trim() === String(total)) return Date.now();
  }
  return false;
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class World:
    """The state folder, the session and its simulated participants, written through the workshop services."""

    def __init__(self, participants: int, browsers: int) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="rm-bench-live-"))
        self.env = browser_env(self.home)
        self.env["RM_EMBEDDINGS"] = "hash"
        os.environ.update({k: v for k, v in self.env.items() if k.startswith("RM_")})
        from rm_core import workshops as wk
        from rm_core.identity import Actor
        from rm_core.settings import get_settings
        from rm_core.store.migrate import upgrade

        get_settings.cache_clear()
        upgrade(get_settings())
        self.wk, self.fran = wk, Actor("browser-admin", "admin", "Fran")
        ws = wk.create_session(self.fran, "Live bench", "op1_ideation", votes_per_person=50, max_votes_per_idea=50)
        self.session_id, self.prompts = ws.id, ws.prompts
        self.sim = [wk.join(ws.id, f"Sim {n:02d}").id for n in range(participants)]
        for n, pid in enumerate(self.sim):
            for k in range(2):
                wk.add_idea(ws.id, pid, f"Idea {n}-{k}: shared device graph for linked accounts", ws.prompts[k % 2])
        self.links = [f"?p={wk.participant_token(ws.id, wk.join(ws.id, f'Browser {n}').id)}" for n in range(browsers)]
        wk.set_phase(ws.id, "group", self.fran)
        self.stop = threading.Event()
        self.voting = threading.Event()

    def ideas(self) -> list[int]:
        return [c.id for c in self.wk.load_board(self.session_id).ideas]

    def simulate(self) -> None:
        """The simulated participants' writes: an idea now and then, votes while the vote phase is on."""
        rng = random.Random(7)
        ideas = self.ideas()
        while not self.stop.is_set():
            pid = rng.choice(self.sim)
            try:
                if self.voting.is_set():
                    self.wk.cast_vote(self.session_id, pid, rng.choice(ideas))
            except Exception:  # noqa: BLE001 - a limit or a phase that just moved: the next write goes on
                pass
            time.sleep(0.3)

    def votes(self) -> int:
        return sum(t.votes for t in self.wk.tally(self.session_id))


async def measure(base: str, world: World, changes: int) -> dict[str, list[float]]:
    from playwright.async_api import async_playwright

    figures: dict[str, list[float]] = {"phase": [], "votes": [], "load": []}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        pages = []
        for link in world.links:
            context = await browser.new_context(viewport={"width": 1300, "height": 900})
            page = await context.new_page()
            page.set_default_timeout(60_000)
            await page.goto(f"{base}/{link}")
            await page.wait_for_selector(IDLE, state="attached")
            pages.append(page)
        await asyncio.gather(*(p.wait_for_function(PHASE_JS, arg="Group", polling=50) for p in pages))
        simulator = threading.Thread(target=world.simulate, daemon=True)
        simulator.start()
        for n in range(changes):
            target = "vote" if n % 2 == 0 else "group"
            label = world.wk.PHASE_LABELS[target]
            world.voting.clear()
            world.wk.set_phase(world.session_id, target, world.fran, confirm_reset=True)
            committed = time.time() * 1000
            seen = await asyncio.gather(*(p.wait_for_function(PHASE_JS, arg=label, polling=50) for p in pages))
            figures["phase"] += [(await s.json_value() - committed) / 1000 for s in seen]
            if target == "vote":
                world.voting.set()
                await asyncio.sleep(3)  # votes arrive for a while (the load, not a wait on the app)
                world.voting.clear()
                await asyncio.sleep(0.4)  # let a write in flight finish before reading the tally
                total, last = world.votes(), time.time() * 1000
                fresh = await asyncio.gather(*(p.wait_for_function(VOTES_JS, arg=total, polling=100) for p in pages))
                figures["votes"] += [max(0.0, (await f.json_value() - last) / 1000) for f in fresh]
        for _ in range(3):
            context = await browser.new_context(viewport={"width": 1300, "height": 900})
            page = await context.new_page()
            started = time.perf_counter()
            await page.goto(f"{base}/{world.links[0]}")
            await page.wait_for_selector(IDLE, state="attached")
            await page.wait_for_function(PHASE_JS, arg=world.wk.PHASE_LABELS["group"], polling=50)
            figures["load"].append(time.perf_counter() - started)
            await context.close()
        world.stop.set()
        figures["cpu"] = [await quiet_cpu(base, len(pages))]
        await browser.close()
    return figures


async def quiet_cpu(base: str, browsers: int) -> float:
    """The server's CPU seconds per browser per second of wall time over 10 s with no writes (pure refresh)."""
    port = base.rsplit(":", 1)[1]
    pid = next(p.name for p in Path("/proc").iterdir() if p.name.isdigit() and _serves(p, port))
    before = _cpu_seconds(pid)
    await asyncio.sleep(10)
    return (_cpu_seconds(pid) - before) / 10 / browsers


def _serves(proc: Path, port: str) -> bool:
    try:
        args = (proc / "cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"--server.port" in args and port.encode() in args


def _cpu_seconds(pid: str) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def run_one(label: str, tree: Path, args) -> dict[str, list[float]]:
    """Measure the app served from `tree` (its code and its `.streamlit/config.toml`)."""
    world = World(args.participants, args.browsers)
    with serve(world.home, world.env, launcher=(str(tree / "serve.py"),), cwd=tree) as base:
        figures = asyncio.run(measure(base, world, args.changes))
    print(f"\n{label}: {args.browsers} browsers, {args.participants} simulated participants, "
          f"{args.changes} phase changes")
    print(f"  phase visible  p50 {statistics.median(figures['phase']):.2f} s  "
          f"p95 {percentile(figures['phase'], .95):.2f} s  max {max(figures['phase']):.2f} s  (target p95 ≤ 3 s)")
    print(f"  votes fresh    p50 {statistics.median(figures['votes']):.2f} s  max {max(figures['votes']):.2f} s"
          "  (every browser reached the database's tally)")
    print(f"  page load      median {statistics.median(figures['load']):.2f} s")
    print(f"  server CPU     {figures['cpu'][0] * 100:.1f} % of a core per browser (quiet board)")
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--browsers", type=int, default=6)
    ap.add_argument("--participants", type=int, default=40)
    ap.add_argument("--changes", type=int, default=10)
    ap.add_argument("--baseline-ref", help="a git ref to serve as the baseline, e.g. HEAD~1")
    args = ap.parse_args()
    current = run_one("this tree", ROOT, args)
    if args.baseline_ref:
        tree = Path(tempfile.mkdtemp(prefix="rm-bench-baseline-")) / "tree"
        subprocess.run(["git", "worktree", "add", "--detach", "-q", str(tree), args.baseline_ref], cwd=ROOT,
                       check=True)
        try:
            base = run_one(f"baseline {args.baseline_ref}", tree, args)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
        for key, name in (("phase", "phase visible p95"), ("votes", "votes fresh max")):
            pick = (lambda v: percentile(v, .95)) if key == "phase" else max
            print(f"  {name}: {pick(current[key]):.2f} s vs {pick(base[key]):.2f} s baseline "
                  f"({pick(base[key]) / max(pick(current[key]), 1e-3):.1f}× faster)")
        print(f"  server CPU per browser: {current['cpu'][0] * 100:.1f} % vs {base['cpu'][0] * 100:.1f} % baseline")


if __name__ == "__main__":
    main()
