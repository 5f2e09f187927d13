"""Pydantic models: the shapes services return and the CLI prints as JSON. The queue's
items and the scheduler's health are plain dataclasses (``core.read_models``: the TUI's
first screen loads no pydantic), exported here too."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator

from .read_models import (  # noqa: F401 - plain dataclasses (core.read_models), exported here too
    QueueItem,
    Reminder,
    ScheduledReport,
    SchedulerHealth,
    TickResult,
    TrailVerdict,
)
from .vocabulary import COHORTS

Cohort = Literal[COHORTS]
# A flag stored as 0/1: a bool in Python, 0/1 in JSON as the table holds it.
Flag = Annotated[bool, PlainSerializer(int, return_type=int, when_used="json")]


class Shape(BaseModel):
    """Every model here. Its validator is built when it is first used (``defer_build``), not
    on import: a command pays for the few models it touches, not for all forty."""

    model_config = ConfigDict(defer_build=True)


class Row(Shape):
    """A model read from a store row (a dict from ``core.store``)."""

    @classmethod
    def from_row(cls, row: dict):
        return cls.model_validate(row)


class Team(Row):
    name: str
    head_of_service: str | None = None


class Person(Row):
    login: str
    name: str
    roles: list[str] = Field(default_factory=list)
    team: str | None = None
    email: str | None = None
    teams_address: str | None = None
    manager: str | None = None
    head_of_service: str | None = None
    active: bool = True

    @field_validator("roles", mode="before")
    @classmethod
    def _roles(cls, v):
        return json.loads(v) if isinstance(v, str) else v


class OpenItem(Shape):
    """A piece of work a person holds (``core.people.list_people``)."""

    kind: Literal["queue_item", "draft_audit", "action", "escalation", "escalation_raised"]
    id: int
    child_id: str | None = None
    status: str  # the item's status (an escalation waiting on them: its level)
    due: str | None = None  # an action's due date; an escalation's respond-by


class PersonWork(Person):
    """A person in the directory with what they hold: ``active`` is False once a people
    import left them out (shown as 'left'); ``open_items`` is what must move if so."""

    os_login: str | None = None
    left_at: str | None = None
    open_items: list[OpenItem] = Field(default_factory=list)


class Child(Row):
    child_id: str
    name: str | None = None
    date_of_birth: date | None = None
    expected_date_of_birth: date | None = None
    cohort: Cohort
    tier: int
    worker: str | None = None
    worker_login: str | None = None
    team: str | None = None
    family_id: str | None = None
    is_open: bool = True
    closed_on: date | None = None
    key_dates: dict[str, str | None] = Field(default_factory=dict)

    @field_validator("key_dates", mode="before")
    @classmethod
    def _kd(cls, v):
        return json.loads(v) if isinstance(v, str) else v

    @property
    def initials(self) -> str:
        return initials(self.name)


class CaseNote(Row):
    note_id: int | None = None
    child_id: str
    date: date
    kind: str
    type: str
    author: str | None = None
    summary: str | None = None


class Pick(Shape):
    child_id: str
    worker: str | None
    team: str | None
    tier: int
    cohort: str
    reason: str


class Unfilled(Shape):
    worker: str
    team: str | None = None
    reason: str


class SampleResult(Shape):
    sample_id: int | None  # None on a dry run
    seed: int
    picks: list[Pick]
    unfilled: list[Unfilled]


# --- sampling -------------------------------------------------------------------------
class SampledChild(Pick):
    """A child a draw picked, with the queue item it became."""

    queue_id: int | None = None
    auditor: str | None = None
    status: str | None = None


class Exclusion(Shape):
    """A child a draw considered and left out, with the reason code and words."""

    child_id: str
    worker: str | None
    team: str | None
    tier: int | None
    cohort: str | None
    code: str
    reason: str


class Exclusions(Shape):
    counts: dict[str, int]
    children: list[Exclusion]


class SampleRecord(Shape):
    """The stored record of a draw (``dipaudit sample show``)."""

    sample_id: int
    seed: int
    params: dict[str, Any]
    created_at: str
    created_by: str
    population: dict[str, int]  # eligible children per tier
    eligible_children: dict[str, list[str]]
    children_considered: int | None
    exclusions: Exclusions
    picks: list[SampledChild]
    unfilled: list[Unfilled]


class SampleSummary(Row):
    sample_id: int
    seed: int
    created_at: str
    created_by: str
    picks: int


# --- after submission ------------------------------------------------------------------
class Comment(Row):
    comment_id: int
    audit_id: int
    author: str  # who it is from (the worker or manager)
    recorded_by: str  # who typed it (an auditor on their behalf)
    text: str
    is_query: Flag
    status: str  # noted | open (a query) | resolved
    created_at: str
    resolved_at: str | None = None
    resolved_by: str | None = None
    resolution: str | None = None


class Addendum(Row):
    addendum_id: int
    audit_id: int
    text: str
    created_at: str
    created_by: str


class AuditInWindow(Row):
    """A submitted audit in (or just past, with a query open) its comment window."""

    audit_id: int
    child_id: str
    worker: str | None = None
    manager: str | None = None
    team: str | None = None
    auditor: str
    status: str
    submitted_at: str
    open_queries: int
    comments: int
    closes_at: str  # submitted + the window (ISO)
    seconds_left: int  # negative once the window has passed with a query still open


class EscalationStep(Row):
    step_id: int
    at: str
    by: str
    kind: str
    recipient: str | None = None
    text: str | None = None


class Escalation(Row):
    escalation_id: int
    audit_id: int
    child_id: str
    level: str  # manager | head_of_service
    status: str  # open | responded | closed
    concern: str
    raised_by: str
    raised_at: str
    recipient: str | None = None
    phoned: str | None = None
    respond_by: str | None = None
    responded_at: str | None = None
    response: str | None = None
    referred_at: str | None = None
    overdue_at: str | None = None
    closed_at: str | None = None
    closed_by: str | None = None
    outcome: str | None = None
    overdue: bool = False  # respond-by passed, still open, no response
    seconds_over: int = 0
    time_over: str = ""


class EscalationDetail(Escalation):
    """An escalation with its time-stamped steps."""

    steps: list[EscalationStep]


class ActionReview(Shape):
    at: str
    by: str
    outcome: str
    new_due: str | None = None
    note: str | None = None


class ActionForReview(Row):
    """A recommended action of a submitted audit, as the PDT's action review sees it."""

    action_id: int
    audit_id: int
    child_id: str
    team: str | None = None
    worker: str | None = None
    manager: str | None = None
    auditor: str
    owner: str | None = None
    owner_role: str
    description: str
    due: str | None = None  # ISO date
    status: str  # open | completed | not_completed | not_needed
    review_due: str | None = None
    audit_status: str
    last_review: ActionReview | None = None
    overdue: bool = False
    review_is_due: bool = False


