"""Requests and escalations, upstream gaps and SOPs: intake to closure, SLA and ageing, and the feedback loop.

The public face pages and scripts import from; see each module for the details.
"""
from rm_core.trackers.gaps import (GapDetail, GapRecord, add_gap_evidence, get_gap, link_initiative, move_gap,
                                   quantify_gap, record_gap, record_measured_impact, reject_gap)
from rm_core.trackers.importing import ImportResult, import_gaps, import_requests, import_sops
from rm_core.trackers.requests import (RequestDetail, RequestRecord, assign_request, file_request, get_request,
                                       link_request, move_request)
from rm_core.trackers.sla import SlaTable, ageing_bucket, load_sla_table, sla_colour
from rm_core.trackers.sops import SOPRecord, plan_rollout, register_sop, revise_sop, set_rollout

__all__ = [
    "GapDetail", "GapRecord", "ImportResult", "RequestDetail", "RequestRecord", "SOPRecord", "SlaTable",
    "add_gap_evidence", "ageing_bucket", "assign_request", "file_request", "get_gap", "get_request",
    "import_gaps", "import_requests", "import_sops", "link_initiative", "link_request", "load_sla_table",
    "move_gap", "move_request", "plan_rollout", "quantify_gap", "record_gap", "record_measured_impact",
    "register_sop", "reject_gap", "revise_sop", "set_rollout", "sla_colour",
]
