"""Reports (design.md "Reports"): the SMT report on Tuesdays and Thursdays, the weekly
report to the directors, in every format, sent on schedule or by hand.

- ``model``: the pydantic ``Report`` every format is rendered from.
- ``periods``: periods ``[start, end)`` and slots in London time.
- ``build``: ``build_report(ctx, kind, period)``, from the store's aggregate queries
  (``core.store.reports``).
- ``render``: ``render_report(report, fmt)`` for txt, md, html (jinja2 templates a
  council can override), csv and json.
- ``sending``: ``send_report`` (admins, by hand), the stored copies (``list_stored``,
  ``show_stored``) and ``export_report`` (--out);
- ``schedule``: ``queue_due_reports`` (tick): a quiet tick loads only it and ``periods``.

Each name is imported from its module when first asked for (PEP 562), so importing one
module of the package (the scheduler's ``schedule``) loads none of the others.
"""

from ..lazy import exports

_FROM = {
    "build": ("VIEW_ROLES", "build_report", "child_label", "compose_report"),
    "model": ("Report",),
    "periods": ("KIND_TITLES", "KINDS", "Period", "default_period", "latest_slot", "next_slot", "parse_period",
                "previous_slot", "slot_period"),
    "render": ("FORMATS", "ReportTemplateProblem", "format_for", "render_report"),
    "schedule": ("queue_due_reports",),
    "sending": ("RECIPIENT_ROLE", "SEND_ROLES", "StoredReport", "export_report", "get_stored", "headline",
                "list_stored", "report_recipients", "send_recipients", "send_report", "sent_message",
                "show_stored", "stored_model", "write_report_file"),
}
__getattr__, __dir__ = exports(globals(), _FROM)


__all__ = [
    "FORMATS", "KIND_TITLES", "KINDS", "RECIPIENT_ROLE", "SEND_ROLES", "VIEW_ROLES", "Period", "Report", "ReportTemplateProblem",
    "StoredReport", "build_report", "child_label", "compose_report", "default_period", "export_report",
    "format_for", "get_stored", "headline", "latest_slot", "list_stored", "next_slot", "parse_period",
    "previous_slot", "queue_due_reports", "render_report", "report_recipients", "send_recipients", "send_report",
    "sent_message", "show_stored", "slot_period", "stored_model", "write_report_file",
]
