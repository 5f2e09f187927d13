"""Sending reports: by hand (admins) and on schedule (``dipaudit tick``), and the
stored copies of what was sent.

Every report built for sending is stored with the model as JSON, every format as
rendered then (so ``dipaudit report show`` gives it back exactly as sent, whatever
the templates say now), its recipients and a sha256 of the model. Its outbox rows
(one per recipient: the SMT report to every active person with the ``smt`` role,
the weekly report to every ``director``; templates ``report_smt`` and
``report_weekly``, entity ``report``) are written in the same transaction.

The schedule: each tick queues the latest slot of each kind that has come, unless
it is stored already (and never a slot from before the database's first use: a new
installation starts with the next slot). One report per slot (a unique index, checked again inside
the ``BEGIN IMMEDIATE`` transaction), so two ticks at once, or a tick every minute,
send a slot once. After downtime the next tick sends the latest missed slot, once;
slots superseded meanwhile are not sent late, and each is written to the event
trail (``report`` / ``slot_skipped``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..clock import iso
from ..context import Context
from ..errors import NotFound, StateError
from ..files import write_private
from ..people import require_role
from ..store import reports as q
from .build import VIEW_ROLES, compose_report
from .model import Report
from .periods import KIND_TITLES, Period, check_kind
from .render import FORMATS, format_for, period_text, render_report
from .schedule import queue_due_reports  # noqa: F401 - the scheduler's part, exported here too

SEND_ROLES = ("admin",)
RECIPIENT_ROLE = {"smt": "smt", "weekly": "director"}
TEMPLATES = {"smt": "report_smt", "weekly": "report_weekly"}
SYSTEM = "system"


class StoredReport(BaseModel):
    """A report as stored when it was sent (its listing; ``report`` is the model)."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    report_id: int
    kind: str
    slot: str | None = None
    from_: str = Field(alias="from")
    to: str
    generated_at: str
    generated_by: str
    trigger: str  # schedule | hand
    recipients: list[str] = Field(default_factory=list)
    content_hash: str


def _stored(row: dict) -> StoredReport:
    return StoredReport(report_id=row["report_id"], kind=row["kind"], slot=row["slot"],
                        from_=row["period_from"], to=row["period_to"], generated_at=row["generated_at"],
                        generated_by=row["generated_by"], trigger=row["trigger"],
                        recipients=row["recipients"], content_hash=row["content_hash"])


def report_recipients(ctx: Context, kind: str) -> list[dict]:
    """Who receives ``kind``: every active person with the smt (SMT report) or director
    (weekly report) role, by login (login, name, email, teams_address)."""
    return q.people_with_role(ctx.store, RECIPIENT_ROLE[check_kind(kind)])


def _nobody(kind: str) -> str:
    return (f"nobody to send the {KIND_TITLES[kind]} to: no active person has the"
            f" {RECIPIENT_ROLE[kind]} role in the people directory")


def send_recipients(ctx: Context, kind: str) -> list[dict]:
    """Who ``send_report`` would send ``kind`` to now, for a confirmation before it (the
    TUI's "Send now"): refused as ``send_report`` is (admins only, PermissionDenied),
    and a StateError when nobody has the role."""
    check_kind(kind)
    require_role(ctx, *SEND_ROLES, doing=f"send the {KIND_TITLES[kind]}")
    people = report_recipients(ctx, kind)
    if not people:
        raise StateError(_nobody(kind))
    return people


def headline(report: Report) -> dict:
    """The figures a Teams card carries: counts only, never tables or children."""
    t = report.totals
    return {
        "period": period_text(report), "generated_at": report.generated_at, "from": report.from_,
        "to": report.to, "audits": t.audits, "all_met": t.all_met, "all_met_pct": t.all_met_pct,
        "standards_met": t.standards_met, "standards_rated": t.standards_rated,
        "standards_met_pct": t.standards_met_pct, "actions_open": t.actions_open,
        "actions_overdue": t.actions_overdue, "reviews_due": t.reviews_due,
        "escalations_open": t.escalations_open, "escalations_overdue": t.escalations_overdue,
        "escalations_raised": t.escalations_raised, "teams": len(report.teams),
    }


