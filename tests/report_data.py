"""A hand-built history for the report tests, made through the real services with the
clock moved, and the exact figures the SMT report over it must show.

The period is the SMT slot Tue 28 Apr 2020 08:00 BST (07:00Z) to Thu 30 Apr 2020 08:00
BST (07:00Z). The report is built on Fri 1 May at 12:00Z, after changes that came
later (a review closing an action, a referral), which must not change the figures
"as at" the end of the period.

Audits (ratings in programme order: covid_note, virtual_contact, oversight_current,
oversight_virtual, oversight_partners, oversight_contact_level):

    A0  C6 w2 Team A  submitted Tue 14 Apr 09:00Z  (before)    one action due 24 Apr
    A0b C7 w3 Team B  submitted Thu 16 Apr 06:00Z  (before)    one action due 1 May
    A1  C1 w1 Team A  submitted Mon 27 Apr 09:00Z  (before)    actions due 28 Apr, 12 May
    A2  C2 w1 Team A  submitted Tue 28 Apr 07:00Z  (ON the start: in)
                      met, partly, met, met, not_met, met       one action due 12 May
    A3  C3 w2 Team A  submitted Wed 29 Apr 10:00Z  (in)
                      met, met, n/a, met, met, met              no actions: all met
    A5  C5 w3 Team B  submitted Wed 29 Apr 12:00Z  (in)
                      not_met, not_met, partly, met, n/a, met   actions due 29 Apr, 20 May
    A4  C4 w3 Team B  submitted Thu 30 Apr 07:00Z  (ON the end: out)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from conftest import add_people, as_user
from factories import add_audit_people, add_child

from core.actions import review_action
from core.audit import fill_audit, start_audit, submit_audit
from core.comments import add_comment, resolve_comment
from core.escalation import close, escalate, refer_to_hos, respond
from core.reports.periods import Period

STANDARDS = ["covid_note", "virtual_contact", "oversight_current", "oversight_virtual",
             "oversight_partners", "oversight_contact_level"]
START = datetime(2020, 4, 28, 7, 0, tzinfo=UTC)  # Tue 08:00 BST
END = datetime(2020, 4, 30, 7, 0, tzinfo=UTC)  # Thu 08:00 BST
BUILT = datetime(2020, 5, 1, 12, 0, tzinfo=UTC)
PERIOD = Period(START, END, END)


def at(day: int, hour: int, minute: int = 0, month: int = 4) -> datetime:
    return datetime(2020, month, day, hour, minute, tzinfo=UTC)


def ratings(*values: str) -> dict:
    return {sid: {"rating": v, "evidence": f"Evidence for {v}."} for sid, v in zip(STANDARDS, values, strict=True)}


ALL_MET = ratings(*["met"] * 6)
NAMES = {"C1": "Alex Example", "C2": "Blake Sample", "C3": "Casey Trial", "C4": "Drew Model",
         "C5": "Eden Proof", "C6": "Flynn Case", "C7": "Gray Study"}


@dataclass
class History:
    audits: dict[str, int] = field(default_factory=dict)
    actions: dict[str, int] = field(default_factory=dict)
    escalations: dict[str, int] = field(default_factory=dict)


def people(ctx) -> None:
    add_audit_people(ctx)  # aud1 (auditor), w1 + m1 (Team A), hos1, pdt1
    add_people(ctx, [
        {"login": "w2", "name": "Will Second", "roles": ["worker"], "team": "Team A", "manager": "m1",
         "head_of_service": "hos1"},
        {"login": "m2", "name": "Mona Manager", "roles": ["manager"], "team": "Team B", "head_of_service": "hos1"},
        {"login": "w3", "name": "Xena Third", "roles": ["worker"], "team": "Team B", "manager": "m2",
         "head_of_service": "hos1"},
        {"login": "smt1", "name": "Sam Senior", "roles": ["smt"]},
        {"login": "smt2", "name": "Sol Senior", "roles": ["smt"]},
        {"login": "dir1", "name": "Dee Director", "roles": ["director"]},
        {"login": "admin1", "name": "Ada Admin", "roles": ["admin"]},
    ])
    with ctx.tx() as tx:
        tx.db["teams"].upsert({"name": "Team B", "head_of_service": "hos1"}, pk="name")


def audit(ctx, child_id: str, worker: str, team: str, started: datetime, submitted: datetime,
          data: dict, actions: list[tuple[str, str]] = ()) -> tuple[int, list[int]]:
    """Start at ``started``, submit at ``submitted``; actions as (owner_role, due)."""
    add_child(ctx, child_id, worker=worker, team=team, name=NAMES[child_id])
    aud = as_user(ctx, "aud1")
    ctx.clock.set(started)
    a = start_audit(aud, child_id)
    fill_audit(aud, a.audit_id, {"ratings": data, "overview": "Findings.",
                                 "actions": [{"owner_role": r, "description": f"Do {r} things.", "due": due}
                                             for r, due in actions]})
    ctx.clock.set(submitted)
    done = submit_audit(aud, a.audit_id)
    return done.audit_id, [x.action_id for x in done.actions]


def build(ctx) -> History:
    """The whole history; leaves the clock at BUILT."""
    h = History()
    people(ctx)
    pdt, aud = as_user(ctx, "pdt1"), as_user(ctx, "aud1")
    h.audits["A0"], (h.actions["a0w"],) = audit(ctx, "C6", "w2", "Team A", at(14, 8), at(14, 9), ALL_MET,
                                                [("worker", "2020-04-24")])
    ctx.clock.set(at(20, 9))
    h.escalations["E4"] = escalate(aud, h.audits["A0"], "Old concern", phoned="reached").escalation_id
    ctx.clock.set(at(22, 9))
    close(aud, h.escalations["E4"], "Resolved long ago")
    h.audits["A0b"], (h.actions["a0bm"],) = audit(ctx, "C7", "w3", "Team B", at(15, 8), at(16, 6), ALL_MET,
                                                  [("manager", "2020-05-01")])
    h.audits["A1"], (h.actions["a1w"], h.actions["a1m"]) = audit(
        ctx, "C1", "w1", "Team A", at(27, 8), at(27, 9), ALL_MET, [("worker", "2020-04-28"), ("manager", "2020-05-12")])
    ctx.clock.set(at(27, 10))
    h.escalations["E1"] = escalate(aud, h.audits["A1"], "Concern one", phoned="no-answer",
                                   respond_by="2020-04-28T10:00:00Z").escalation_id
    h.audits["A2"], (h.actions["a2w"],) = audit(
        ctx, "C2", "w1", "Team A", at(28, 6), START,
        ratings("met", "partly_met", "met", "met", "not_met", "met"), [("worker", "2020-05-12")])
    ctx.clock.set(at(29, 9))
    review_action(pdt, h.actions["a1w"], "not_completed", new_due="2020-05-05")
    h.escalations["E2"] = escalate(aud, h.audits["A2"], "Concern two", to_hos=True,
                                   respond_by="2020-05-01T09:00:00Z").escalation_id
    ctx.clock.set(at(29, 10))
    query = add_comment(as_user(ctx, "m1"), h.audits["A2"], "Please look again", query=True)
    h.audits["A3"], _ = audit(ctx, "C3", "w2", "Team A", at(29, 9, 30), at(29, 10),
                              ratings("met", "met", "not_applicable", "met", "met", "met"))
    h.audits["A5"], (h.actions["a5w"], h.actions["a5m"]) = audit(
        ctx, "C5", "w3", "Team B", at(28, 10), at(29, 12),
        ratings("not_met", "not_met", "partly_met", "met", "not_applicable", "met"),
        [("worker", "2020-04-29"), ("manager", "2020-05-20")])
    ctx.clock.set(at(29, 12))
    review_action(pdt, h.actions["a1m"], "completed")
    ctx.clock.set(at(29, 13))
    h.escalations["E3"] = escalate(aud, h.audits["A5"], "Concern three", phoned="reached").escalation_id
    ctx.clock.set(at(29, 14))
    answered = add_comment(as_user(ctx, "m2"), h.audits["A5"], "A query answered at once", query=True)
    add_comment(as_user(ctx, "w3"), h.audits["A5"], "Just a comment")
    ctx.clock.set(at(29, 15))
    respond(as_user(ctx, "m2"), h.escalations["E3"], "Seen the child today")
    ctx.clock.set(at(29, 16))
    resolve_comment(aud, answered.comment_id, "Answered")
    h.audits["A4"], (h.actions["a4w"],) = audit(ctx, "C4", "w3", "Team B", at(29, 17), END, ALL_MET,
                                                [("worker", "2020-05-12")])
    # After the period: changes the report as at its end must not see.
    ctx.clock.set(at(30, 12))
    review_action(pdt, h.actions["a5w"], "not_completed", new_due="2020-05-07")
    close(aud, h.escalations["E3"], "Safety plan agreed")
    ctx.clock.set(at(1, 9, month=5))
    review_action(pdt, h.actions["a1w"], "completed")
    refer_to_hos(aud, h.escalations["E1"])
    resolve_comment(aud, query.comment_id, "Looked again")
    escalate(aud, h.audits["A4"], "Concern after the period", phoned="reached")
    ctx.clock.set(BUILT)
    return h
