"""Escalation of a risk of significant harm (design.md "Escalation").

Level 1 goes to the child's supervising manager, with a respond-by time (default
one working day). The auditor records whether a phone call reached them; when it
did not (or no call was made) an email alert goes out with the concern and the
respond-by time. Level 2 is the Head of Service for the team: when respond-by
passes with no recorded response (the scheduler refers it, if
``auto_refer_head_of_service``), or at once where the auditor has significant
concerns. Every step is time-stamped in ``escalation_steps``; an escalation stays
open until an auditor closes it with an outcome.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .clock import from_iso, iso, parse_when, show, span
from .context import Context
from .errors import NotFound, PermissionDenied, StateError
from .people import display_name, get_person, require_role, roles_of
from .store import Reader, Tx, audits, escalations, people
from .vocabulary import PHONED, SYSTEM
from .workdays import add_working_time

if TYPE_CHECKING:  # pydantic, loaded where escalations are shown (never by a quiet tick)
    from .models import Escalation, EscalationDetail, EscalationStep


# --- reading ----------------------------------------------------------------------
def _overdue(ctx: Context, row: dict) -> dict:
    """overdue (respond-by passed, still open, no response), seconds_over and time_over."""
    now = ctx.now()
    due = from_iso(row.get("respond_by"))
    over = int((now - due).total_seconds()) if due else 0
    overdue = bool(row["status"] == "open" and due is not None and now > due)
    return {"overdue": overdue, "seconds_over": over if overdue else 0,
            "time_over": span(over) if overdue else ""}


def _row(r: Reader, escalation_id: int) -> dict:
    row = escalations.get(r, escalation_id)
    if not row:
        raise NotFound(f"no escalation {escalation_id}")
    return row


def get_escalation(ctx: Context, escalation_id: int) -> EscalationDetail:
    """One escalation with overdue, time over and its timeline (``steps``)."""
    from .models import EscalationDetail

    row = _row(ctx.store, escalation_id)
    return EscalationDetail.from_row(row | _overdue(ctx, row)
                                     | {"steps": escalation_timeline(ctx, escalation_id)})


def list_escalations(ctx: Context, *, status: str | None = None,
                     include_closed: bool = False) -> list[Escalation]:
    """Escalations by deadline (soonest respond-by first); closed ones only when asked."""
    from .models import Escalation

    return [Escalation.from_row(r | _overdue(ctx, r))
            for r in escalations.listed(ctx.store, status=status, include_closed=include_closed)]


def escalation_timeline(ctx: Context, escalation_id: int) -> list[EscalationStep]:
    """Every step of an escalation, in order, each time-stamped."""
    from .models import EscalationStep

    return [EscalationStep.from_row(s) for s in escalations.steps(ctx.store, escalation_id)]


# --- who ------------------------------------------------------------------------
def _first_here(ctx: Context, candidates: list[str | None], what: str) -> str | None:
    """The first of ``candidates`` who has not left; StateError naming the leavers when
    every one named has left (a risk of harm never goes to someone who is not there)."""
    gone = []
    for login in dict.fromkeys(c for c in candidates if c):
        if people.has_left(ctx.store, login):
            gone.append(login)
            continue
        return login
    if gone:
        raise StateError(f"{what} {' and '.join(gone)} {'has' if len(gone) == 1 else 'have'} left;"
                         " an admin updates the people directory (dipaudit import people)")
    return None


def head_of_service_for(ctx: Context, audit: dict) -> str | None:
    """The Head of Service for the child's team: the manager's or worker's, else the team's;
    one who has left is passed over (StateError when all those named have left)."""
    named = []
    for login in (audit.get("manager"), audit.get("worker")):
        person = get_person(ctx, login) if login else None
        if person and person.get("head_of_service"):
            named.append(person["head_of_service"])
    if audit.get("team"):
        named.append(people.head_of_service_of_team(ctx.store, audit["team"]))
    return _first_here(ctx, named, "the Head of Service")


def _manager_for(ctx: Context, audit: dict) -> str | None:
    """The supervising manager: the audit's, else (or when they have left) the worker's now."""
    worker = get_person(ctx, audit["worker"]) if audit.get("worker") else None
    return _first_here(ctx, [audit.get("manager"), worker.get("manager") if worker else None],
                       "the supervising manager")


def _default_respond_by(ctx: Context, now: datetime) -> datetime:
    wf = ctx.settings.workflow
    return add_working_time(now, wf.escalation_respond_working_days, wf.bank_holiday_region)


def _payload(esc: dict, **extra) -> dict:
    out = {k: esc.get(k) for k in ("escalation_id", "audit_id", "child_id", "level", "concern",
                                    "raised_by", "raised_at", "respond_by")}
    out.update(extra)
    return out


# --- changes ------------------------------------------------------------------------
def escalate(ctx: Context, audit_id: int, concern: str, *, phoned: str | None = None,
             respond_by: datetime | str | None = None, to_hos: bool = False) -> EscalationDetail:
    """Raise a concern about risk of significant harm (auditors only).

    Goes to the supervising manager (level 1), or with ``to_hos`` at once to the
    Head of Service. ``phoned``: whether a phone call reached them (reached |
    no-answer); unless it did, an email alert with the concern and respond-by
    time is queued. ``respond_by`` defaults to one working day from now.
    """
    require_role(ctx, "auditor", doing="raise an escalation")
    concern = (concern or "").strip()
    if not concern:
        raise StateError("an escalation needs the concern, in words")
    if phoned is not None and phoned not in PHONED:
        raise StateError(f"phoned must be one of {', '.join(PHONED)}, not '{phoned}'")
    audit = audits.need(ctx.store, audit_id)
    now = ctx.now()
    if respond_by is None:
        due = _default_respond_by(ctx, now)
    else:
        try:
            due = parse_when(respond_by) if isinstance(respond_by, str) else respond_by
        except ValueError as exc:
            raise StateError(f"respond-by '{respond_by}' is not an ISO-8601 time") from exc
        if due <= now:
            raise StateError(f"respond-by {show(due)} is not in the future")
    level = "head_of_service" if to_hos else "manager"
    recipient = head_of_service_for(ctx, audit) if to_hos else _manager_for(ctx, audit)
    if not recipient:
        if to_hos:
            raise StateError(f"no Head of Service is known for audit {audit_id} (team {audit.get('team')});"
                             " add one to the people directory")
        raise StateError(f"no supervising manager is known for audit {audit_id};"
                         " escalate to the Head of Service instead (--to hos)")
    with ctx.tx() as tx:
        eid = escalations.insert(tx, audit_id=audit_id, child_id=audit["child_id"], level=level,
                                 concern=concern, recipient=recipient, phoned=phoned,
                                 respond_by=iso(due), referred=to_hos)
        esc = escalations.get(tx, eid)
        escalations.add_step(tx, eid, "raised", by=ctx.user, text=concern)
        if to_hos:
            escalations.add_step(tx, eid, "referred", by=ctx.user, recipient=recipient,
                                 text="escalated straight to the Head of Service: significant concerns")
        if phoned:
            escalations.add_step(tx, eid, "phoned", by=ctx.user, recipient=recipient,
                                 text="call reached them" if phoned == "reached" else "no answer")
        emailed = phoned != "reached"
        if emailed:
            template = "escalation_referred" if to_hos else "escalation_raised"
            tx.outbox(recipient, template,
                      _payload(esc, raised_by_name=display_name(ctx, ctx.user), automatic=False,
                               reason="the auditor has significant concerns" if to_hos else None),
                      f"escalation:{eid}:alert:{level}:{recipient}", recipient_role=level,
                      entity="escalation", entity_id=eid)
            escalations.add_step(tx, eid, "emailed", by=ctx.user, recipient=recipient,
                                 text=f"alert: respond by {show(due)}")
        tx.event("escalation", eid, "raised", after={
            "audit_id": audit_id, "level": level, "recipient": recipient, "phoned": phoned,
            "respond_by": iso(due), "emailed": emailed})
    return get_escalation(ctx, eid)


def _open_row(ctx: Context, escalation_id: int) -> dict:
    row = _row(ctx.store, escalation_id)
    if row["status"] == "closed":
        raise StateError(f"escalation {escalation_id} is closed ({row['outcome']})")
    return row


def respond(ctx: Context, escalation_id: int, text: str) -> EscalationDetail:
    """Record the response: by the person it is with now, or anyone it went to before,
    or an auditor recording a response given by phone or email."""
    text = (text or "").strip()
    if not text:
        raise StateError("a response needs some text")
    row = _open_row(ctx, escalation_id)
    addressed = {row["recipient"]} | {
        s.recipient for s in escalation_timeline(ctx, escalation_id) if s.recipient}
    if ctx.user not in addressed and "auditor" not in roles_of(ctx, ctx.user):
        raise PermissionDenied(
            f"{ctx.user} may not respond to escalation {escalation_id}: it is with {row['recipient']}"
            " (an auditor may record a response on their behalf)")
    with ctx.tx() as tx:
        if not escalations.responded(tx, escalation_id, text):
            raise StateError(f"escalation {escalation_id} was closed meanwhile")
        escalations.add_step(tx, escalation_id, "responded", by=ctx.user, text=text)
        tx.outbox(row["raised_by"], "escalation_responded",
                  _payload(row, response=text, responded_by=ctx.user, responded_by_name=display_name(ctx, ctx.user)),
                  f"escalation:{escalation_id}:responded:{tx.at}", recipient_role="auditor",
                  entity="escalation", entity_id=escalation_id)
        tx.event("escalation", escalation_id, "responded", before={"status": row["status"]},
                 after={"status": "responded", "response": text})
    return get_escalation(ctx, escalation_id)


def refer_within(ctx: Context, tx: Tx, row: dict, *, by: str, reason: str | None,
                 automatic: bool) -> str:
    """Refer to the Head of Service inside an open transaction (used by tick too).

    The escalation is open again with a fresh respond-by for the Head of Service.
    Returns the Head of Service's login; StateError when none is known.
    """
    audit = audits.get(tx, row["audit_id"])
    hos = head_of_service_for(ctx, audit)
    if not hos:
        raise StateError(f"no Head of Service is known for escalation {row['escalation_id']}"
                         f" (team {audit['team']}); add one to the people directory")
    due = _default_respond_by(ctx, tx.now)
    eid = row["escalation_id"]
    escalations.referred(tx, eid, recipient=hos, respond_by=iso(due))
    text = reason or ("no response by the respond-by time" if automatic else "referred by the auditor")
    escalations.add_step(tx, eid, "referred", by=by, recipient=hos, text=text)
    refreshed = dict(row, level="head_of_service", recipient=hos, respond_by=iso(due))
    tx.outbox(hos, "escalation_referred",
              _payload(refreshed, raised_by_name=display_name(ctx, row["raised_by"]), reason=text,
                       automatic=automatic, previous_respond_by=row["respond_by"]),
              f"escalation:{eid}:alert:head_of_service:{hos}", recipient_role="head_of_service",
              entity="escalation", entity_id=eid)
    escalations.add_step(tx, eid, "emailed", by=by, recipient=hos, text=f"alert: respond by {show(due)}")
    tx.event("escalation", eid, "referred", before={"level": row["level"], "recipient": row["recipient"]},
             after={"level": "head_of_service", "recipient": hos, "respond_by": iso(due),
                    "automatic": automatic, "reason": text}, actor=by)
    return hos


def refer_to_hos(ctx: Context, escalation_id: int, reason: str | None = None) -> EscalationDetail:
    """An auditor takes the escalation to the Head of Service (level 2), at once."""
    require_role(ctx, "auditor", doing="refer an escalation to the Head of Service")
    row = _open_row(ctx, escalation_id)
    if row["level"] == "head_of_service":
        raise StateError(f"escalation {escalation_id} is already with the Head of Service ({row['recipient']})")
    with ctx.tx() as tx:
        fresh = escalations.get(tx, escalation_id)
        if fresh["level"] == "head_of_service" or fresh["status"] == "closed":
            raise StateError(f"escalation {escalation_id} changed meanwhile; look again")
        refer_within(ctx, tx, fresh, by=ctx.user, reason=reason, automatic=False)
    return get_escalation(ctx, escalation_id)


def close(ctx: Context, escalation_id: int, outcome: str) -> EscalationDetail:
    """An auditor closes an escalation with its outcome; until then it stays open."""
    require_role(ctx, "auditor", doing="close an escalation")
    outcome = (outcome or "").strip()
    if not outcome:
        raise StateError("closing an escalation needs its outcome")
    row = _open_row(ctx, escalation_id)
    with ctx.tx() as tx:
        if not escalations.closed(tx, escalation_id, outcome):
            raise StateError(f"escalation {escalation_id} was closed meanwhile")
        escalations.add_step(tx, escalation_id, "closed", by=ctx.user, text=outcome)
        tx.event("escalation", escalation_id, "closed", before={"status": row["status"]},
                 after={"status": "closed", "outcome": outcome})
    return get_escalation(ctx, escalation_id)


def flag_overdue(ctx: Context) -> tuple[list[int], list[int]]:
    """The scheduler's part: open escalations whose respond-by has passed with no response
    are flagged overdue once per level (step, overdue_at, an alert to the auditor) and,
    with ``auto_refer_head_of_service``, referred to the Head of Service.
    Returns (flagged ids, referred ids)."""
    flagged, referred = [], []
    # Stored times are whole seconds and the clock may carry a fraction: respond-by 09:58:16
    # has passed at 09:58:16.4, so the cut-off is the clock rounded up to the second.
    now = ctx.now()
    cutoff = iso(now + timedelta(seconds=1)) if now.microsecond else iso(now)
    for eid in escalations.overdue_unflagged(ctx.store, cutoff):
        with ctx.tx() as tx:
            row = escalations.get(tx, eid)
            if not (row["status"] == "open" and row["overdue_at"] is None
                    and from_iso(row["respond_by"]) < tx.now):
                continue  # another tick (or a response) got there first
            escalations.flag_overdue(tx, eid)
            waiting_on = row["recipient"]
            escalations.add_step(tx, eid, "overdue", by=SYSTEM, recipient=waiting_on,
                                 text=f"no response by {show(row['respond_by'])}")
            tx.event("escalation", eid, "overdue", after={"respond_by": row["respond_by"],
                                                          "level": row["level"]}, actor=SYSTEM)
            flagged.append(eid)
            extra: dict = {"waiting_on": waiting_on, "recipient_name": display_name(ctx, waiting_on)}
            if ctx.settings.workflow.auto_refer_head_of_service and row["level"] == "manager":
                try:
                    hos = refer_within(ctx, tx, row, by=SYSTEM, reason=None, automatic=True)
                    extra.update(referred_to=hos, referred_to_name=display_name(ctx, hos))
                    referred.append(eid)
                except StateError as exc:
                    escalations.add_step(tx, eid, "referral_failed", by=SYSTEM, text=str(exc))
                    extra["referral_problem"] = str(exc)
            tx.outbox(row["raised_by"], "escalation_overdue", _payload(row, **extra),
                      f"escalation:{eid}:overdue:{row['level']}:{row['respond_by']}",
                      recipient_role="auditor", entity="escalation", entity_id=eid)
    return flagged, referred
