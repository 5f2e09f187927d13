"""The report model: one pydantic shape every format is rendered from.

Times are UTC ISO strings (``core.clock.iso``), the form they are stored in; the
renderers show them in London time. Every percentage is ``None`` where its ``n``
(the count it is a share of) is 0, and "not applicable" ratings are never part of
a percentage: ``standards_met_pct`` is met / (met + partly met + not met).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["smt", "weekly"]


def pct(part: int, n: int) -> float | None:
    """``part`` as a percentage of ``n``, to one decimal place; None when n is 0."""
    return round(100 * part / n, 1) if n else None


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True, extra="ignore")


class Totals(_Model):
    audits: int = 0
    all_met: int = 0  # audits with every standard met or not applicable
    all_met_pct: float | None = None  # n = audits
    standards_met: int = 0
    standards_rated: int = 0  # met + partly met + not met (not applicable left out)
    standards_met_pct: float | None = None  # n = standards_rated
    actions_raised: int = 0  # on audits submitted in the period
    actions_completed: int = 0  # reviewed as completed in the period
    actions_open: int = 0  # as at counts_at
    actions_overdue: int = 0
    reviews_due: int = 0  # PDT reviews fallen due and not yet recorded, as at counts_at
    reviews_overdue: int = 0  # of those, fallen due on an earlier day
    escalations_open: int = 0  # not closed, as at counts_at
    escalations_overdue: int = 0  # awaiting a response past respond-by
    escalations_manager: int = 0  # open, with the supervising manager
    escalations_head_of_service: int = 0  # open, with the Head of Service
    escalations_raised: int = 0  # in the period
    open_queries: int = 0  # queries holding an audit's comment window open, as at counts_at


class StandardFigures(_Model):
    id: str
    title: str
    met: int = 0
    partly_met: int = 0
    not_met: int = 0
    not_applicable: int = 0
    rated: int = 0  # met + partly met + not met
    met_pct: float | None = None  # n = rated


class Theme(_Model):
    """A standard often not met: the themes SMT read first."""

    id: str
    title: str
    not_met: int
    partly_met: int
    rated: int
    not_met_pct: float | None = None  # n = rated


class _Figures(_Model):
    audits: int = 0
    all_met: int = 0
    all_met_pct: float | None = None  # n = audits
    standards_met: int = 0
    standards_rated: int = 0
    standards_met_pct: float | None = None  # n = standards_rated
    actions_open: int = 0  # as at counts_at, on audits of every period
    actions_overdue: int = 0
    escalations_open: int = 0


class WorkerFigures(_Figures):
    worker: str  # login (or the name the caseload gives); "" when unallocated
    name: str  # as people read it


class TeamFigures(_Figures):
    team: str  # "" when the audits name no team
    workers: list[WorkerFigures] = Field(default_factory=list)


class EscalationItem(_Model):
    escalation_id: int
    child: str  # "C1234 (A.E.)": id and initials, unless full names are turned on
    child_id: str
    team: str
    worker: str = ""
    level: str  # manager | head_of_service, as at counts_at
    respond_by: str | None = None
    overdue: bool = False
    status: str  # open | responded | closed, as at counts_at
    raised_at: str
    raised_in_period: bool = False


class AuditorProgress(_Model):
    auditor: str
    name: str
    drawn: int = 0  # children drawn for them in the period
    audited: int = 0  # audits they submitted in the period
    outstanding: int = 0  # drawn, not yet audited, as at counts_at


class SampleProgress(_Model):
    drawn: int = 0
    audited: int = 0
    outstanding: int = 0
    by_auditor: list[AuditorProgress] = Field(default_factory=list)


class WeekFigures(_Model):
    week_start: str  # ISO date (London)
    from_: str = Field(alias="from")
    to: str
    audits: int = 0
    all_met: int = 0
    standards_met: int = 0
    standards_rated: int = 0
    standards_met_pct: float | None = None
    actions_overdue: int = 0  # as at the week's end (or now)
    escalations_raised: int = 0


class Report(_Model):
    """One report, for one kind and one period. ``model_dump_json()`` is its JSON form."""

    kind: Kind
    title: str
    council: str
    from_: str = Field(alias="from")
    to: str
    generated_at: str  # "as at": when it was built
    counts_at: str  # open and overdue counts are as at this time: the end, or now if earlier
    slot: str | None = None  # the scheduled slot it was built for
    programmes: list[str] = Field(default_factory=list)  # titles of the programmes audited
    by_worker: bool = True
    totals: Totals = Field(default_factory=Totals)
    standards: list[StandardFigures] = Field(default_factory=list)
    themes: list[Theme] = Field(default_factory=list)
    teams: list[TeamFigures] = Field(default_factory=list)
    escalations: list[EscalationItem] = Field(default_factory=list)
    samples: SampleProgress | None = None  # SMT only
    weeks: list[WeekFigures] = Field(default_factory=list)  # weekly: oldest first, this week last
