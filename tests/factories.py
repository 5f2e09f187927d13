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
