"""Read models the TUI's first screen needs, as plain dataclasses (no pydantic).

The sample queue's rows (``QueueItem``) and the scheduler's health (``SchedulerHealth``,
the banner) are what ``dipaudit`` shows before anything else. As pydantic models they
cost the first screen the import of pydantic and ``core.models`` and, unless
``PYDANTIC_DISABLE_PLUGINS`` is set, pydantic's scan of every installed package for
plugins: about a third of a second, more than the rest of dipaudit's start-up. These
are read from dipaudit's own tables, never from input, so there is nothing to
validate: validation stays where input enters (the importers, the forms, the config).

They print as the pydantic models did, field for field in the same order
(``tui.cli.emit_json`` serialises dataclasses as it does models), and ``core.models``
still exports them under their old names.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import itemgetter


@dataclass(slots=True)
class QueueItem:
    """One item of the sample queue, as ``core.store.queue`` reads it (every field given:
    the fields are the ``queue_items`` columns a row holds)."""

    queue_id: int
    sample_id: int
    child_id: str
    worker: str | None
    team: str | None
    tier: int
    cohort: str
    auditor: str | None
    claimed_by: str | None
    claimed_at: str | None
    status: str  # one of core.vocabulary.QUEUE_STATUSES
    audit_id: int | None

    @classmethod
    def from_row(cls, row: dict) -> QueueItem:
        """The item of a ``queue_items`` row (its other columns are left out). The queue's
        first screen makes 10,000 of these: by position, the quickest way there is."""
        return cls(*_queue_item_values(row))


QUEUE_ITEM_FIELDS = tuple(f.name for f in fields(QueueItem))  # queue_items columns, in field order
_queue_item_values = itemgetter(*QUEUE_ITEM_FIELDS)


@dataclass(slots=True, kw_only=True)
class SchedulerHealth:
    """Whether the scheduler is delivering (``core.health.scheduler_health``). ``stale``: no
    delivering run for ``stale_minutes``; ``message`` is the TUI banner's text then."""

    stale: bool
    message: str | None = None
    last_delivered_at: str | None = None  # the last run that delivered the outbox (dipaudit tick)
    last_run_at: str | None = None  # the last run of any kind (the TUI's timer too)
    stale_minutes: int
    demo: bool = False  # a demo database: nobody to alert, not watched


# --- what a run of the scheduler's rules did (core.tick) ----------------------------------
# A quiet `dipaudit tick` (cron, every five minutes) builds these and nothing else: as plain
# dataclasses the process loads no pydantic. They print as the pydantic models did (field
# for field, in the same order).


@dataclass(slots=True, kw_only=True)
class Reminder:
    """An action's owner reminded (``kind``: reminder | overdue)."""

    action_id: int
    kind: str  # reminder | overdue
    owner: str
    due: str


@dataclass(slots=True, kw_only=True)
class ScheduledReport:
    """A report slot the scheduler queued (or could not: ``error``, nothing stored)."""

    kind: str
    slot: str
    report_id: int | None = None
    recipients: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # earlier slots superseded during downtime, never sent late
    error: str | None = None


@dataclass(slots=True, kw_only=True)
class TrailVerdict:
    """What a verification found. ``first_broken``: the event id where the chain first
    fails (the first missing id for a deletion or truncation); ``problem``: one line."""

    intact: bool
    events: int  # events verified by this check (hashed again)
    own: int = 0  # events the caller linked itself a moment before, taken as linked (core.trail)
    first_broken: int | None = None
    problem: str | None = None
    head: int | None = None  # the newest event id verified (None: an empty trail)
    head_hash: str | None = None
    after: int = 0  # verified the events after this id (0: the whole trail)
    checkpoint_at: str | None = None  # the checkpoint it started from or checked against


@dataclass(kw_only=True)
class TickResult:
    """What one run of the scheduler's rules did."""

    at: str
    finalised: list[int] = field(default_factory=list)
    reviews_due: list[int] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)
    escalations_overdue: list[int] = field(default_factory=list)
    referred: list[int] = field(default_factory=list)
    reports: list[ScheduledReport] = field(default_factory=list)
    trail: TrailVerdict | None = None  # the checkpoint's verification (core.trail.checkpoint_trail)
