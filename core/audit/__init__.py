"""The audit's lifecycle: start from the queue, fill the checklist, submit, the comment
window, finalise (and correct by addendum).

- ``record``: the ``Audit`` model, ``get_audit``, ``list_audits``, ``programme_of``;
- ``start``: ``start_audit``, ``refresh_prechecks``;
- ``fill``: the ``AuditFill`` model, ``fill_audit``, ``read_fill_file``;
- ``submit``: ``submission_gaps``, ``submission_recipients``, ``submit_audit``;
- ``window``: the comment window (``window_closes_at``, ``audits_in_window``);
- ``finalise``: ``finalise_due`` (the scheduler's), ``finalise_audit``,
  ``needs_manual_finalise``, addenda.

Comments and queries in the window are ``core.comments``; escalations and the PDT
action review have their own modules.
"""

from ..lazy import exports

# Each name from the module that defines it, imported when first asked for (PEP 562): the
# scheduler's ``finalise_due`` loads ``finalise`` and ``window``, not the models of ``record``
# and ``fill`` (pydantic), so a quiet ``dipaudit tick`` loads no pydantic.
_FROM = {
    "fill": ("ActionFill", "AuditFill", "RatingFill", "fill_audit", "read_fill_file"),
    "finalise": ("add_addendum", "finalise_audit", "finalise_due", "list_addenda", "needs_manual_finalise"),
    "record": ("Action", "Audit", "AuditSummary", "ProgrammeRef", "RatingEntry", "get_audit", "list_audits",
               "programme_of", "standards_met"),
    "start": ("refresh_prechecks", "start_audit"),
    "submit": ("submission_gaps", "submission_recipients", "submit_audit"),
    "window": ("audits_in_window", "comment_window", "window_closes_at"),
}
__getattr__, __dir__ = exports(globals(), _FROM)


__all__ = [
    "Action", "ActionFill", "Audit", "AuditFill", "AuditSummary", "ProgrammeRef", "RatingEntry",
    "RatingFill", "add_addendum", "audits_in_window", "comment_window", "fill_audit",
    "finalise_audit", "finalise_due", "get_audit", "list_addenda", "list_audits",
    "needs_manual_finalise", "programme_of", "read_fill_file", "refresh_prechecks",
    "standards_met", "start_audit", "submission_gaps", "submission_recipients", "submit_audit",
    "window_closes_at",
]
