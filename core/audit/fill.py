"""Filling the checklist: ratings, evidence, overview, positive practice, actions.

Fill data (from the checklist, a JSON or TOML file, ``audit show --json`` echoed back)
is checked by the ``AuditFill`` model: every fault is named by its key path
(``ratings.covid_note.rating``, ``actions[2].due``) and nothing is written. Every save
is one transaction with its event, and bumps ``version``: a save made against an
older version is refused, never merged.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..clock import show_time_of_day
from ..context import Context
from ..errors import (
    Conflict,
    Fault,
    InputError,
    StateError,
    validation_faults,
    validation_message,
)
from ..people import display_name
from ..programme import Programme, toml_fault
from ..store import Tx, actions, audits
from ..vocabulary import AMENDABLE, OWNER_ROLES, RATINGS
from .record import Audit, get_audit, programme_of, require_auditor_of


# --- the fill model ---------------------------------------------------------------
class _Fill(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # What a person may write here, for the fault naming a key that is not.
    EXPECTED: ClassVar[str] = ""


def _must_be(kind: type, what: str) -> Callable[[Any], Any]:
    """A check that a value is a ``kind`` (a table, a list), else the fault 'expected <what>'."""

    def check(v: Any) -> Any:
        if not isinstance(v, kind):
            raise ValueError(f"expected {what}")
        return v

    return check


def _text(v: Any) -> str:
    """Text fields: blank when missing, refused when not text."""
    if v is None:
        return ""
    if not isinstance(v, str):
        raise ValueError("expected text")
    return v


class RatingFill(_Fill):
    """One standard's rating and evidence; either may be left out (it keeps its value)."""

    EXPECTED: ClassVar[str] = "rating or evidence"
    rating: str | None = None
    evidence: str = ""
    suggested: Any = Field(None, exclude=True)  # echoed back from `audit show --json`: ignored

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        if isinstance(data, str):  # shorthand: "covid_note": "met"
            return {"rating": data}
        return _must_be(dict, "{rating, evidence}")(data)

    @field_validator("rating", mode="before")
    @classmethod
    def _rating(cls, v: Any) -> str | None:
        if v in (None, ""):
            return None
        if v not in RATINGS:
            raise ValueError(f"'{v}' is not a rating; use one of {', '.join(RATINGS)}")
        return v

    _evidence = field_validator("evidence", mode="before")(_text)


class ActionFill(_Fill):
    """A recommended action; with ``action_id`` it is that existing action, changed."""

    EXPECTED: ClassVar[str] = "action_id, owner_role, owner, description, due"
    action_id: int | None = None
    owner_role: str
    owner: str | None = None  # blank: the audit's worker or manager, by owner_role
    description: str = ""
    due: date | None = None
    # Echoed back from `audit show --json`: ignored.
    status: Any = Field(None, exclude=True)
    owner_name: Any = Field(None, exclude=True)
    position: Any = Field(None, exclude=True)
    review_due_at: Any = Field(None, exclude=True)

    _shape = model_validator(mode="before")(_must_be(dict, "{owner_role, description, due}"))

    @field_validator("action_id", mode="before")
    @classmethod
    def _action_id(cls, v: Any) -> Any:
        if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
            raise ValueError("expected a whole number")
        return v

    @field_validator("owner_role", mode="before")
    @classmethod
    def _owner_role(cls, v: Any) -> str:
        if v not in OWNER_ROLES:
            raise ValueError(f"'{v}' is not an owner role; use worker or manager")
        return v

    @field_validator("owner", mode="before")
    @classmethod
    def _owner(cls, v: Any) -> str | None:
        return _text(v) or None

    _description = field_validator("description", mode="before")(_text)

    @field_validator("due", mode="before")
    @classmethod
    def _due(cls, v: Any) -> date | None:
        if v in (None, ""):
            return None
        if isinstance(v, datetime):  # TOML 2020-05-12T09:00: a date is wanted
            raise ValueError(f"'{v}' is a date and time; give the date only (YYYY-MM-DD)")
        if isinstance(v, date):
            return v
        try:
            return date.fromisoformat(str(v))
        except ValueError:
            raise ValueError(f"'{v}' is not a date (YYYY-MM-DD)") from None

    def stored(self, owners: dict[str, str | None]) -> dict:
        """The action as its row holds it: the owner filled in from the audit's people."""
        return {"owner_role": self.owner_role, "owner": self.owner or owners[self.owner_role],
                "description": self.description, "due": self.due.isoformat() if self.due else None}


