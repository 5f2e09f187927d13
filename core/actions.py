"""Recommended actions after submission and the PDT review (design.md "After submission").

Each submitted audit's actions fall due for review ``review_after_days`` (14)
after submission (``review_due_at``, set at submit). The Practice Development
Team records per action: completed, not completed (with a new due date: the
action stays open and is reviewed again on that date) or no longer needed.
An open action past its due date is overdue. Owners are reminded
``reminder_days_before_due`` days before the due date and once when overdue.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from .clock import iso, parse_when, today
from .comments import TICK_BATCH
from .context import Context
from .errors import NotFound, StateError
from .people import require_role
from .workdays import add_working_days

OUTCOMES = ("completed", "not_completed", "not_needed")
OUTCOME_LABELS = {"completed": "Completed", "not_completed": "Not completed", "not_needed": "No longer needed"}
SYSTEM = "system"

_SELECT = """
    SELECT ac.action_id, ac.audit_id, a.child_id, a.team, a.worker, a.manager, a.auditor,
           ac.owner, ac.owner_role, ac.description, ac.due, ac.status,
           COALESCE(ac.review_due_at, a.review_due_at) AS review_due, a.status AS audit_status,
           (SELECT json_object('at', r.at, 'by', r.by, 'outcome', r.outcome, 'new_due', r.new_due, 'note', r.note)
              FROM action_reviews r WHERE r.action_id = ac.action_id ORDER BY r.review_id DESC LIMIT 1)
             AS last_review
      FROM actions ac JOIN audits a ON a.audit_id = ac.audit_id
     WHERE a.status != 'draft'
