"""An audit as it is read: the ``Audit`` model, one audit by id, and the list of audits.

An audit snapshots, at start, the child's worker, their supervising manager, the
team, the date and the programme it uses, so later changes to the caseload or the
programme never change it.
"""

from __future__ import annotations

import json
from datetime import date

from pydantic import BaseModel

from ..context import Context
from ..errors import PermissionDenied
from ..models import Row
from ..people import display_name
from ..prechecks import Suggestion
from ..programme import Programme, Standard
from ..store import actions, audits
from ..vocabulary import MET_OR_NA


class ProgrammeRef(BaseModel):
    id: str
    title: str
    version: str


class RatingEntry(BaseModel):
    rating: str | None = None
    evidence: str = ""
    suggested: Suggestion | None = None


class Action(BaseModel):
    action_id: int
    position: int = 0
    owner_role: str
    owner: str | None = None
    owner_name: str | None = None
    description: str = ""
    due: date | None = None
    status: str = "open"
    review_due_at: str | None = None


class Audit(BaseModel):
    audit_id: int
    queue_id: int | None = None
    child_id: str
    status: str
    auditor: str
    auditor_name: str | None = None
    programme: ProgrammeRef
    standards: list[Standard]  # from the snapshot: titles and guidance for the checklist
    started_at: str
    submitted_at: str | None = None
    finalised_at: str | None = None
    finalised_by: str | None = None
    review_due_at: str | None = None
    worker: str | None = None
    worker_name: str | None = None
    manager: str | None = None
    manager_name: str | None = None
    team: str | None = None
    audit_date: date
    ratings: dict[str, RatingEntry]
    overview: str = ""
    positive_practice: str = ""
    actions: list[Action] = []
    prechecks_at: str | None = None
    standards_met: bool
    version: int
    updated_at: str
    updated_by: str


class AuditSummary(Row):
    """An audit in a list (``dipaudit audit list``)."""

    audit_id: int
    queue_id: int | None = None
    child_id: str
    status: str
    auditor: str
    worker: str | None = None
    manager: str | None = None
    team: str | None = None
    audit_date: str
    started_at: str
    submitted_at: str | None = None
    finalised_at: str | None = None
    review_due_at: str | None = None
    programme_id: str
    programme_version: str
    version: int
    updated_at: str
    standards_met: bool
    actions: int


def programme_of(ctx: Context, audit_id: int) -> Programme:
    """The programme snapshot an audit was started with."""
    raw = audits.programme_json(ctx.store, audit_id)
    if raw is None:
        audits.need(ctx.store, audit_id)  # NotFound
    return Programme.model_validate_json(raw)


def standards_met(standards: list[Standard], ratings: dict[str, RatingEntry]) -> bool:
    """Every standard met or not applicable: the audit's overall verdict."""
    return all(ratings.get(s.id) and ratings[s.id].rating in MET_OR_NA for s in standards)


def get_audit(ctx: Context, audit_id: int) -> Audit:
    row = audits.need(ctx.store, audit_id)
    programme = Programme.model_validate_json(row["programme"])
    pre = json.loads(row["prechecks"] or "{}")
    suggestions = pre.get("suggestions", {})
    stored = {r["standard_id"]: r for r in audits.ratings(ctx.store, audit_id)}
    ratings = {}
    for s in programme.standards:
        r = stored.get(s.id, {})
        sug = suggestions.get(s.id)
        ratings[s.id] = RatingEntry(rating=r.get("rating"), evidence=r.get("evidence") or "",
                                    suggested=Suggestion(**sug) if sug else None)
    owned = [
        Action(**{k: a[k] for k in ("action_id", "position", "owner_role", "owner", "description",
                                    "due", "status", "review_due_at")},
               owner_name=display_name(ctx, a["owner"]))
        for a in actions.of_audit(ctx.store, audit_id)
    ]
    return Audit(
        audit_id=row["audit_id"], queue_id=row["queue_id"], child_id=row["child_id"],
        status=row["status"], auditor=row["auditor"], auditor_name=display_name(ctx, row["auditor"]),
        programme=ProgrammeRef(id=programme.id, title=programme.title, version=programme.version),
        standards=programme.standards,
        started_at=row["started_at"], submitted_at=row["submitted_at"],
        finalised_at=row["finalised_at"], finalised_by=row["finalised_by"],
        review_due_at=row["review_due_at"],
        worker=row["worker"], worker_name=display_name(ctx, row["worker"]),
        manager=row["manager"], manager_name=display_name(ctx, row["manager"]),
        team=row["team"], audit_date=row["audit_date"], ratings=ratings,
        overview=row["overview"], positive_practice=row["positive_practice"], actions=owned,
        prechecks_at=pre.get("computed_at"),
        standards_met=standards_met(programme.standards, ratings),
        version=row["version"], updated_at=row["updated_at"], updated_by=row["updated_by"],
    )


def list_audits(ctx: Context, *, status: str | None = None, auditor: str | None = None,
                child_id: str | None = None) -> list[AuditSummary]:
    """Audits, newest first, with ``standards_met`` derived from their ratings."""
    return [AuditSummary.from_row(r)
            for r in audits.summaries(ctx.store, status=status, auditor=auditor, child_id=child_id)]


def require_auditor_of(ctx: Context, audit: Audit, doing: str) -> None:
    """Refuse unless the acting user is the audit's own auditor."""
    if audit.auditor != ctx.user:
        raise PermissionDenied(f"{ctx.user} may not {doing} audit {audit.audit_id}:"
                               f" it belongs to {display_name(ctx, audit.auditor)} ({audit.auditor})")
