"""Recommended actions after submission and the PDT review (design.md "After submission").

Each submitted audit's actions fall due for review ``review_after_days`` (14)
after submission (``review_due_at``, set at submit). The Practice Development
Team records per action: completed, not completed (with a new due date: the
action stays open and is reviewed again on that date) or no longer needed.
An open action past its due date is overdue. Owners are reminded
``reminder_days_before_due`` days before the due date and once when overdue.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from .clock import iso, parse_when, today
from .context import Context, in_batches
from .errors import NotFound, StateError
from .people import require_colleague, require_role
from .read_models import Reminder
from .store import actions, audits, events, people
from .store.events import Encoded, quote
from .store.outbox import tick_key
from .vocabulary import ACTION_STATUS_LABELS, OUTCOMES, SYSTEM
from .workdays import suggest_due

if TYPE_CHECKING:
    from .models import ActionForReview


def _for_review(row: dict, now_iso: str, day: str) -> ActionForReview:
    """The row with ``overdue`` (open, past its due date) and ``review_is_due``."""
    from .models import ActionForReview  # pydantic: where actions are shown, never in a quiet tick

    is_open = row["status"] == "open"
    return ActionForReview.from_row(row | {
        "overdue": bool(is_open and row["due"] and row["due"] < day),
        "review_is_due": bool(is_open and row["review_due"] and row["review_due"] <= now_iso)})


def list_actions(ctx: Context, *, due_only: bool = False, include_closed: bool = False,
                 audit_id: int | None = None) -> list[ActionForReview]:
    """Actions of submitted audits: reviews due first, then overdue, then by due date.

    ``due_only``: open actions whose review is due or which are overdue.
    Closed (reviewed completed / not needed) actions only with ``include_closed``.
    """
    now_iso, day = iso(ctx.now()), today(ctx.clock).isoformat()
    rows = [_for_review(r, now_iso, day)
            for r in actions.follow_up(ctx.store, include_closed=include_closed, audit_id=audit_id)]
    if due_only:
        rows = [r for r in rows if r.review_is_due or r.overdue]
    rows.sort(key=lambda r: (not r.review_is_due, not r.overdue, r.status != "open",
                             r.due or "9999", r.action_id))
    return rows


def get_action(ctx: Context, action_id: int) -> ActionForReview:
    rows = actions.follow_up(ctx.store, include_closed=True, action_id=action_id)
    if not rows:
        raise NotFound(f"no action {action_id} on a submitted audit")
    return _for_review(rows[0], iso(ctx.now()), today(ctx.clock).isoformat())


def suggest_new_due(ctx: Context) -> date:
    """A realistic new due date for an action not completed: working days from today."""
    return suggest_due(today(ctx.clock), ctx.settings)


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
                  note: str | None = None) -> ActionForReview:
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
        status = actions.status_of(tx, action_id)
        if status != "open":
            raise StateError(f"action {action_id} was already reviewed: {ACTION_STATUS_LABELS.get(status, status)}")
        actions.insert_review(tx, action_id, outcome=outcome, new_due=due.isoformat() if due else None,
                              note=note)
        if outcome == "not_completed":
            next_review = iso(parse_when(due.isoformat()))  # 09:00 London on the new due date
            actions.set_new_due(tx, action_id, due=due.isoformat(), review_due_at=next_review)
            after = {"status": "open", "due": due.isoformat(), "review_due_at": next_review}
            if action.owner:
                tx.outbox(action.owner, "action_new_due", {
                    "action_id": action_id, "audit_id": action.audit_id, "child_id": action.child_id,
                    "description": action.description, "due": due.isoformat(), "note": note,
                }, f"action:{action_id}:new_due:{due.isoformat()}", recipient_role=action.owner_role,
                    entity="action", entity_id=action_id)
        else:
            actions.set_status(tx, action_id, outcome)
            after = {"status": outcome}
        tx.event("action", action_id, "reviewed",
                 before={"status": "open", "due": action.due},
                 after={**after, "outcome": outcome, "note": note})
    return get_action(ctx, action_id)


def reassign(ctx: Context, action_id: int, to: str) -> ActionForReview:
    """Give an open action to another owner (admins only): a leaver's, or a mover's. ``to``
    must still be here and hold the action's owner role (worker or manager); they are told
    (outbox ``action_reassigned``), and the reminders follow the action to them."""
    require_role(ctx, "admin", doing="reassign an action")
    action = get_action(ctx, action_id)
    require_colleague(ctx, to, action.owner_role, doing="reassign an action")
    with ctx.tx() as tx:
        if actions.status_of(tx, action_id) != "open":
            raise StateError(f"action {action_id} is closed ({ACTION_STATUS_LABELS.get(action.status, action.status)});"
                             " only an open action can be reassigned")
        if action.owner == to:
            raise StateError(f"action {action_id} is already {to}'s")
        actions.set_owner(tx, action_id, to)
        tx.outbox(to, "action_reassigned", {
            "action_id": action_id, "audit_id": action.audit_id, "child_id": action.child_id,
            "description": action.description, "due": action.due, "previous_owner": action.owner,
        }, f"action:{action_id}:reassigned:{to}:{tx.at}", recipient_role=action.owner_role,
            entity="action", entity_id=action_id)
        tx.event("action", action_id, "reassigned", before={"owner": action.owner},
                 after={"owner": to, "owner_role": action.owner_role})
    return get_action(ctx, action_id)


# --- the scheduler's parts --------------------------------------------------------
# What the scheduler writes by the thousand, as the JSON text ``events.as_json`` makes of
# each dict, made here from quoted parts (``events.Encoded``) when the values are of the
# types stored; otherwise the dict itself, for the writer to encode.
# ``tests/test_tick_batched.py`` holds each to ``as_json`` of its dict.
def _review_due_texts(audit_id, child_id, team, review_due_at, open_actions: int, pdt: list,
                      alerted: str | None) -> tuple:
    """A PDT review alert's event after and notice payload (``alerted``: ``pdt`` encoded, or
    None when it is not all text)."""
    if (alerted is not None and type(audit_id) is int and type(open_actions) is int and type(child_id) is str
            and type(review_due_at) is str and (team is None or type(team) is str)):
        due_at = quote(review_due_at)
        return (Encoded(f'{{"alerted": {alerted}, "open_actions": {open_actions}, "review_due_at": {due_at}}}'),
                Encoded(f'{{"audit_id": {audit_id}, "child_id": {quote(child_id)}, "open_actions": {open_actions},'
                        f' "review_due_at": {due_at}, "team": {"null" if team is None else quote(team)}}}'))
    return ({"review_due_at": review_due_at, "open_actions": open_actions, "alerted": pdt},
            {"audit_id": audit_id, "child_id": child_id, "team": team, "review_due_at": review_due_at,
             "open_actions": open_actions})


def _reminder_payload(action_id, audit_id, child_id, description, due):
    """A reminder's (or overdue notice's) payload."""
    if (type(action_id) is int and type(audit_id) is int and type(child_id) is str and type(description) is str
            and type(due) is str):
        return Encoded(f'{{"action_id": {action_id}, "audit_id": {audit_id}, "child_id": {quote(child_id)},'
                       f' "description": {quote(description)}, "due": {quote(due)}}}')
    return {"action_id": action_id, "audit_id": audit_id, "child_id": child_id, "description": description,
            "due": due}


def _reminded(due, owner):
    """A reminder's (or overdue notice's) event after."""
    if type(due) is str and type(owner) is str:
        return Encoded(f'{{"due": {quote(due)}, "owner": {quote(owner)}}}')
    return {"due": due, "owner": owner}


def flag_reviews_due(ctx: Context) -> list[int]:
    """Audits whose action review has fallen due, with open actions: every PDT member is
    alerted, once per audit (an 'review_due' event marks it done). Each batch is written
    in one transaction that first re-reads which of its audits another tick has flagged."""
    due = audits.review_due_unflagged(ctx.store, iso(ctx.now()))
    pdt = people.active_with_role(ctx.store, "pdt")
    alerted = events.as_json(pdt) if all(type(login) is str for login in pdt) else None
    flagged = []
    for batch in in_batches(due):
        with ctx.tx(batch=True) as tx:
            facts = audits.review_alerts_due(tx, batch)  # another tick flagged the others first
            todo = [aid for aid in batch if aid in facts]
            evs, notices = [], []
            for aid in todo:
                child_id, team, review_due_at, n = facts[aid]
                after, payload = _review_due_texts(aid, child_id, team, review_due_at, n, pdt, alerted)
                evs.append(("audit", aid, "review_due", None, after, SYSTEM))
                # one payload object: encoded once for all
                notices += [(login, "review_due", payload, tick_key("audit", aid, "review_due", login), "pdt", "audit", aid)
                            for login in pdt]
            tx.events_many(evs)
            tx.outbox_many(notices)
            actions.mark_review_flagged_many(tx, batch)
            flagged += todo
    return flagged


def send_reminders(ctx: Context) -> list[Reminder]:
    """Remind owners of open actions ``reminder_days_before_due`` days before the due date,
    and once when overdue; once each per action per due date (idempotency keys: a notice
    another tick queued a moment ago is neither queued nor recorded again, nor marked)."""
    day = today(ctx.clock)
    soon = (day + timedelta(days=ctx.settings.workflow.reminder_days_before_due)).isoformat()
    rows = actions.reminders_due(ctx.store, due_by=soon, today=day.isoformat())
    overdue_before, sent = day.isoformat(), []
    for batch in in_batches(rows):
        with ctx.tx(batch=True) as tx:
            # each row (a store.actions.ReminderRow) with its notice's kind, in one pass
            kinds, notices = [], []
            for action_id, audit_id, child_id, owner, owner_role, description, due in batch:
                kind = "overdue" if due < overdue_before else "reminder"
                kinds.append(kind)
                notices.append((owner, "action_" + kind, _reminder_payload(action_id, audit_id, child_id, description, due),
                                tick_key("action", action_id, kind, due), owner_role, "action", action_id))
            # The key decides, under the write lock: only a notice queued now is recorded and
            # its action marked (one queued before is marked already, by whoever queued it).
            fresh = [(row, kind) for row, kind, is_new in zip(batch, kinds, tx.outbox_many(notices), strict=True)
                     if is_new]
            actions.mark_notified_many(tx, [(row.action_id, f"{kind}:{row.due}") for row, kind in fresh])
            tx.events_many([("action", row.action_id, kind, None, _reminded(row.due, row.owner), SYSTEM)
                            for row, kind in fresh])
            sent += [Reminder(action_id=row.action_id, kind=kind, owner=row.owner, due=row.due)
                     for row, kind in fresh]
    return sent
