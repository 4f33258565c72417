"""Home: what is in the workbench right now, what changed lately, and where to go."""
import altair as alt
import polars as pl
import streamlit as st

from pages._ui import empty_state
from rm_core.home import workbench_summary

st.title("Risk Mining Workbench")
st.caption("Seller Account Integrity · metrics, MOs, rules, workshops, roadmap and partner requests in one place")

summary = workbench_summary()

if summary.is_empty:
    empty_state("The workbench is empty. Seed the demo world with `python -m rm_core demo seed` (or `make run`, "
                "which does it on first start), or bring your own data: import MOs on the MO search page, upload a "
                "hit log on the Rules page, or import requests, gaps and SOPs on their pages.")

cols = st.columns(5)
cols[0].metric("MOs documented", f"{summary.mos:,}", help="All MOs in the repository")
cols[1].metric("Active MOs", f"{summary.mos_active:,}")
cols[2].metric("Active rules", f"{summary.rules_active:,}", help=f"{summary.rules_total:,} rules in total")
cols[3].metric("Open requests", f"{sum(summary.open_requests_by_age.values()):,}")
cols[4].metric("Open upstream gaps", f"{summary.open_gaps:,}")

left, right = st.columns(2)
with left:
    st.subheader("Open requests by age")
    ages = pl.DataFrame({"age": list(summary.open_requests_by_age), "open": list(summary.open_requests_by_age.values())})
    chart = alt.Chart(ages.to_pandas()).mark_bar().encode(
        x=alt.X("age:N", sort=list(summary.open_requests_by_age), title="Days open"),
        y=alt.Y("open:Q", title="Open requests"),
        tooltip=["age", "open"])
    st.altair_chart(chart, width="stretch")
with right:
    st.subheader("Initiatives by status")
    if summary.initiatives_by_status:
        statuses = pl.DataFrame({"status": [s.replace("_", " ") for s in summary.initiatives_by_status],
                                 "initiatives": list(summary.initiatives_by_status.values())})
        st.dataframe(statuses, hide_index=True, width="stretch",
                     column_config={"initiatives": st.column_config.NumberColumn("Initiatives", format="%d")})
    else:
        empty_state("No initiatives yet: promote workshop ideas or add them on the Roadmap page.")

st.subheader("Go to")
from app import PAGES  # noqa: E402  (the router's list: only pages that work are linked)

link_cols = st.columns(3)
for i, (section, path, title, icon) in enumerate(p for p in PAGES if not p[1].endswith("home.py")):
    link_cols[i % 3].page_link(path, label=f"{title}" + (f" · {section}" if section else ""), icon=icon)

st.subheader("Latest changes")
if summary.recent_changes:
    st.dataframe(
        [{"when": e.at, "who": e.actor, "action": e.action, "record": f"{e.record_type} {e.record_id}",
          "fields changed": ", ".join(e.changed)} for e in summary.recent_changes],
        hide_index=True, width="stretch",
        column_config={"when": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm")})
else:
    empty_state("Nothing has changed yet. Every edit made in the workbench is listed here with who made it.")
