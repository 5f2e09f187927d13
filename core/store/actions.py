"""Recommended actions (an audit's, filled with the checklist) and their PDT reviews."""

from __future__ import annotations

import json
from typing import NamedTuple

from .database import Reader, Tx

# An action as the follow-up sees it: with its audit's child, team and people, the
# review due (the action's own, else the audit's) and its last review.
_FOLLOW_UP = """
    SELECT ac.action_id, ac.audit_id, a.child_id, a.team, a.worker, a.manager, a.auditor,
           ac.owner, ac.owner_role, ac.description, ac.due, ac.status,
           COALESCE(ac.review_due_at, a.review_due_at) AS review_due, a.status AS audit_status,
           (SELECT json_object('at', r.at, 'by', r.by, 'outcome', r.outcome, 'new_due', r.new_due, 'note', r.note)
              FROM action_reviews r WHERE r.action_id = ac.action_id ORDER BY r.review_id DESC LIMIT 1)
             AS last_review
      FROM actions ac JOIN audits a ON a.audit_id = ac.audit_id
     WHERE a.status != 'draft'
"""


def _decoded(row: dict) -> dict:
    row["last_review"] = json.loads(row["last_review"]) if row["last_review"] else None
    return row


# --- an audit's actions -------------------------------------------------------------------
def of_audit(r: Reader, audit_id: int) -> list[dict]:
    """An audit's actions in their order."""
    return r.query("SELECT * FROM actions WHERE audit_id = ? ORDER BY position, action_id", [audit_id])


def insert(tx: Tx, *, audit_id: int, position: int, owner_role: str, owner: str | None,
           description: str, due: str | None, review_due_at: str | None) -> int:
    cur = tx.execute(
        "INSERT INTO actions (audit_id, position, owner_role, owner, description, due,"
        " status, review_due_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)",
        [audit_id, position, owner_role, owner, description, due, review_due_at, tx.at, tx.at])
    return cur.lastrowid


def update(tx: Tx, action_id: int, *, position: int, owner_role: str, owner: str | None,
           description: str, due: str | None) -> None:
    tx.execute("UPDATE actions SET position = ?, owner_role = ?, owner = ?, description = ?,"
               " due = ?, updated_at = ? WHERE action_id = ?",
               [position, owner_role, owner, description, due, tx.at, action_id])


def delete(tx: Tx, action_id: int) -> None:
    tx.execute("DELETE FROM actions WHERE action_id = ?", [action_id])


def reviewed(r: Reader, action_id: int) -> bool:
    """Whether the PDT has reviewed the action (a reviewed action is never removed)."""
    return bool(r.scalar("SELECT 1 FROM action_reviews WHERE action_id = ?", [action_id]))


def set_review_due(tx: Tx, audit_id: int, review_due_at: str) -> None:
    """On submit: every action of the audit falls due for review then."""
    tx.execute("UPDATE actions SET review_due_at = ?, updated_at = ? WHERE audit_id = ?",
               [review_due_at, tx.at, audit_id])


def count_open(r: Reader, audit_id: int) -> int:
    return r.scalar("SELECT COUNT(*) FROM actions WHERE audit_id = ? AND status = 'open'", [audit_id])


# --- the follow-up ----------------------------------------------------------------------
def follow_up(r: Reader, *, include_closed: bool = False, audit_id: int | None = None,
              action_id: int | None = None) -> list[dict]:
    """Actions of submitted audits (open ones unless ``include_closed``), ``last_review`` decoded."""
    sql, params = _FOLLOW_UP, []
    if not include_closed:
        sql += " AND ac.status = 'open'"
    if audit_id is not None:
        sql += " AND ac.audit_id = ?"
        params.append(audit_id)
    if action_id is not None:
        sql += " AND ac.action_id = ?"
        params.append(action_id)
    return [_decoded(row) for row in r.query(sql, params)]


class ReminderRow(NamedTuple):
    """What a reminder says, as ``reminders_due`` reads it."""

    action_id: int
    audit_id: int
    child_id: str
    owner: str
    owner_role: str
    description: str
    due: str


