"""Finalising an audit after its comment window, and correcting a finalised one.

With no open query, an audit finalises by itself at exactly submitted_at + the window,
by 'system', even when the scheduler runs late. An audit whose query was resolved
after that deadline is finalised by its auditor. A finalised audit is read-only: a
correction is an addendum.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..clock import from_iso, iso, show
from ..context import Context, in_batches
from ..errors import PermissionDenied, StateError
from ..people import require_role
from ..store import Reader, Tx, audits, comments
from ..store.events import Encoded, quote
from ..store.outbox import tick_key
from ..vocabulary import SYSTEM
from .window import comment_window, window_closes_at

if TYPE_CHECKING:  # pydantic, loaded where an audit is shown (never by a quiet tick)
    from ..models import Addendum
    from .record import Audit


def _resolved_late(r: Reader, audit: dict, deadline: datetime) -> bool:
    """A query resolved after the deadline takes the audit out of automatic finalisation."""
    return comments.query_resolved_after(r, audit["audit_id"], iso(deadline))


def needs_manual_finalise(ctx: Context, audit_id: int) -> bool:
    """True when the window has closed, no query is open, and a query was resolved late:
    the auditor finalises it (``finalise_audit``)."""
    audit = audits.need(ctx.store, audit_id)
    if audit["status"] != "submitted":
        return False
    deadline = window_closes_at(ctx.settings, audit["submitted_at"])
    return ctx.now() >= deadline and _resolved_late(ctx.store, audit, deadline)


# What a finalised audit's event says it was before (one object: the bulk write encodes it once).
_WAS_SUBMITTED = {"status": "submitted"}


def _finalised(audit_id: int, child_id: str, worker: str | None, manager: str | None, status: str, *,
               at: str, by: str) -> tuple[tuple, list[tuple]]:
    """What finalising writes besides the status: the event, and the worker and manager
    told (outbox rows, one payload object between them), as ``Tx.events_many`` and
    ``Tx.outbox_many`` take them. The after and the payload are their JSON text made here
    (``events.Encoded``: a catch-up writes thousands), the dicts' ``as_json``."""
    if type(audit_id) is int and type(child_id) is str and type(at) is str and type(by) is str:
        at_by = f'"finalised_at": {quote(at)}, "finalised_by": {quote(by)}'
        after = Encoded(f'{{{at_by}, "status": "finalised"}}')
        payload = Encoded(f'{{"audit_id": {audit_id}, "child_id": {quote(child_id)}, {at_by}}}')
    else:  # as stored whatever the types (``as_json`` of the dicts the texts above spell out)
        after = {"status": "finalised", "finalised_at": at, "finalised_by": by}
        payload = {"audit_id": audit_id, "child_id": child_id, "finalised_at": at, "finalised_by": by}
    event = ("audit", audit_id, "finalised", _WAS_SUBMITTED if status == "submitted" else {"status": status},
             after, by)
    notices = [(login, "audit_finalised", payload, tick_key("audit", audit_id, "finalised", login), role, "audit", audit_id)
               for login, role in ((worker, "worker"), (manager, "manager")) if login]
    return event, notices


def _finalise(tx: Tx, audit: dict, *, at: str, by: str) -> None:
    """Finalise inside the open transaction: the status, the event, and the worker and
    manager told (outbox)."""
    _finalise_many(tx, [(audit["audit_id"], audit["child_id"], audit["worker"], audit["manager"],
                         audit["status"], at, by)])


def _finalise_many(tx: Tx, items: list[tuple]) -> None:
    """``_finalise`` for each ``(audit_id, child_id, worker, manager, status, at, by)``, in
    this order, with one write per table."""
    audits.mark_finalised_many(tx, [(item[0], at, by) for *item, at, by in items])
    evs, notices = [], []
    for audit_id, child_id, worker, manager, status, at, by in items:
        event, rows = _finalised(audit_id, child_id, worker, manager, status, at=at, by=by)
        evs.append(event)
        notices += rows
    tx.events_many(evs)
    tx.outbox_many(notices)