class AuditFill(_Fill):
    """What a save changes. A field left out keeps its value; ``actions``, when given,
    is the whole list (an entry with ``action_id`` keeps that action's row)."""

    EXPECTED: ClassVar[str] = "one of ratings, overview, positive_practice, actions"
    ratings: dict[str, RatingFill] = {}
    overview: str = ""
    positive_practice: str = ""
    actions: list[ActionFill] = []

    _ratings = field_validator("ratings", mode="before")(
        _must_be(dict, "a table of standard id -> {rating, evidence}"))
    _actions = field_validator("actions", mode="before")(_must_be(list, "a list of {owner_role, description, due}"))

    _text_fields = field_validator("overview", "positive_practice", mode="before")(_text)

    @classmethod
    def parse(cls, data: Any, programme: Programme, source: str) -> AuditFill:
        """Fill data (a dict, or an AuditFill built by a caller) checked against the audit's
        programme; InputError lists every fault."""
        if isinstance(data, AuditFill):
            data = data.model_dump(exclude_unset=True)
        if not isinstance(data, dict):
            raise InputError(source, "expected a table/object of audit fields")
        ratings = data.get("ratings")
        unknown = [sid for sid in ratings if not programme.standard(sid)] if isinstance(ratings, dict) else []
        faults = [Fault(None, f"ratings.{sid}", f"no standard '{sid}' in programme {programme.id}"
                                                f" (standards: {', '.join(programme.standard_ids)})")
                  for sid in unknown]
        try:
            fill = cls.model_validate(data)
        except ValidationError as exc:
            # An unknown standard is one fault; what its entry holds is not looked at.
            faults += validation_faults(exc, _describe, skip=lambda loc: loc[:1] == ("ratings",)
                                        and len(loc) > 1 and loc[1] in unknown)
        if faults:
            raise InputError(source, faults)
        return fill


def _describe(err: dict) -> str:
    """How a fill fault reads: the validators' own words; an unknown or missing key says what is wanted."""
    loc = err["loc"]
    if err["type"] == "extra_forbidden":
        model = AuditFill if len(loc) == 1 else RatingFill if loc[0] == "ratings" else ActionFill
        return f"unknown field; expected {model.EXPECTED}"
    if err["type"] == "missing" and loc[-1] == "owner_role":
        return "missing; use worker or manager"
    return validation_message(err)


# --- saving -----------------------------------------------------------------------
def fill_audit(ctx: Context, audit_id: int, data: dict | AuditFill, *, expected_version: int | None = None,
               source: str = "input", amendment_reason: str | None = None) -> Audit:
    """Save what ``data`` names (a partial dict, or an ``AuditFill``, changes only those fields).

    Only the audit's own auditor may fill it. Drafts change freely; a submitted or
    queried audit only with an ``amendment_reason`` (the change is an 'amended'
    event); a finalised audit never. With ``expected_version``, a save against an
    older version is a Conflict and nothing is written. Bad data is an InputError
    naming each field (``ratings.covid_note.rating``) and nothing is written.
    """
    current = get_audit(ctx, audit_id)
    require_auditor_of(ctx, current, "change")
    fill = AuditFill.parse(data, programme_of(ctx, audit_id), source)
    with ctx.tx() as tx:
        row = audits.get(tx, audit_id)
        if row["status"] == "finalised":
            raise StateError(f"audit {audit_id} is finalised: finalised audits are read-only; add an addendum")
        amending = row["status"] in AMENDABLE
        if amending and not (amendment_reason or "").strip():
            raise StateError(f"audit {audit_id} is {row['status']}: amending it needs a reason")
        if expected_version is not None and expected_version != row["version"]:
            raise Conflict(f"audit {audit_id} was changed by {display_name(ctx, row['updated_by'])}"
                           f" at {show_time_of_day(row['updated_at'])}"
                           f" (version {row['version']}); your changes were not saved")
        fresh = get_audit(ctx, audit_id)
        before, after = _changes(tx, fresh, fill, source)
        if not after:
            return fresh  # nothing changed: no new version, no event
        version = row["version"] + 1
        audits.saved(tx, audit_id, version=version, by=ctx.user)
        after["version"] = version
        if amending:
            after["reason"] = amendment_reason.strip()
        tx.event("audit", audit_id, "amended" if amending else "saved", before=before, after=after)
    return get_audit(ctx, audit_id)