"""


def _decorate(row: dict, now_iso: str, day: str) -> dict:
    is_open = row["status"] == "open"
    row["overdue"] = bool(is_open and row["due"] and row["due"] < day)
    row["review_is_due"] = bool(is_open and row["review_due"] and row["review_due"] <= now_iso)
    row["last_review"] = json.loads(row["last_review"]) if row["last_review"] else None
    return row


def list_actions(ctx: Context, *, due_only: bool = False, include_closed: bool = False,
                 audit_id: int | None = None) -> list[dict]:
    """Actions of submitted audits: reviews due first, then overdue, then by due date.

    ``due_only``: open actions whose review is due or which are overdue.
    Closed (reviewed completed / not needed) actions only with ``include_closed``.
    """
    sql, params = _SELECT, []
    if not include_closed:
        sql += " AND ac.status = 'open'"
    if audit_id is not None:
        sql += " AND ac.audit_id = ?"
        params.append(audit_id)
    now_iso, day = iso(ctx.now()), today(ctx.clock).isoformat()
    rows = [_decorate(r, now_iso, day) for r in ctx.store.query(sql, params)]
    if due_only:
        rows = [r for r in rows if r["review_is_due"] or r["overdue"]]
    rows.sort(key=lambda r: (not r["review_is_due"], not r["overdue"], r["status"] != "open",
                             r["due"] or "9999", r["action_id"]))
    return rows


def get_action(ctx: Context, action_id: int) -> dict:
    row = ctx.store.one(_SELECT + " AND ac.action_id = ?", [action_id])
    if not row:
        raise NotFound(f"no action {action_id} on a submitted audit")
    return _decorate(row, iso(ctx.now()), today(ctx.clock).isoformat())


def suggest_new_due(ctx: Context) -> date:
    """A realistic new due date for an action not completed: working days from today."""
    wf = ctx.settings.workflow
    return add_working_days(today(ctx.clock), wf.action_due_working_days, wf.bank_holiday_region)


def _as_date(value: date | str | None, what: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise StateError(f"{what} '{value}' is not a date (YYYY-MM-DD)") from exc


def review_action(ctx: Context, action_id: int, outcome: str, *, new_due: date | str | None = None,
                  note: str | None = None) -> dict:
    """The PDT review of one action (PDT role only).

    completed / not_needed close the action. not_completed needs a new due date
    after today: the action stays open, due then, and its next review falls on
    that date; its owner is told the new date.
    """
    require_role(ctx, "pdt", doing="record an action review")
    if outcome not in OUTCOMES:
        raise StateError(f"outcome must be one of {', '.join(OUTCOMES)}, not '{outcome}'")
    due = _as_date(new_due, "new due date")
    day = today(ctx.clock)
    if outcome == "not_completed":
        if due is None:
            raise StateError("not_completed needs a new due date (after today)")
        if due <= day:
            raise StateError(f"the new due date {due} must be after today ({day})")
    elif due is not None:
        raise StateError(f"a new due date goes with not_completed only, not {outcome}")
    action = get_action(ctx, action_id)
    with ctx.tx() as tx:
        status = tx.execute("SELECT status FROM actions WHERE action_id = ?", [action_id]).fetchone()[0]
        if status != "open":
            raise StateError(f"action {action_id} was already reviewed: {OUTCOME_LABELS.get(status, status)}")
        tx.execute("INSERT INTO action_reviews (action_id, at, by, outcome, new_due, note) VALUES (?, ?, ?, ?, ?, ?)",
                   [action_id, tx.at, ctx.user, outcome, due.isoformat() if due else None, note])
        if outcome == "not_completed":
            next_review = iso(parse_when(due.isoformat()))  # 09:00 London on the new due date
            tx.execute("UPDATE actions SET due = ?, review_due_at = ?, updated_at = ? WHERE action_id = ?",
                       [due.isoformat(), next_review, tx.at, action_id])
            after = {"status": "open", "due": due.isoformat(), "review_due_at": next_review}
            if action["owner"]:
                tx.outbox(action["owner"], "action_new_due", {
                    "action_id": action_id, "audit_id": action["audit_id"], "child_id": action["child_id"],
                    "description": action["description"], "due": due.isoformat(), "note": note,
                }, f"action:{action_id}:new_due:{due.isoformat()}", recipient_role=action["owner_role"],
                    entity="action", entity_id=action_id)
        else:
            tx.execute("UPDATE actions SET status = ?, updated_at = ? WHERE action_id = ?",
                       [outcome, tx.at, action_id])
            after = {"status": outcome}
        tx.event("action", action_id, "reviewed",
                 before={"status": "open", "due": action["due"]},
                 after={**after, "outcome": outcome, "note": note})
    return get_action(ctx, action_id)


# --- the scheduler's parts --------------------------------------------------------
def flag_reviews_due(ctx: Context) -> list[int]:
    """Audits whose action review has fallen due, with open actions: every PDT member is
    alerted, once per audit (an 'review_due' event marks it done)."""
    now = iso(ctx.now())
    rows = ctx.store.query(
        "SELECT a.audit_id FROM audits a WHERE a.status != 'draft' AND a.review_due_at <= ?"
        " AND EXISTS (SELECT 1 FROM actions ac WHERE ac.audit_id = a.audit_id AND ac.status = 'open')"
        " AND NOT EXISTS (SELECT 1 FROM events e WHERE e.entity = 'audit'"
        "                 AND e.entity_id = CAST(a.audit_id AS TEXT) AND e.action = 'review_due')"
        " ORDER BY a.review_due_at", [now])
    pdt = [r["login"] for r in ctx.store.query(
        "SELECT login FROM people WHERE active = 1 AND EXISTS"
        " (SELECT 1 FROM json_each(people.roles) WHERE value = 'pdt') ORDER BY login")]
    flagged = []
    for start in range(0, len(rows), TICK_BATCH):
        with ctx.tx() as tx:
            for row in rows[start:start + TICK_BATCH]:
                aid = row["audit_id"]
                if tx.execute("SELECT 1 FROM events WHERE entity = 'audit' AND entity_id = ?"
                              " AND action = 'review_due'", [str(aid)]).fetchone():
                    continue  # another tick flagged it first
                audit = dict(zip(("child_id", "team", "review_due_at"), tx.execute(
                    "SELECT child_id, team, review_due_at FROM audits WHERE audit_id = ?", [aid]).fetchone(),
                    strict=True))
                n_open = tx.execute("SELECT COUNT(*) FROM actions WHERE audit_id = ? AND status = 'open'",
                                    [aid]).fetchone()[0]
                tx.event("audit", aid, "review_due", after={"review_due_at": audit["review_due_at"],
                                                            "open_actions": n_open, "alerted": pdt}, actor=SYSTEM)
                for login in pdt:
                    tx.outbox(login, "review_due", {"audit_id": aid, **audit, "open_actions": n_open},
                              f"audit:{aid}:review_due:{login}", recipient_role="pdt", entity="audit",
                              entity_id=aid)
                flagged.append(aid)
    return flagged


def send_reminders(ctx: Context) -> list[dict]:
    """Remind owners of open actions ``reminder_days_before_due`` days before the due date,
    and once when overdue; once each per action per due date (idempotency keys)."""
    day = today(ctx.clock)
    soon = (day + timedelta(days=ctx.settings.workflow.reminder_days_before_due)).isoformat()
    # Skip, in SQL, what was already sent, so a quiet tick over many overdue actions stays cheap.
    rows = ctx.store.query(
        _SELECT + " AND ac.status = 'open' AND ac.owner IS NOT NULL AND ac.due <= ?"
        " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.idempotency_key = 'action:' || ac.action_id"
        "   || CASE WHEN ac.due < ? THEN ':overdue:' ELSE ':reminder:' END || ac.due)"
        " ORDER BY ac.due, ac.action_id", [soon, day.isoformat()])
    sent = []
    for start in range(0, len(rows), TICK_BATCH):
        with ctx.tx() as tx:
            for row in rows[start:start + TICK_BATCH]:
                kind = "overdue" if row["due"] < day.isoformat() else "reminder"
                new = tx.outbox(row["owner"], f"action_{kind}", {
                    "action_id": row["action_id"], "audit_id": row["audit_id"], "child_id": row["child_id"],
                    "description": row["description"], "due": row["due"],
                }, f"action:{row['action_id']}:{kind}:{row['due']}", recipient_role=row["owner_role"],
                    entity="action", entity_id=row["action_id"])
                if new:  # another tick may have sent it a moment ago
                    tx.event("action", row["action_id"], kind, after={"due": row["due"], "owner": row["owner"]},
                             actor=SYSTEM)
                    sent.append({"action_id": row["action_id"], "kind": kind, "owner": row["owner"],
                                 "due": row["due"]})
    return sent
