"""After submission: comments, queries, finalisation and addenda (design.md "After submission").

The child's worker and supervising manager may comment for ``comment_window_hours``
(72) after submission; an auditor may record a reply they received by email on
their behalf. A comment marked a *query* opens (audit status 'queried') and
pauses finalisation until the audit's auditor resolves it.

Finalisation: with no open query, the audit finalises by itself at exactly
submitted_at + the window, by 'system', even when the scheduler runs late. The
window is real elapsed time (UTC arithmetic), so across the end of British Summer
Time it ends 72 real hours later and the London wall clock shows an hour less.
An audit whose query was resolved after that deadline is finalised by its auditor.
A finalised audit is read-only: a correction is an addendum.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .clock import from_iso, iso, show
from .context import Context
from .errors import NotFound, PermissionDenied, StateError
from .people import display_name, require_role
from .store import Tx

SYSTEM = "system"
# The scheduler changes this many items per transaction: short enough that people saving
# at the same moment barely wait, long enough that a catch-up run is not one commit per item.
TICK_BATCH = 200
IN_WINDOW = ("submitted", "queried")


# --- the window -------------------------------------------------------------------
def comment_window(ctx: Context) -> timedelta:
    return timedelta(hours=ctx.settings.workflow.comment_window_hours)


def window_closes_at(ctx: Context, audit: dict) -> datetime | None:
    """submitted_at + the comment window, in real elapsed time (UTC arithmetic)."""
    submitted = from_iso(audit.get("submitted_at"))
    return submitted + comment_window(ctx) if submitted else None


def _audit(ctx: Context, audit_id: int) -> dict:
    row = ctx.store.one("SELECT * FROM audits WHERE audit_id = ?", [audit_id])
    if not row:
        raise NotFound(f"no audit {audit_id}")
    return row


def _open_queries(ctx: Context, audit_id: int) -> int:
    return ctx.store.scalar(
        "SELECT COUNT(*) FROM comments WHERE audit_id = ? AND is_query = 1 AND status = 'open'", [audit_id])


def _late_resolution(ctx: Context, audit: dict) -> bool:
    """A query resolved after the deadline takes the audit out of automatic finalisation."""
    deadline = window_closes_at(ctx, audit)
    return bool(ctx.store.scalar(
        "SELECT 1 FROM comments WHERE audit_id = ? AND is_query = 1 AND resolved_at > ? LIMIT 1",
        [audit["audit_id"], iso(deadline)]))


def needs_manual_finalise(ctx: Context, audit_id: int) -> bool:
    """True when the window has closed, no query is open, and a query was resolved late:
    the auditor finalises it (``finalise_audit``)."""
    audit = _audit(ctx, audit_id)
    return (audit["status"] == "submitted" and ctx.now() >= window_closes_at(ctx, audit)
            and _late_resolution(ctx, audit))




# --- comments ---------------------------------------------------------------------
def list_comments(ctx: Context, audit_id: int) -> list[dict]:
    """An audit's comments in the order they were made."""
    _audit(ctx, audit_id)
    return ctx.store.query("SELECT * FROM comments WHERE audit_id = ? ORDER BY created_at, comment_id",
                           [audit_id])


def get_comment(ctx: Context, comment_id: int) -> dict:
    row = ctx.store.one("SELECT * FROM comments WHERE comment_id = ?", [comment_id])
    if not row:
        raise NotFound(f"no comment {comment_id}")
    return row