def _store_and_queue(ctx: Context, report: Report, *, trigger: str, skipped: list[datetime] = ()
                     ) -> int | None:
    """Store ``report`` with every rendering and queue it to its recipients, in one
    transaction. None when its slot was stored meanwhile (another tick)."""
    model = render_report(report, "json")  # the stored model is the JSON format, as sent
    renders = {fmt: render_report(report, fmt) for fmt in FORMATS if fmt != "json"}
    digest = hashlib.sha256(model.encode("utf-8")).hexdigest()
    kind = report.kind
    actor = SYSTEM if trigger == "schedule" else None
    slot = report.slot if trigger == "schedule" else None  # by hand: outside the schedule
    with ctx.tx() as tx:
        if slot and q.report_for_slot(tx, kind, slot):
            return None  # another tick stored this slot first
        people = q.people_with_role(tx, RECIPIENT_ROLE[kind])
        if trigger == "hand" and not people:
            raise StateError(_nobody(kind))
        logins = [p["login"] for p in people]
        rid = q.insert_report(tx, {
            "kind": kind, "slot": slot, "period_from": report.from_, "period_to": report.to,
            "generated_at": report.generated_at, "generated_by": actor or ctx.user, "trigger": trigger,
            "recipients": logins, "content_hash": digest, "model": model, "renders": renders,
        })
        payload = {"report_id": rid, "kind": kind, "title": report.title, "council": report.council,
                   **headline(report)}
        for login in logins:
            key = f"report:{kind}:{slot}:{login}" if slot else f"report:{rid}:{login}"
            tx.outbox(login, TEMPLATES[kind], payload, key, recipient_role=RECIPIENT_ROLE[kind],
                      entity="report", entity_id=rid)
        for s in skipped:
            tx.event("report", None, "slot_skipped", after={
                "kind": kind, "slot": iso(s), "superseded_by": slot,
                "reason": "a later slot came before this one was sent"}, actor=actor)
        tx.event("report", rid, "queued" if logins else "no_recipients", after={
            "kind": kind, "slot": slot, "from": report.from_, "to": report.to, "trigger": trigger,
            "recipients": logins, "content_hash": digest}, actor=actor)
    return rid


def send_report(ctx: Context, kind: str, period: Period | None = None) -> StoredReport:
    """Build the report of ``kind`` for ``period`` (default: what ``report`` shows now),
    store it and queue it to its recipients (admins only). Returns the stored report."""
    send_recipients(ctx, kind)  # the same refusals the TUI's confirmation gives
    report = compose_report(ctx, kind, period)
    rid = _store_and_queue(ctx, report, trigger="hand")
    return get_stored(ctx, rid)


# --- stored reports -----------------------------------------------------------------
def list_stored(ctx: Context, *, kind: str | None = None, limit: int = 100) -> list[StoredReport]:
    """Reports built for sending, newest first (``dipaudit reports``)."""
    require_role(ctx, *VIEW_ROLES, doing="see the reports sent")
    if kind:
        check_kind(kind)
    return [_stored(r) for r in q.list_reports(ctx.store, kind=kind, limit=limit)]


def _row(ctx: Context, report_id: int) -> dict:
    row = q.get_report(ctx.store, report_id)
    if row is None:
        raise NotFound(f"no stored report {report_id} (see dipaudit reports)")
    return row


def get_stored(ctx: Context, report_id: int) -> StoredReport:
    require_role(ctx, *VIEW_ROLES, doing="see the reports sent")
    return _stored(_row(ctx, report_id))


def stored_model(ctx: Context, report_id: int) -> Report:
    """The model of a stored report, as it was sent."""
    require_role(ctx, *VIEW_ROLES, doing="see the reports sent")
    return Report.model_validate_json(_row(ctx, report_id)["model"])


def show_stored(ctx: Context, report_id: int, fmt: str = "txt") -> str:
    """A stored report in ``fmt`` exactly as it was sent (rendered then, not now)."""
    require_role(ctx, *VIEW_ROLES, doing="see the reports sent")
    fmt = format_for(None, fmt)
    row = _row(ctx, report_id)
    text = row["model"] if fmt == "json" else row["renders"].get(fmt)
    if text is None:  # stored before this format existed: rendered from the stored model
        text = render_report(Report.model_validate_json(row["model"]), fmt)
    return text


def sent_message(ctx: Context, report_id: int) -> dict:
    """What delivery attaches to a report message: the stored html, txt and csv and a
    file name for the csv. No role check: delivery runs as the scheduler."""
    row = _row(ctx, report_id)
    date = row["period_from"][:10]
    return {"html": row["renders"].get("html"), "txt": row["renders"].get("txt"),
            "csv": row["renders"].get("csv"), "csv_name": f"dipaudit-{row['kind']}-report-{date}.csv"}


def write_report_file(ctx: Context, path: str | Path, text: str) -> Path:
    """Write a rendered report to ``path``: private, atomic, never through a symbolic
    link or onto the database (an InputError naming the path otherwise)."""
    db = Path(ctx.store.path)
    inputs = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    return write_private(path, text, inputs=inputs)


def export_report(ctx: Context, report: Report, path: str | Path, fmt: str | None = None) -> Path:
    """Write ``report`` to ``path`` in ``fmt`` (default: from the extension, else txt)."""
    return write_report_file(ctx, path, render_report(report, format_for(path, fmt)))


__all__ = ["RECIPIENT_ROLE", "SEND_ROLES", "StoredReport", "export_report", "get_stored", "headline",
           "list_stored", "queue_due_reports", "report_recipients", "send_recipients", "send_report", "sent_message",
           "show_stored", "stored_model", "write_report_file"]