class Check(Shape):
    """One line of ``dipaudit doctor``."""

    status: Literal["ok", "warning", "fail"]
    what: str
    detail: str


class DoctorReport(Shape):
    checks: list[Check]

    @property
    def status(self) -> str:
        found = {c.status for c in self.checks}
        return "fail" if "fail" in found else "warning" if "warning" in found else "ok"

    @property
    def exit_code(self) -> int:
        return {"ok": 0, "warning": 1, "fail": 2}[self.status]


class OutboxMessage(Row):
    outbox_id: int
    created_at: str
    recipient: str
    recipient_role: str | None = None
    template: str
    payload: dict[str, Any]
    entity: str | None = None
    entity_id: str | None = None
    idempotency_key: str
    status: str
    attempts: int
    next_attempt_at: str | None = None
    last_error: str | None = None
    sent_at: str | None = None


class Event(Row):
    event_id: int
    at: str
    actor: str
    os_login: str
    entity: str
    entity_id: str | None = None
    action: str
    before: Any = None
    after: Any = None
    hash: str | None = None  # the event's link in the tamper-evident chain (core.trail)


def initials(name: str | None) -> str:
    """``Alex Example`` -> ``A.E.``; used wherever a child is named outside the record."""
    if not name:
        return ""
    parts = [p for p in name.replace("-", " ").split() if p[:1].isalpha()]
    return "".join(p[0].upper() + "." for p in parts)
