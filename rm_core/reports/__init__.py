"""Reports the workbench writes itself: the weekly flash report (Markdown, HTML, PDF)."""
from __future__ import annotations

from rm_core.reports.flash import (ActionItem, FlashReport, MetricRow, Move, build_flash, flash_for_week,
                                   flash_html, flash_markdown, flash_pdf, highlights_and_lowlights, open_items,
                                   render_flash, scope_text)

__all__ = ["ActionItem", "FlashReport", "MetricRow", "Move", "build_flash", "flash_for_week", "flash_html",
           "flash_markdown", "flash_pdf", "highlights_and_lowlights", "open_items", "render_flash", "scope_text"]
