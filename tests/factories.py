"""Test data builders. They write rows straight into a real store, so a test of one
feature does not depend on another feature's importer. Add builders at the end."""

from __future__ import annotations

import hashlib
import json

from core.context import Context


def add_child(
    ctx: Context,
    child_id: str,
    *,
    cohort: str = "cin",
    worker: str | None = "w1",
    team: str | None = "Team A",
    family_id: str | None = None,
    name: str | None = None,
    is_open: bool = True,
    closed_on: str | None = None,
    date_of_birth: str | None = "2012-05-01",
    expected_date_of_birth: str | None = None,
    key_dates: dict | None = None,
) -> None:
    with ctx.tx() as tx:
        tx.db["children"].upsert(
            {
                "child_id": child_id,
                "name": name or f"Child {child_id}",
                "date_of_birth": None if cohort == "unborn" else date_of_birth,
                "expected_date_of_birth": expected_date_of_birth,
                "cohort": cohort,
                "tier": ctx.settings.tier_of(cohort),
                "worker": worker,
                "worker_login": worker,
                "team": team,
                "family_id": family_id,
                "is_open": 1 if is_open else 0,
                "closed_on": closed_on,
                "key_dates": json.dumps(key_dates or {}),
                "updated_at": tx.at,
            },
            pk="child_id",
        )


def add_note(ctx: Context, child_id: str, date: str, kind: str, *, type: str | None = None,
             author: str = "w1", summary: str = "") -> None:
    names = {
        "covid": "COVID-19",
        "virtual_contact": "Virtual contact",
        "communication": "Communication",
        "management_oversight": "Management oversight",
        "qa_audit": "QA Audit",
        "other": "Home visit",
    }
    type = type or names[kind]
    key = hashlib.sha256(f"{child_id}|{date}|{type}|{author}|{summary}".encode()).hexdigest()
    with ctx.tx() as tx:
        tx.db["case_notes"].insert(
            {"child_id": child_id, "date": date, "kind": kind, "type": type, "author": author,
             "summary": summary, "note_key": key, "imported_at": tx.at},
        )


def add_audit_people(ctx: Context, *, auditor: str = "aud1", worker: str = "w1", manager: str = "m1",
                     head_of_service: str = "hos1", pdt: str = "pdt1", team: str = "Team A") -> None:
    """An auditor, a worker supervised by a manager, the team's Head of Service and a PDT member."""
    people = [
        {"login": auditor, "name": "Ann Auditor", "roles": ["auditor"], "team": "QA"},
        {"login": worker, "name": "Wendy Worker", "roles": ["worker"], "team": team,
         "manager": manager, "head_of_service": head_of_service},
        {"login": manager, "name": "Mark Manager", "roles": ["manager"], "team": team,
         "head_of_service": head_of_service},
        {"login": head_of_service, "name": "Hannah Head", "roles": ["head_of_service"], "team": team},
        {"login": pdt, "name": "Pat Developer", "roles": ["pdt"], "team": "PDT"},
    ]
    with ctx.tx() as tx:
        tx.db["teams"].upsert({"name": team, "head_of_service": head_of_service}, pk="name")
        for p in people:
            tx.db["people"].upsert(
                {"login": p["login"], "name": p["name"], "roles": json.dumps(p["roles"]),
                 "team": p["team"], "email": f"{p['login']}@example.org", "teams_address": None,
                 "manager": p.get("manager"), "head_of_service": p.get("head_of_service")},
                pk="login",
            )


