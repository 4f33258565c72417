"""`python -m rm_core demo …`: seed the demo world, or say which one this workbench holds."""
from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    demo = subparsers.add_parser("demo", help="the demo world (seed it into an empty workbench)")
    sub = demo.add_subparsers(dest="demo_command", metavar="SUBCOMMAND")
    sub.required = True

    seed = sub.add_parser("seed", help="fill an empty workbench with the deterministic demo world")
    seed.add_argument("--scale", choices=("small", "default", "large"), default="default",
                      help="hit log size: small ~50k hits (tests), default ~2M, large ~10M")
    seed.add_argument("--seed", type=int, default=7, help="random seed; the same seed gives the same world (7)")
    seed.add_argument("--force", action="store_true",
                      help="replace a previous demo world that nobody has edited (never other data)")
    seed.add_argument("--if-empty", action="store_true",
                      help="seed only when the workbench holds no records; otherwise say so and succeed "
                           "(what `make run` does on every start)")
    seed.set_defaults(func=_seed)

    status = sub.add_parser("status", help="say whether this workbench holds a demo world, and which")
    status.set_defaults(func=_status)


def _seed(args: argparse.Namespace) -> int:
    from rm_core.demo.world import seed_demo
    from rm_core.settings import get_settings
    from rm_core.store.migrate import upgrade

    settings = get_settings()
    upgrade(settings)
    if args.if_empty:
        from rm_core.demo.world import existing_records

        records = existing_records(settings)
        if records:
            print(f"{settings.home} already holds data ({', '.join(f'{n:,} {t}' for t, n in records.items())}); "
                  "not seeding.")
            return 0

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction:4.0%}] {message}", file=sys.stderr)

    actor = None
    if args.force:  # replacing a world is the admin's call; seeding an empty workbench loses nothing
        from rm_core.cli import cli_actor

        actor = cli_actor()
    summary = seed_demo(settings, scale=args.scale, seed=args.seed, progress=progress, force=args.force,
                        actor=actor)
    print(f"Seeded the {summary.scale} demo world (seed {summary.seed}, dated to {summary.anchor}) "
          f"in {summary.seconds:.1f} s into {settings.home}")
    for table, rows in summary.counts.items():
        print(f"  {table:<18} {rows:>10,}")
    print(f"  hit log: {summary.hit_log_path}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from rm_core.demo.world import existing_records, seeded_world
    from rm_core.settings import get_settings
    from rm_core.store.migrate import upgrade

    settings = get_settings()
    upgrade(settings)
    facts = seeded_world(settings)
    records = existing_records(settings)
    if facts:
        print(f"Demo world: scale {facts.get('scale')}, seed {facts.get('seed')}, dated to {facts.get('anchor')}")
    else:
        print("No demo world was seeded here.")
    print("Records: " + (", ".join(f"{n:,} {name}" for name, n in records.items()) or "none"))
    return 0
