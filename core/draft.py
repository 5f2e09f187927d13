"""An audit draft being typed: what the auditor has on screen against what core last
saved, and what to save next.

The checklist screen (``tui/screens/checklist.py``) is a view over one ``Draft``. It
puts what is on screen into a ``Form``, tells the draft of every edit, and asks it
what to save; a thread runs the ``Save`` (``core.audit.fill_audit`` against the version
the draft last saw) and the draft takes the outcome (``Draft.finish``). Nothing here
knows of screens, threads or timers, so the rules are tested on their own
(tests/test_draft.py):

- Only what differs from the saved audit is sent (a partial fill), never a rating
  cleared to nothing, never the actions while a due date is half typed.
- A save is due ``SAVE_DEBOUNCE`` seconds after the last edit, and never later than
  ``SAVE_MAX_WAIT`` after the first unsaved one, however long the typing goes on.
- One save at a time; what is typed while one runs is saved after it.
- A save against a version someone else has moved on is refused by core
  (``Conflict``): nothing is overwritten and saving stops until the audit is reloaded.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .audit import Action, Audit, RatingEntry, fill_audit
from .context import Context
from .errors import Conflict

# The design asks for a saved draft within 2 seconds of typing.
SAVE_DEBOUNCE = 1.0  # seconds after the last change
SAVE_MAX_WAIT = 1.5  # seconds after the first unsaved change, even while typing goes on
MIN_DELAY = 0.05  # a due save still waits this long, so a burst of keys lands in one save

ACTION_FIELDS = ("owner_role", "description", "due")


@dataclass
class Form:
    """What the checklist shows, in the terms ``fill_audit`` takes."""

    ratings: dict[str, dict] = field(default_factory=dict)  # {standard_id: {"rating", "evidence"}}
    overview: str = ""
    positive_practice: str = ""
    actions: list[dict] = field(default_factory=list)  # {"owner_role", "description", "due", "action_id"?}
    actions_ready: bool = True  # every due date typed reads as a date

    @classmethod
    def of(cls, audit: Audit) -> Form:
        """The form as the audit is stored."""
        actions = []
        for a in audit.actions:
            action = {"owner_role": a.owner_role, "description": a.description,
                      "due": a.due.isoformat() if a.due else None}
            if a.action_id:
                action["action_id"] = a.action_id
            actions.append(action)
        return cls(
            ratings={sid: {"rating": r.rating, "evidence": r.evidence} for sid, r in audit.ratings.items()},
            overview=audit.overview, positive_practice=audit.positive_practice, actions=actions)

    def applied_to(self, audit: Audit) -> Audit:
        """The audit as it would read with this form saved (the live case-note preview)."""
        owners = {"worker": (audit.worker, audit.worker_name),
                  "manager": (audit.manager, audit.manager_name)}
        actions = [
            Action(action_id=a.get("action_id") or 0, position=i, owner_role=a["owner_role"],
                   owner=owners[a["owner_role"]][0], owner_name=owners[a["owner_role"]][1],
                   description=a["description"], due=a["due"])
            for i, a in enumerate(self.actions)
        ]
        ratings = {
            sid: RatingEntry(rating=r["rating"], evidence=r["evidence"],
                             suggested=audit.ratings[sid].suggested if sid in audit.ratings else None)
            for sid, r in self.ratings.items()
        }
        return audit.model_copy(update={"ratings": ratings, "overview": self.overview,
                                        "positive_practice": self.positive_practice, "actions": actions})


@dataclass
class Save:
    """One save: the partial fill sent and the version it was made against.

    ``write`` records what came of it here (the audit as saved, or the error), so the
    outcome can be read even when the message that carries it to the screen can no
    longer be delivered (the screen is closing)."""

    changes: dict
    expected_version: int | None
    saved: Audit | None = None
    error: Exception | None = None

    @property
    def done(self) -> bool:
        return self.saved is not None or self.error is not None

    @property
    def conflict(self) -> bool:
        return isinstance(self.error, Conflict)

    def write(self, ctx: Context, audit_id: int) -> Save:
        """Save through core (blocking: run it in a thread). Never raises: a save that
        fails is an outcome to show, and what was typed stays on screen."""
        try:
            self.saved = fill_audit(ctx, audit_id, self.changes, expected_version=self.expected_version)
        except Exception as exc:  # noqa: BLE001 - shown to the auditor, never a traceback
            self.error = exc
        return self


def _without_ids(actions: list[dict]) -> list[dict]:
    return [{k: a.get(k) for k in ACTION_FIELDS} for a in actions]


class Draft:
    """The saved state of one audit, and what the form holds beyond it."""

    def __init__(self, audit: Audit) -> None:
        self.audit_id = audit.audit_id
        self.version = audit.version
        self.saved_at: str | None = audit.updated_at
        self.read_only = audit.status != "draft"
        self.saved = Form.of(audit)  # what core holds, as far as this draft knows
        self.conflict: str | None = None  # why saving stopped, until reloaded
        self.failure: str | None = None  # the last save's refusal, until one succeeds
        self.saving: Save | None = None  # the save in flight
        self.dirty_since: float | None = None  # when the first unsaved edit was made

    # -- what to send ------------------------------------------------------
    def changes(self, form: Form) -> dict:
        """Only what differs from what core last saved: the partial fill to send."""
        if self.read_only:
            return {}
        saved, out = self.saved, {}
        ratings = {}
        for sid, entry in form.ratings.items():
            before = saved.ratings.get(sid, {})
            diff = {k: v for k, v in entry.items()
                    if v != before.get(k) and not (k == "rating" and v is None)}
            if diff:
                ratings[sid] = diff
        if ratings:
            out["ratings"] = ratings
        for key in ("overview", "positive_practice"):
            if getattr(form, key) != getattr(saved, key):
                out[key] = getattr(form, key)
        if form.actions_ready and _without_ids(form.actions) != _without_ids(saved.actions):
            out["actions"] = copy.deepcopy(form.actions)
        return out

    @property
    def stuck(self) -> bool:
        """Nothing more can be saved from here: read-only, a conflict, or a refusal."""
        return self.read_only or self.conflict is not None or self.failure is not None

    def pending(self, form: Form) -> bool:
        """Something is typed but not saved yet, or a save is running."""
        return self.saving is not None or bool(self.changes(form))

    # -- when ---------------------------------------------------------------
    def edited(self, form: Form, now: float) -> float | None:
        """An edit at ``now`` (monotonic seconds): how long until the save is due, or
        None when there is nothing to save (typed and deleted again) or saving has stopped."""
        if self.read_only or self.conflict is not None:
            return None
        if self.saving is None and not self.changes(form):
            self.dirty_since = None
            return None
        if self.dirty_since is None:
            self.dirty_since = now
        return min(SAVE_DEBOUNCE, max(MIN_DELAY, SAVE_MAX_WAIT - (now - self.dirty_since)))

    def next_save(self, form: Form) -> Save | None:
        """The save to run now; None when nothing differs, one is running, or a conflict
        stopped saving."""
        if self.read_only or self.conflict is not None or self.saving is not None:
            return None
        changes = self.changes(form)
        if not changes:
            self.dirty_since = None
            return None
        self.saving = Save(changes, self.version)
        return self.saving

    # -- what came of it ----------------------------------------------------
    def finish(self, save: Save) -> list[int] | None:
        """Take what came of ``save`` (once: a second call changes nothing). A save that
        never ran is dropped, its changes still pending. Returns the saved actions' ids,
        in order, when the form's actions should adopt them (new ones get their ids)."""
        if save is not self.saving:
            return None
        self.saving = None
        if save.error is not None:
            if save.conflict:
                self.conflict = str(save.error)
            else:
                self.failure = str(save.error) or type(save.error).__name__
            return None
        if save.saved is None:
            return None
        audit = save.saved
        self.failure = None
        self.version = audit.version
        self.saved_at = audit.updated_at or self.saved_at
        self.dirty_since = None
        for sid, diff in save.changes.get("ratings", {}).items():
            self.saved.ratings.setdefault(sid, {}).update(diff)
        for key in ("overview", "positive_practice"):
            if key in save.changes:
                setattr(self.saved, key, save.changes[key])
        if "actions" in save.changes:
            self.saved.actions = save.changes["actions"]
            if len(audit.actions) == len(save.changes["actions"]):
                return [a.action_id for a in audit.actions]
        return None

    @property
    def state(self) -> str:
        """One word for the save indicator: read-only, conflict, saving, failed or saved."""
        if self.read_only:
            return "read-only"
        if self.conflict is not None:
            return "conflict"
        if self.saving is not None:
            return "saving"
        if self.failure is not None:
            return "failed"
        if self.dirty_since is not None:
            return "saving"
        return "saved"
