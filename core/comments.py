"""Comments and queries in the comment window (design.md "After submission").

The child's worker and supervising manager may comment for ``comment_window_hours``
(72) after submission; an auditor may record a reply they received by email on
their behalf. A comment marked a *query* opens (audit status 'queried') and
pauses finalisation until the audit's auditor resolves it. The window and
finalisation are the audit's lifecycle: ``core.audit.window``, ``core.audit.finalise``.
"""

from __future__ import annotations

from datetime import datetime

from .audit.window import window_closes_at
from .clock import iso, show
from .context import Context
from .errors import NotFound, PermissionDenied, StateError
from .models import Comment
from .people import display_name, require_role
from .store import audits, comments


def list_comments(ctx: Context, audit_id: int) -> list[Comment]:
    """An audit's comments in the order they were made."""
    audits.need(ctx.store, audit_id)
    return [Comment.from_row(r) for r in comments.of_audit(ctx.store, audit_id)]


def get_comment(ctx: Context, comment_id: int) -> Comment:
    row = comments.get(ctx.store, comment_id)
    if not row:
        raise NotFound(f"no comment {comment_id}")
    return Comment.from_row(row)


def add_comment(ctx: Context, audit_id: int, text: str, *, query: bool = False,
                on_behalf_of: str | None = None) -> Comment:
    """A comment (or a query) on a submitted audit, within the comment window.

    By the audit's worker or supervising manager, or by an auditor recording a reply
    from one of them (``on_behalf_of``). After the window closes, comments are taken
    only while a query holds the audit open. A query sets the audit 'queried', which
    pauses finalisation. The auditor is alerted.
    """
    text = (text or "").strip()
    if not text:
        raise StateError("a comment needs some text")
    audit = audits.need(ctx.store, audit_id)
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
        fresh = audits.get(tx, audit_id)
        _require_commentable(ctx, tx.now, fresh)
        cid = comments.insert(tx, audit_id=audit_id, author=author, text=text, is_query=query)
        if query and fresh["status"] != "queried":
            audits.set_status(tx, audit_id, "queried", by=ctx.user)
            tx.event("audit", audit_id, "queried", before={"status": fresh["status"]},
                     after={"status": "queried", "comment_id": cid})
        tx.event("comment", cid, "query_raised" if query else "added", after={
            "audit_id": audit_id, "author": author, "recorded_by": ctx.user, "text": text, "is_query": query})
        tx.outbox(fresh["auditor"], "comment_added", {
            "audit_id": audit_id, "child_id": fresh["child_id"], "comment_id": cid, "author": author,
            "author_name": display_name(ctx, author), "recorded_by": ctx.user, "text": text, "is_query": query,
        }, f"comment:{cid}:added", recipient_role="auditor", entity="comment", entity_id=cid)
    return get_comment(ctx, cid)


def _require_commentable(ctx: Context, now: datetime, audit: dict) -> None:
    aid = audit["audit_id"]
    if audit["status"] == "draft":
        raise StateError(f"audit {aid} is not submitted yet: nothing to comment on")
    if audit["status"] == "finalised":
        raise StateError(f"audit {aid} is finalised: the comment window has closed")
    closes = window_closes_at(ctx.settings, audit["submitted_at"])
    if now >= closes and audit["status"] != "queried":
        raise StateError(f"the comment window for audit {aid} closed at {show(closes)}")


def resolve_comment(ctx: Context, comment_id: int, text: str) -> Comment:
    """The audit's auditor answers a comment or resolves a query.

    When no open query remains the audit returns to 'submitted': it finalises
    automatically at the deadline if the last query was resolved before it, else
    the auditor finalises it. The commenter is alerted of the answer.
    """
    text = (text or "").strip()
    if not text:
        raise StateError("resolving a comment needs the answer, in words")
    comment = get_comment(ctx, comment_id)
    audit = audits.need(ctx.store, comment.audit_id)
    if ctx.user != audit["auditor"]:
        raise PermissionDenied(
            f"{ctx.user} may not resolve comment {comment_id}: only the audit's auditor ({audit['auditor']})")
    with ctx.tx() as tx:
        fresh = comments.get(tx, comment_id)
        if fresh["status"] == "resolved":
            raise StateError(f"comment {comment_id} is already resolved")
        a = audits.get(tx, comment.audit_id)
        if a["status"] == "finalised":
            raise StateError(f"audit {a['audit_id']} is finalised; add an addendum instead")
        comments.resolve(tx, comment_id, text)
        tx.event("comment", comment_id, "resolved", before={"status": fresh["status"]},
                 after={"status": "resolved", "resolution": text})
        if a["status"] == "queried" and not comments.open_queries(tx, a["audit_id"]):
            audits.set_status(tx, a["audit_id"], "submitted", by=ctx.user)
            # Late as finalisation judges it (``query_resolved_after``): by the stored time,
            # whole seconds, so 0.4 s after the deadline is at the deadline, not after it.
            late = tx.at > iso(window_closes_at(ctx.settings, a["submitted_at"]))
            tx.event("audit", a["audit_id"], "queries_resolved", before={"status": "queried"},
                     after={"status": "submitted", "finalise": "by the auditor" if late else "automatically"})
        tx.outbox(fresh["author"], "comment_resolved", {
            "audit_id": a["audit_id"], "child_id": a["child_id"], "comment_id": comment_id,
            "text": fresh["text"], "is_query": bool(fresh["is_query"]), "resolution": text,
            "resolved_by": ctx.user, "resolved_by_name": display_name(ctx, ctx.user),
        }, f"comment:{comment_id}:resolved", entity="comment", entity_id=comment_id)
    return get_comment(ctx, comment_id)