def add_comment(ctx: Context, audit_id: int, text: str, *, query: bool = False,
                on_behalf_of: str | None = None) -> dict:
    """A comment (or a query) on a submitted audit, within the comment window.

    By the audit's worker or supervising manager, or by an auditor recording a reply
    from one of them (``on_behalf_of``). After the window closes, comments are taken
    only while a query holds the audit open. A query sets the audit 'queried', which
    pauses finalisation. The auditor is alerted.
    """
    text = (text or "").strip()
    if not text:
        raise StateError("a comment needs some text")
    audit = _audit(ctx, audit_id)
    team = {login for login in (audit["worker"], audit["manager"]) if login}
    if on_behalf_of:
        require_role(ctx, "auditor", doing="record a comment on someone's behalf")
        if on_behalf_of not in team:
            raise PermissionDenied(
                f"{on_behalf_of} is not the worker or supervising manager of audit {audit_id};"
                " comments come from them only")
        author = on_behalf_of
    else:
        if ctx.user not in team:
            raise PermissionDenied(
                f"{ctx.user} may not comment on audit {audit_id}: only its worker or supervising manager"
                " (an auditor records their reply with on-behalf-of)")
        author = ctx.user
    with ctx.tx() as tx:
        fresh = _fetch(tx, "SELECT * FROM audits WHERE audit_id = ?", [audit_id])
        _require_commentable(ctx, tx, fresh)
        status = "open" if query else "noted"
        cur = tx.execute(
            "INSERT INTO comments (audit_id, author, recorded_by, text, is_query, status, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [audit_id, author, ctx.user, text, 1 if query else 0, status, tx.at])
        cid = cur.lastrowid
        if query and fresh["status"] != "queried":
            tx.execute("UPDATE audits SET status = 'queried', updated_at = ?, updated_by = ? WHERE audit_id = ?",
                       [tx.at, ctx.user, audit_id])
            tx.event("audit", audit_id, "queried", before={"status": fresh["status"]},
                     after={"status": "queried", "comment_id": cid})
        tx.event("comment", cid, "query_raised" if query else "added", after={
            "audit_id": audit_id, "author": author, "recorded_by": ctx.user, "text": text, "is_query": query})
        tx.outbox(fresh["auditor"], "comment_added", {
            "audit_id": audit_id, "child_id": fresh["child_id"], "comment_id": cid, "author": author,
            "author_name": display_name(ctx, author), "recorded_by": ctx.user, "text": text, "is_query": query,
        }, f"comment:{cid}:added", recipient_role="auditor", entity="comment", entity_id=cid)
    return get_comment(ctx, cid)


def _require_commentable(ctx: Context, tx: Tx, audit: dict) -> None:
    aid = audit["audit_id"]
    if audit["status"] == "draft":
        raise StateError(f"audit {aid} is not submitted yet: nothing to comment on")
    if audit["status"] == "finalised":
        raise StateError(f"audit {aid} is finalised: the comment window has closed")
    closes = window_closes_at(ctx, audit)
    if tx.now >= closes and audit["status"] != "queried":
        raise StateError(f"the comment window for audit {aid} closed at {show(closes)}")


def resolve_comment(ctx: Context, comment_id: int, text: str) -> dict:
    """The audit's auditor answers a comment or resolves a query.

    When no open query remains the audit returns to 'submitted': it finalises
    automatically at the deadline if the last query was resolved before it, else
    the auditor finalises it. The commenter is alerted of the answer.
    """
    text = (text or "").strip()
    if not text:
        raise StateError("resolving a comment needs the answer, in words")
    comment = get_comment(ctx, comment_id)
    audit = _audit(ctx, comment["audit_id"])
    if ctx.user != audit["auditor"]:
        raise PermissionDenied(
            f"{ctx.user} may not resolve comment {comment_id}: only the audit's auditor ({audit['auditor']})")
    with ctx.tx() as tx:
        fresh = _fetch(tx, "SELECT * FROM comments WHERE comment_id = ?", [comment_id])
        if fresh["status"] == "resolved":
            raise StateError(f"comment {comment_id} is already resolved")
        a = _fetch(tx, "SELECT * FROM audits WHERE audit_id = ?", [comment["audit_id"]])
        if a["status"] == "finalised":
            raise StateError(f"audit {a['audit_id']} is finalised; add an addendum instead")
        tx.execute("UPDATE comments SET status = 'resolved', resolved_at = ?, resolved_by = ?, resolution = ?"
                   " WHERE comment_id = ?", [tx.at, ctx.user, text, comment_id])
        tx.event("comment", comment_id, "resolved", before={"status": fresh["status"]},
                 after={"status": "resolved", "resolution": text})
        still_open = tx.execute("SELECT COUNT(*) FROM comments WHERE audit_id = ? AND is_query = 1"
                                " AND status = 'open'", [a["audit_id"]]).fetchone()[0]
        if a["status"] == "queried" and not still_open:
            tx.execute("UPDATE audits SET status = 'submitted', updated_at = ?, updated_by = ? WHERE audit_id = ?",
                       [tx.at, ctx.user, a["audit_id"]])
            late = tx.now > window_closes_at(ctx, a)
            tx.event("audit", a["audit_id"], "queries_resolved", before={"status": "queried"},
                     after={"status": "submitted", "finalise": "by the auditor" if late else "automatically"})
        tx.outbox(fresh["author"], "comment_resolved", {
            "audit_id": a["audit_id"], "child_id": a["child_id"], "comment_id": comment_id,
            "text": fresh["text"], "is_query": bool(fresh["is_query"]), "resolution": text,
            "resolved_by": ctx.user, "resolved_by_name": display_name(ctx, ctx.user),
        }, f"comment:{comment_id}:resolved", entity="comment", entity_id=comment_id)
    return get_comment(ctx, comment_id)


# --- finalisation -------------------------------------------------------------------
def _finalise_within(ctx: Context, tx: Tx, audit: dict, *, at: str, by: str) -> None:
    tx.execute("UPDATE audits SET status = 'finalised', finalised_at = ?, finalised_by = ?,"
               " version = version + 1, updated_at = ?, updated_by = ? WHERE audit_id = ?",
               [at, by, tx.at, by, audit["audit_id"]])
    tx.event("audit", audit["audit_id"], "finalised", before={"status": audit["status"]},
             after={"status": "finalised", "finalised_at": at, "finalised_by": by}, actor=by)
    payload = {"audit_id": audit["audit_id"], "child_id": audit["child_id"], "finalised_at": at,
               "finalised_by": by}
    for login, role in ((audit["worker"], "worker"), (audit["manager"], "manager")):
        if login:
            tx.outbox(login, "audit_finalised", payload, f"audit:{audit['audit_id']}:finalised:{login}",
                      recipient_role=role, entity="audit", entity_id=audit["audit_id"])


def finalise_due(ctx: Context) -> list[int]:
    """The scheduler's part: finalise every audit whose window has closed with no open
    query and no late-resolved query, at its deadline (not at the time tick runs)."""
    # Stored times are UTC, so the deadline is 72 real hours on, whatever the clocks in London do.
    cutoff = iso(ctx.now() - comment_window(ctx))
    candidates = ctx.store.query(
        "SELECT audit_id FROM audits WHERE status = 'submitted' AND submitted_at <= ? ORDER BY submitted_at",
        [cutoff])
    done = []
    for start in range(0, len(candidates), TICK_BATCH):
        with ctx.tx() as tx:
            for cand in candidates[start:start + TICK_BATCH]:
                audit = _fetch(tx, "SELECT * FROM audits WHERE audit_id = ? AND status = 'submitted'",
                               [cand["audit_id"]])
                if audit is None:
                    continue  # finalised or queried meanwhile (another tick, a new query)
                deadline = window_closes_at(ctx, audit)
                if tx.now < deadline or _late_resolution(ctx, audit):
                    continue
                _finalise_within(ctx, tx, audit, at=iso(deadline), by=SYSTEM)
                done.append(audit["audit_id"])
    return done


def finalise_audit(ctx: Context, audit_id: int) -> dict:
    """The audit's auditor finalises an audit whose query was resolved after the deadline.

    Refused while a query is open or while the window runs. Where the automatic rule
    applies (no late-resolved query) the audit is finalised as the rule says: at the
    deadline, by 'system'.
    """
    audit = _audit(ctx, audit_id)
    if ctx.user != audit["auditor"]:
        raise PermissionDenied(f"{ctx.user} may not finalise audit {audit_id}: only its auditor ({audit['auditor']})")
    with ctx.tx() as tx:
        audit = _fetch(tx, "SELECT * FROM audits WHERE audit_id = ?", [audit_id])
        if audit["status"] == "finalised":
            raise StateError(f"audit {audit_id} is already finalised ({show(audit['finalised_at'])})")
        if audit["status"] == "draft":
            raise StateError(f"audit {audit_id} is not submitted yet")
        if audit["status"] == "queried":
            raise StateError(f"audit {audit_id} has an open query: resolve it before finalising")
        deadline = window_closes_at(ctx, audit)
        if tx.now < deadline:
            raise StateError(f"the comment window for audit {audit_id} runs until {show(deadline)};"
                             " it finalises by itself then unless queried")
        if _late_resolution(ctx, audit):
            _finalise_within(ctx, tx, audit, at=tx.at, by=ctx.user)
        else:
            _finalise_within(ctx, tx, audit, at=iso(deadline), by=SYSTEM)
    return _audit(ctx, audit_id)


# --- addenda ----------------------------------------------------------------------
def list_addenda(ctx: Context, audit_id: int) -> list[dict]:
    return ctx.store.query("SELECT * FROM addenda WHERE audit_id = ? ORDER BY created_at, addendum_id",
                           [audit_id])


def add_addendum(ctx: Context, audit_id: int, text: str) -> dict:
    """A correction to a finalised audit: the audit stays as it was; the addendum is added (auditors)."""
    require_role(ctx, "auditor", doing="add an addendum")
    text = (text or "").strip()
    if not text:
        raise StateError("an addendum needs some text")
    audit = _audit(ctx, audit_id)
    if audit["status"] != "finalised":
        raise StateError(f"audit {audit_id} is {audit['status']}, not finalised: amend it instead")
    with ctx.tx() as tx:
        cur = tx.execute("INSERT INTO addenda (audit_id, text, created_at, created_by) VALUES (?, ?, ?, ?)",
                         [audit_id, text, tx.at, ctx.user])
        tx.event("audit", audit_id, "addendum", after={"addendum_id": cur.lastrowid, "text": text})
        aid = cur.lastrowid
    return ctx.store.one("SELECT * FROM addenda WHERE addendum_id = ?", [aid])


def _fetch(tx: Tx, sql: str, params: list) -> dict | None:
    cur = tx.execute(sql, params)
    values = cur.fetchone()
    return dict(zip([c[0] for c in cur.description], values, strict=True)) if values else None