def full_audit_data(audit_date=None, *, due: str | None = None) -> dict:
    """Fill data for the default programme: every standard rated, an overview, and one
    action each for the worker and the manager (due ten working days on)."""
    if due is None:
        from datetime import date

        from core.config import Settings
        from core.workdays import suggest_due

        due = suggest_due(audit_date or date(2020, 4, 27), Settings()).isoformat()
    return {
        "ratings": {
            "covid_note": {"rating": "met", "evidence": "COVID-19 note dated 25/03/2020."},
            "virtual_contact": {"rating": "partly_met",
                                "evidence": "Two visits recorded as communication notes."},
            "oversight_current": {"rating": "met", "evidence": "Oversight 02/04/2020."},
            "oversight_virtual": {"rating": "met", "evidence": "Oversight 02/04/2020."},
            "oversight_partners": {"rating": "not_met",
                                   "evidence": "No mention of school or health visitor."},
            "oversight_contact_level": {"rating": "met", "evidence": "Weekly video calls directed."},
        },
        "overview": "Most standards met; virtual contacts partly recorded as communication notes.",
        "positive_practice": "Warm, child-focused recording of the video calls.",
        "actions": [
            {"owner_role": "worker", "description": "Re-record the 2 visits as virtual contact notes.",
             "due": due},
            {"owner_role": "manager", "description": "Add how partner agencies support the plan.",
             "due": due},
        ],
    }


def submitted_audit(ctx: Context, *, child_id: str = "C1", auditor: str = "aud1", worker: str = "w1",
                    manager: str = "m1", head_of_service: str = "hos1", pdt: str = "pdt1",
                    team: str = "Team A", child_name: str = "Alex Example", data: dict | None = None):
    """People, a child and an audit started, filled and submitted through the real services.

    The audit is submitted at ``ctx.clock``'s now by ``auditor``; returns the Audit.
    """
    from core.audit import fill_audit, start_audit, submit_audit
    from core.clock import today

    add_audit_people(ctx, auditor=auditor, worker=worker, manager=manager,
                     head_of_service=head_of_service, pdt=pdt, team=team)
    add_child(ctx, child_id, worker=worker, team=team, name=child_name)
    as_auditor = Context(store=ctx.store, clock=ctx.clock, settings=ctx.settings, user=auditor,
                         os_login=ctx.os_login)
    audit = start_audit(as_auditor, child_id)
    fill_audit(as_auditor, audit.audit_id, data or full_audit_data(today(ctx.clock)))
    return submit_audit(as_auditor, audit.audit_id)


def busy_day(ctx: Context) -> tuple[int, int, int]:
    """Two submitted audits (the second queried by its manager) and an escalation of the
    first, all at ``ctx.clock``'s now: work for every rule of a tick. Returns the two audit
    ids and the escalation's."""
    from conftest import as_user

    from core.audit import fill_audit, start_audit, submit_audit
    from core.comments import add_comment
    from core.escalation import escalate

    a1 = submitted_audit(ctx, data=full_audit_data(due="2020-05-12"))
    add_child(ctx, "C2", worker="w1", name="Blake Sample")
    aud = as_user(ctx, "aud1")
    a2 = start_audit(aud, "C2")
    fill_audit(aud, a2.audit_id, full_audit_data(due="2020-05-12"))
    submit_audit(aud, a2.audit_id)
    add_comment(as_user(ctx, "m1"), a2.audit_id, "Query", query=True)
    esc = escalate(aud, a1.audit_id, "Unsafe sleeping arrangements seen on video call")
    return a1.audit_id, a2.audit_id, esc.escalation_id


def keys_before_m012(conn) -> int:
    """The scheduler's idempotency keys back to how dipaudit wrote them before m012 (the
    audit's or action's id unpadded: ``audit:7:finalised:w1``), on an open ``sqlite3``
    connection, in its own transaction; returns how many changed. For tests of a database
    from before m012."""
    import re

    form = re.compile(r"^(audit:|action:)0*(\d+)(:(?:finalised|review_due|reminder|overdue):)")
    changed = [(new, oid) for oid, key in conn.execute("SELECT outbox_id, idempotency_key FROM outbox").fetchall()
               if (new := form.sub(r"\1\2\3", key)) != key]
    conn.executemany("UPDATE outbox SET idempotency_key = ? WHERE outbox_id = ?", changed)
    conn.commit()
    return len(changed)