def _changes(tx: Tx, audit: Audit, fill: AuditFill, source: str) -> tuple[dict, dict]:
    """Write what ``fill`` changes; (before, after) of each changed field for the event."""
    before: dict = {}
    after: dict = {}
    for sid, entry in fill.ratings.items():
        old = {"rating": audit.ratings[sid].rating, "evidence": audit.ratings[sid].evidence}
        new = old | entry.model_dump(include=entry.model_fields_set & {"rating", "evidence"})
        if new != old:
            before[f"ratings.{sid}"], after[f"ratings.{sid}"] = old, new
            audits.set_rating(tx, audit.audit_id, sid, new["rating"], new["evidence"])
    for key in ("overview", "positive_practice"):
        value = getattr(fill, key)
        if key in fill.model_fields_set and value != getattr(audit, key):
            before[key], after[key] = getattr(audit, key), value
            audits.set_text(tx, audit.audit_id, key, value)
    if "actions" in fill.model_fields_set:
        old_actions, new_actions = _replace_actions(tx, audit, fill.actions, source)
        if old_actions != new_actions:
            before["actions"], after["actions"] = old_actions, new_actions
    return before, after


def _replace_actions(tx: Tx, audit: Audit, wanted: list[ActionFill], source: str) -> tuple[list, list]:
    """Make the audit's actions the ``wanted`` list; an entry with ``action_id`` keeps its row."""
    existing = {a.action_id: a for a in audit.actions}
    faults = [Fault(None, f"actions[{i}].action_id", f"no action {w.action_id} on audit {audit.audit_id}")
              for i, w in enumerate(wanted, start=1)
              if w.action_id is not None and w.action_id not in existing]
    if faults:
        raise InputError(source, faults)
    before = [{"owner_role": a.owner_role, "owner": a.owner, "description": a.description,
               "due": a.due.isoformat() if a.due else None} for a in audit.actions]
    keep = {w.action_id for w in wanted if w.action_id is not None}
    for action_id in existing.keys() - keep:
        if actions.reviewed(tx, action_id):
            raise StateError(f"action {action_id} has been reviewed and cannot be removed")
        actions.delete(tx, action_id)
    owners = {"worker": audit.worker, "manager": audit.manager}
    after = []
    for pos, w in enumerate(wanted):
        row = w.stored(owners)
        if w.action_id is not None:
            actions.update(tx, w.action_id, position=pos, **row)
        else:
            actions.insert(tx, audit_id=audit.audit_id, position=pos, review_due_at=audit.review_due_at, **row)
        after.append(row)
    return before, after


# Python's parsers recurse per level of nesting; an audit has three levels at most.
NESTED_TOO_DEEP = "nested too deeply to be an audit (lists or tables inside each other thousands deep)"


def read_fill_file(path: str | Path) -> dict:
    """Fill data from a JSON or TOML file (by extension); syntax errors name the line."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(source, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(source, f"cannot read: {exc}") from None
    if path.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(source, toml_fault(exc)) from None
        except RecursionError:
            raise InputError(source, NESTED_TOO_DEEP) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(source, Fault(exc.lineno, f"character {exc.colno}",
                                       f"not valid JSON: {exc.msg}")) from None
    except RecursionError:
        raise InputError(source, NESTED_TOO_DEEP) from None
