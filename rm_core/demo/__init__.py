"""The deterministic demo world: what a new workbench shows on first start (`seed_demo`)."""
from rm_core.demo.world import DEMO_ANCHOR, SCALES, SeedSummary, existing_records, seed_demo, seeded_world

__all__ = ["DEMO_ANCHOR", "SCALES", "SeedSummary", "existing_records", "seed_demo", "seeded_world"]
