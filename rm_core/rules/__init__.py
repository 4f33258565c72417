"""Rules: hit log loading, the retirement what-if engine, overlap, shadow catches and recommendations.

Pages and scripts import from here; `whatif` is the single evaluation path every surface shares.
"""
from rm_core.rules.criteria import rules_matching
from rm_core.rules.hitlog import LABELS, HitLog, load_hit_log
from rm_core.rules.recommend import Recommendation, recommend_retirement
from rm_core.rules.synth import synth_hit_log, write_synth_hit_log
from rm_core.rules.whatif import (IMPACT_FIELDS, RULE_STATS_FIELDS, PreparedHits, RetirementImpact, catches_of,
                                  detector_whatif, only_this_model, threshold_curve,
                                  flagged_counts, load_prepared, lost_catches, overlap_matrix, prepare_hits,
                                  recall_loss_budget, retire_whatif, rule_stats, shadow_catches,
                                  who_else_catches, window_label)

__all__ = [
    "IMPACT_FIELDS", "LABELS", "RULE_STATS_FIELDS", "HitLog", "PreparedHits", "Recommendation", "RetirementImpact",
    "catches_of", "detector_whatif", "only_this_model", "threshold_curve", "flagged_counts", "load_hit_log", "load_prepared", "lost_catches", "overlap_matrix",
    "prepare_hits", "recall_loss_budget", "recommend_retirement", "retire_whatif", "rule_stats", "rules_matching",
    "shadow_catches", "synth_hit_log", "who_else_catches", "window_label", "write_synth_hit_log",
]
