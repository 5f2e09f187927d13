"""The reports' schedule: which slot is due (``queue_due_reports``, the scheduler's part).

A quiet tick (no slot due) reads one index entry per kind and loads nothing else of the
reports: the model (pydantic), the renderers (jinja2) and the sending are imported only
when a slot is due, so a quiet ``dipaudit tick`` from cron loads no pydantic. The slot's
rules are ``core.reports.sending``'s (its docstring); this module only decides when.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..clock import from_iso, iso
from ..context import Context
from ..read_models import ScheduledReport
from ..store import reports as q
from .periods import KINDS, Period, latest_slot, slot_period, slots_between

if TYPE_CHECKING:
    from datetime import datetime

    from ..config import ReportSettings


def due_period(rs: ReportSettings, kind: str, slot: datetime, *, last: str | None,
               begun: str | None = None) -> Period:
    """What the report sent at ``slot`` covers. The SMT report gives the findings since
    the previous one (``last``, the slot of the last one sent on schedule): after
    downtime the one report sent covers the periods of the slots it superseded too, so
    every audit reaches exactly one SMT report (periods are half-open). The first one
    sent covers the slot before its own and, when the database was in use before that
    (``begun``: its first event; the scheduler started late), everything since then.
    The weekly report is the last complete week (the weeks before it are in its trend)."""
    period = slot_period(rs, kind, slot)
    if kind != "smt":
        return period
    since = last or begun
    if not since:
        return period
    return Period(min(from_iso(since), period.start), period.end, period.slot)


def queue_due_reports(ctx: Context) -> list[ScheduledReport]:
    """The scheduler's part: for each kind, queue the latest slot that has come unless
    it is stored already (a quiet tick reads one index entry per kind). Returns, per
    report queued: kind, slot, report_id, recipients, skipped (superseded slots); and
    ``error`` instead when a council's report template is broken (nothing is stored, so
    the slot goes out once it is fixed)."""
    rs = ctx.settings.reports
    if not rs.scheduled:
        return []
    now = ctx.now()
    done = []
    for kind in KINDS:
        slot = latest_slot(rs, kind, now)
        slot_iso = iso(slot)
        last = q.last_scheduled_slot(ctx.store, kind)
        if last and last >= slot_iso:
            continue  # sent already (or a later one was: never send an older slot)
        begun = None
        if not last:
            begun = q.first_event_at(ctx.store)
            if not begun or slot_iso < begun:
                continue  # no slot before the database's first use is sent
        skipped = slots_between(rs, kind, from_iso(last), slot) if last else []
        from .build import compose_report  # a slot is due: the report's model, renderers and outbox
        from .render import ReportTemplateProblem
        from .sending import _store_and_queue

        report = compose_report(ctx, kind, due_period(rs, kind, slot, last=last, begun=begun))
        try:
            rid = _store_and_queue(ctx, report, trigger="schedule", skipped=skipped)
        except ReportTemplateProblem as exc:
            # A council's broken template: nothing is stored, so the slot is sent once it
            # is fixed; the rest of the tick goes on.
            done.append(ScheduledReport(kind=kind, slot=slot_iso, error=str(exc)))
            continue
        if rid is not None:
            stored = q.get_report(ctx.store, rid)
            done.append(ScheduledReport(kind=kind, slot=slot_iso, report_id=rid,
                                        recipients=stored["recipients"], skipped=[iso(s) for s in skipped]))
    return done