def _deadline_iso(submitted_at: str, window: timedelta) -> str:
    """``iso(window_closes_at(settings, submitted_at))`` for a stored submission time
    (whole seconds, UTC: ``YYYY-MM-DDTHH:MM:SSZ``), worked out on the naive UTC time (no
    time zone to look up or convert: UTC has no clock changes), and ``isoformat`` costs a
    fraction of ``strftime``; a catch-up works out thousands. Any other form goes the long
    way. ``tests/test_tick_batched.py`` holds it to ``iso``."""
    if len(submitted_at) == 20 and submitted_at[19] == "Z" and not window.microseconds:
        closes = datetime.fromisoformat(submitted_at[:19]) + window
        if not closes.microsecond and not closes.tzinfo and closes.year >= 1000:
            return closes.isoformat() + "Z"
    closes = from_iso(submitted_at) + window
    if closes.microsecond or closes.utcoffset():
        return iso(closes)
    return closes.replace(tzinfo=None).isoformat() + "Z"


def finalise_due(ctx: Context) -> list[int]:
    """The scheduler's part: finalise every audit whose window has closed with no open
    query and no late-resolved query, at its deadline (not at the time tick runs).
    Each batch is re-read inside its transaction (status, queries resolved), so an audit
    queried or finalised meanwhile is left as it is."""
    # Stored times are UTC, so the deadline is 72 real hours on, whatever the clocks in London do.
    window = comment_window(ctx.settings)
    candidates = audits.submitted_by(ctx.store, iso(ctx.now() - window))
    done = []
    for batch in in_batches(candidates):
        with ctx.tx(batch=True) as tx:
            # Still 'submitted': one finalised or queried meanwhile (another tick, a new query) is left out.
            rows = audits.finalise_facts(tx, batch)
            resolved = comments.last_query_resolved(tx, batch)
            now, due = tx.at, []
            for audit_id, submitted_at, child_id, worker, manager in rows:
                at = _deadline_iso(submitted_at, window)
                if now < at or resolved.get(audit_id, "") > at:
                    continue  # a query resolved after the deadline: the auditor finalises it
                due.append((audit_id, child_id, worker, manager, "submitted", at, SYSTEM))
            _finalise_many(tx, due)
            done += [item[0] for item in due]
    return done


def finalise_audit(ctx: Context, audit_id: int) -> Audit:
    """The audit's auditor finalises an audit whose query was resolved after the deadline.

    Refused while a query is open or while the window runs. Where the automatic rule
    applies (no late-resolved query) the audit is finalised as the rule says: at the
    deadline, by 'system'.
    """
    from .record import get_audit

    audit = audits.need(ctx.store, audit_id)
    if ctx.user != audit["auditor"]:
        raise PermissionDenied(f"{ctx.user} may not finalise audit {audit_id}: only its auditor ({audit['auditor']})")
    with ctx.tx() as tx:
        audit = audits.get(tx, audit_id)
        if audit["status"] == "finalised":
            raise StateError(f"audit {audit_id} is already finalised ({show(audit['finalised_at'])})")
        if audit["status"] == "draft":
            raise StateError(f"audit {audit_id} is not submitted yet")
        if audit["status"] == "queried":
            raise StateError(f"audit {audit_id} has an open query: resolve it before finalising")
        deadline = window_closes_at(ctx.settings, audit["submitted_at"])
        if tx.now < deadline:
            raise StateError(f"the comment window for audit {audit_id} runs until {show(deadline)};"
                             " it finalises by itself then unless queried")
        if _resolved_late(tx, audit, deadline):
            _finalise(tx, audit, at=tx.at, by=ctx.user)
        else:
            _finalise(tx, audit, at=iso(deadline), by=SYSTEM)
    return get_audit(ctx, audit_id)


# --- addenda ----------------------------------------------------------------------
def list_addenda(ctx: Context, audit_id: int) -> list[Addendum]:
    """A finalised audit's corrections, in the order they were added."""
    from ..models import Addendum

    return [Addendum.from_row(r) for r in audits.addenda(ctx.store, audit_id)]


def add_addendum(ctx: Context, audit_id: int, text: str) -> Addendum:
    """A correction to a finalised audit: the audit stays as it was; the addendum is added (auditors)."""
    from ..models import Addendum

    require_role(ctx, "auditor", doing="add an addendum")
    text = (text or "").strip()
    if not text:
        raise StateError("an addendum needs some text")
    audit = audits.need(ctx.store, audit_id)
    if audit["status"] != "finalised":
        raise StateError(f"audit {audit_id} is {audit['status']}, not finalised: amend it instead")
    with ctx.tx() as tx:
        addendum_id = audits.insert_addendum(tx, audit_id, text, by=ctx.user)
        tx.event("audit", audit_id, "addendum", after={"addendum_id": addendum_id, "text": text})
    return Addendum.from_row(audits.get_addendum(ctx.store, addendum_id))
