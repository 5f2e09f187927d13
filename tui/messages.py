"""Every message the dipaudit TUI defines, in one place (as toolong keeps its own).

Most carry the result of a core service back from a thread worker
(``tui.workers.run_service``) to the screen that asked: the worker posts the message
and never touches a widget; the screen's handler (``on_<message_name>``) changes what
is shown. They are posted to that screen and go no further (``bubble=False``).
``ServiceFailed`` does go on up: a screen may handle a failure it expects (and stop
it); whatever reaches the App is a toast (a ``DipauditError``) or the error modal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # names for the fields only: importing this module stays cheap at start-up
    from datetime import date, datetime
    from pathlib import Path

    from core.audit import Audit
    from core.draft import Save
    from core.models import (
        ActionForReview,
        AuditInWindow,
        Comment,
        Escalation,
        EscalationStep,
        SampleResult,
    )
    from core.read_models import QueueItem, SchedulerHealth
    from core.reports import Report, StoredReport

# -- every screen ------------------------------------------------------------------


@dataclass
class ServiceFailed(Message):
    """A service called from a worker raised. ``request`` names what was asked (the
    worker's group); ``title`` heads the toast."""

    request: str
    error: Exception
    title: str = "Not done"


@dataclass
class DataChanged(Message, bubble=False):
    """The data may have changed under the screen (the App's scheduler tick ran):
    a ``DataScreen`` reads its rows again."""


@dataclass
class SchedulerChecked(Message, bubble=False):
    """What ``core.health.scheduler_health`` found (after a tick, and on mount): the
    active screen's banner shows it."""

    health: SchedulerHealth


@dataclass
class DraftEdited(Message):
    """The auditor changed something on the checklist (a pane tells its screen)."""


# -- the sample queue and the draw form --------------------------------------------


@dataclass
class QueueLoaded(Message, bubble=False):
    items: list[QueueItem]


@dataclass
class ChildDetailLoaded(Message, bubble=False):
    child_id: str
    detail: dict


@dataclass
class QueueItemChanged(Message, bubble=False):
    """A queue item was claimed or released (``verb``)."""

    verb: str
    queue_id: int


@dataclass
class QueueItemReassigned(Message, bubble=False):
    item: QueueItem


@dataclass
class ColleaguesLoaded(Message, bubble=False):
    """Who a queue item or an action may be reassigned to (``what`` says which, ``item_id``
    which one): active people with the role for it, ``[(login, label)]``."""

    what: str
    item_id: int
    people: list[tuple[str, str]]


@dataclass
class AuditStarted(Message, bubble=False):
    """An audit was started or resumed from the queue: open it."""

    audit: Audit


@dataclass
class TeamsLoaded(Message, bubble=False):
    teams: list[str]


@dataclass
class SampleDrawn(Message, bubble=False):
    result: SampleResult
    dry_run: bool


# -- the audit checklist -------------------------------------------------------------


@dataclass
class ChecklistLoaded(Message, bubble=False):
    """Everything the checklist shows, read in one worker."""

    audit: Audit
    header: dict
    notes: list[dict]
    note_kinds: list[str]
    child: dict | None
    stored_note: str | None = None  # once submitted, the note as stored (with addenda)


@dataclass
class DraftSaved(Message, bubble=False):
    save: Save


@dataclass
class SaveConflict(Message, bubble=False):
    """Someone else saved the audit first; nothing was written."""

    save: Save


@dataclass
class SaveFailed(Message, bubble=False):
    save: Save


def save_outcome(save: Save) -> Message:
    """The message telling the checklist what came of ``save``."""
    if save.error is None:
        return DraftSaved(save)
    return SaveConflict(save) if save.conflict else SaveFailed(save)


@dataclass
class SubmissionChecked(Message, bubble=False):
    """What stops a submission (``gaps``) and who it would alert."""

    gaps: list[str]
    recipients: list[dict] = field(default_factory=list)


@dataclass
class AuditSubmitted(Message, bubble=False):
    audit: Audit
    recipients: list[dict] = field(default_factory=list)



# -- the follow-up screens (comments, escalations, actions) ---------------------------


@dataclass
class FollowupChanged(Message, bubble=False):
    """A change a follow-up screen asked for was recorded; ``done`` is the toast."""

    done: str


@dataclass
class CommentWindowLoaded(Message, bubble=False):
    """The audits in their comment window and the comments of the one ``chosen``."""

    audits: list[AuditInWindow]
    chosen: int | None
    comments: list[Comment]


@dataclass
class CommentsLoaded(Message, bubble=False):
    audit_id: int
    comments: list[Comment]


@dataclass
class OverviewLoaded(Message, bubble=False):
    """An audit's overview, read to be amended."""

    audit_id: int
    overview: str


@dataclass
class EscalationsLoaded(Message, bubble=False):
    rows: list[Escalation]
    chosen: int | None
    steps: list[EscalationStep]
    now: datetime


@dataclass
class TimelineLoaded(Message, bubble=False):
    escalation_id: int
    steps: list[EscalationStep]


@dataclass
class ActionsLoaded(Message, bubble=False):
    rows: list[ActionForReview]
    today: date
    suggested: date


@dataclass
class ActionReassigned(Message, bubble=False):
    action: ActionForReview


# -- the report preview --------------------------------------------------------------


@dataclass
class ReportBuilt(Message, bubble=False):
    """A report built (or a stored one read back), with its txt rendering to show.
    ``stored``: the sent report it is, or None for one built now."""

    report: Report
    text: str
    stored: StoredReport | None = None


@dataclass
class ReportExported(Message, bubble=False):
    path: Path
    fmt: str


@dataclass
class SendChecked(Message, bubble=False):
    """Who a send by hand would reach (the user may send): ask before sending."""

    kind: str
    recipients: list[dict]


@dataclass
class ReportSent(Message, bubble=False):
    stored: StoredReport


@dataclass
class StoredListed(Message, bubble=False):
    """The reports built for sending, newest first (the history)."""

    rows: list[StoredReport]
