"""Reports (design.md "Reports"): the SMT report on Tuesdays and Thursdays, the weekly
report to the directors, in every format, sent on schedule or by hand.

- ``model``: the pydantic ``Report`` every format is rendered from.
- ``periods``: periods ``[start, end)`` and slots in London time.
- ``build``: ``build_report(ctx, kind, period)``, from the store's aggregate queries
  (``core.store.reports``).
- ``render``: ``render_report(report, fmt)`` for txt, md, html (jinja2 templates a
  council can override), csv and json.
- ``sending``: ``send_report`` (admins, by hand), ``queue_due_reports`` (tick), the
  stored copies (``list_stored``, ``show_stored``) and ``export_report`` (--out).
"""

from .build import VIEW_ROLES, build_report, child_label, compose_report
from .model import Report
from .periods import (
    KIND_TITLES,
    KINDS,
    Period,
    default_period,
    latest_slot,
    next_slot,
    parse_period,
    previous_slot,
    slot_period,
)
from .render import FORMATS, ReportTemplateProblem, format_for, render_report
from .sending import (
    RECIPIENT_ROLE,
    SEND_ROLES,
    StoredReport,
    export_report,
    get_stored,
    headline,
    list_stored,
    queue_due_reports,
    report_recipients,
    send_recipients,
    send_report,
    sent_message,
    show_stored,
    stored_model,
    write_report_file,
)

__all__ = [
    "FORMATS", "KIND_TITLES", "KINDS", "RECIPIENT_ROLE", "SEND_ROLES", "VIEW_ROLES", "Period", "Report", "ReportTemplateProblem",
    "StoredReport", "build_report", "child_label", "compose_report", "default_period", "export_report",
    "format_for", "get_stored", "headline", "latest_slot", "list_stored", "next_slot", "parse_period",
    "previous_slot", "queue_due_reports", "render_report", "report_recipients", "send_recipients", "send_report",
    "sent_message", "show_stored", "slot_period", "stored_model", "write_report_file",
]