def reminders_due(r: Reader, *, due_by: str, today: str) -> list[ReminderRow]:
    """Open, owned actions due on or before ``due_by`` whose reminder (or, past ``today``,
    overdue notice) for that due date is not marked sent (``notified``, m008). An owner who
    has left is not reminded (their actions wait in ``dipaudit people`` to be reassigned).
    Actions sent their overdue notice for this due date are not read at all
    (``actions_to_notify``), so the overdue actions of years past cost a quiet tick
    nothing; one marked sent its reminder for this due date is left out until it falls
    overdue, whatever form its key took (an older dipaudit still running across the
    upgrade to m012 writes the old one). The outbox is not looked in here: the mark is
    written with the notice, and the notice's idempotency key, inserted under the write
    lock, is what decides whether one is queued (``send_reminders``): a reader's look
    beforehand was a second probe of the key index per action, and could not see a notice
    queued after it. Only what a reminder says is read (``ReminderRow``): not the
    follow-up's last review, which a catch-up over thousands would pay for."""
    return [ReminderRow._make(row) for row in r.rows(
        "SELECT ac.action_id, ac.audit_id, a.child_id, ac.owner, ac.owner_role, ac.description, ac.due"
        "  FROM actions ac INDEXED BY actions_to_notify JOIN audits a ON a.audit_id = ac.audit_id"
        " WHERE a.status != 'draft'"
        " AND ac.status = 'open' AND ac.owner IS NOT NULL AND ac.due <= ?"
        " AND ac.notified IS NOT ('overdue:' || ac.due)"  # actions_to_notify (m008)
        # marked reminded for this due date, and not overdue yet: the mark is the proof, as the key is
        " AND NOT (ac.due >= ? AND ac.notified IS ('reminder:' || ac.due))"
        # the leavers read once (a list), not looked up for each action
        " AND ac.owner NOT IN (SELECT login FROM people WHERE active = 0 AND login IS NOT NULL)"
        " ORDER BY ac.due, ac.action_id", [due_by, today])]


def status_of(r: Reader, action_id: int) -> str | None:
    return r.scalar("SELECT status FROM actions WHERE action_id = ?", [action_id])


def insert_review(tx: Tx, action_id: int, *, outcome: str, new_due: str | None, note: str | None) -> None:
    """A PDT review by the transaction's user."""
    tx.execute("INSERT INTO action_reviews (action_id, at, by, outcome, new_due, note) VALUES (?, ?, ?, ?, ?, ?)",
               [action_id, tx.at, tx.actor, outcome, new_due, note])


def set_new_due(tx: Tx, action_id: int, *, due: str, review_due_at: str) -> None:
    tx.execute("UPDATE actions SET due = ?, review_due_at = ?, updated_at = ? WHERE action_id = ?",
               [due, review_due_at, tx.at, action_id])


def set_status(tx: Tx, action_id: int, status: str) -> None:
    tx.execute("UPDATE actions SET status = ?, updated_at = ? WHERE action_id = ?", [status, tx.at, action_id])


def set_owner(tx: Tx, action_id: int, owner: str) -> None:
    tx.execute("UPDATE actions SET owner = ?, updated_at = ? WHERE action_id = ?", [owner, tx.at, action_id])


def mark_review_flagged(tx: Tx, audit_id: int) -> None:
    """The audit's review alert has gone: its open actions leave the tick's index."""
    tx.execute("UPDATE actions SET review_flagged_at = ? WHERE audit_id = ? AND review_flagged_at IS NULL",
               [tx.at, audit_id])


def mark_review_flagged_many(tx: Tx, audit_ids) -> None:
    """``mark_review_flagged`` for each audit, in one statement (the scheduler's batch: up to
    ``TICK_BATCH`` ids)."""
    ids = list(audit_ids)
    if ids:
        tx.execute("UPDATE actions SET review_flagged_at = ? WHERE audit_id IN"
                   f" ({','.join('?' * len(ids))}) AND review_flagged_at IS NULL", [tx.at, *ids])


def mark_notified(tx: Tx, action_id: int, notice: str) -> None:
    """The notice ('reminder:DATE' or 'overdue:DATE') queued for the action's due date."""
    tx.execute("UPDATE actions SET notified = ? WHERE action_id = ?", [notice, action_id])


def mark_notified_many(tx: Tx, items) -> None:
    """``mark_notified`` for each ``(action_id, notice)``: one statement per notice (a
    catch-up's thousands share a few: 'reminder:DATE', 'overdue:DATE'), up to 500 ids each."""
    by_notice: dict[str, list[int]] = {}
    for action_id, notice in dict(items).items():  # an action named twice: its last notice
        by_notice.setdefault(notice, []).append(action_id)
    for notice, ids in by_notice.items():
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            tx.execute(f"UPDATE actions SET notified = ? WHERE action_id IN ({','.join('?' * len(part))})",
                       [notice, *part])
