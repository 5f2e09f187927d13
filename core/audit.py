"""The audit: start from the queue, fill the checklist, submit.

An audit snapshots, at start, the child's worker, their supervising manager, the
team, the date and the programme it uses, so later changes to the caseload or the
programme never change it. Every save is one transaction with its event, and bumps
``version``: a save made against an older version is refused, never merged.
"""

from __future__ import annotations

import json
import sqlite3
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .clock import from_iso, iso, local, show, today
from .context import Context
from .errors import Conflict, Fault, InputError, NotFound, PermissionDenied, StateError
from .models import initials
from .people import display_name, get_person, require_role, roles_of
from .prechecks import Suggestion, run_prechecks
from .programme import Programme, Standard, load_programme, toml_fault

RATINGS = ("met", "partly_met", "not_met", "not_applicable")
RATING_LABELS = {
    "met": "Met",
    "partly_met": "Partly met",
    "not_met": "Not met",
    "not_applicable": "Not applicable",
}
# A standard counts as met for the overall verdict when it is met or does not apply.
MET_OR_NA = ("met", "not_applicable")
# Ratings the guidance expects to be backed by evidence of the gap.
NEEDS_EVIDENCE = ("not_met", "partly_met")
OWNER_ROLES = ("worker", "manager")
STATUSES = ("draft", "submitted", "queried", "finalised")
LIVE_QUEUE = ("queued", "claimed", "in_progress")


# --- models ---------------------------------------------------------------------
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




def programme_of(ctx: Context, audit_id: int) -> Programme:
    """The programme snapshot an audit was started with."""
    raw = ctx.store.scalar("SELECT programme FROM audits WHERE audit_id = ?", [audit_id])
    if raw is None:
        raise NotFound(f"no audit {audit_id}")
    return Programme.model_validate_json(raw)


def _standards_met(programme: Programme, ratings: dict[str, RatingEntry]) -> bool:
    return all(ratings.get(s.id) and ratings[s.id].rating in MET_OR_NA for s in programme.standards)


def get_audit(ctx: Context, audit_id: int) -> Audit:
    row = ctx.store.one("SELECT * FROM audits WHERE audit_id = ?", [audit_id])
    if not row:
        raise NotFound(f"no audit {audit_id}")
    programme = Programme.model_validate_json(row["programme"])
    pre = json.loads(row["prechecks"] or "{}")
    suggestions = pre.get("suggestions", {})
    stored = {r["standard_id"]: r for r in ctx.store.query(
        "SELECT standard_id, rating, evidence FROM ratings WHERE audit_id = ?", [audit_id])}
    ratings = {}
    for s in programme.standards:
        r = stored.get(s.id, {})
        sug = suggestions.get(s.id)
        ratings[s.id] = RatingEntry(rating=r.get("rating"), evidence=r.get("evidence") or "",
                                    suggested=Suggestion(**sug) if sug else None)
    actions = [
        Action(**{k: a[k] for k in ("action_id", "position", "owner_role", "owner", "description",
                                    "due", "status", "review_due_at")},
               owner_name=display_name(ctx, a["owner"]))
        for a in ctx.store.query(
            "SELECT * FROM actions WHERE audit_id = ? ORDER BY position, action_id", [audit_id])
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
        overview=row["overview"], positive_practice=row["positive_practice"], actions=actions,
        prechecks_at=pre.get("computed_at"),
        standards_met=_standards_met(programme, ratings),
        version=row["version"], updated_at=row["updated_at"], updated_by=row["updated_by"],
    )


def list_audits(ctx: Context, *, status: str | None = None, auditor: str | None = None,
                child_id: str | None = None) -> list[dict]:
    """Audits, newest first, with ``standards_met`` derived from their ratings."""
    where, params = [], []
    for col, val in (("a.status", status), ("a.auditor", auditor), ("a.child_id", child_id)):
        if val is not None:
            where.append(f"{col} = ?")
            params.append(val)
    sql = (
        "SELECT a.audit_id, a.queue_id, a.child_id, a.status, a.auditor, a.worker, a.manager, a.team,"
        " a.audit_date, a.started_at, a.submitted_at, a.finalised_at, a.review_due_at,"
        " a.programme_id, a.programme_version, a.version, a.updated_at,"
        " NOT EXISTS (SELECT 1 FROM ratings r WHERE r.audit_id = a.audit_id"
        "   AND (r.rating IS NULL OR r.rating NOT IN ('met', 'not_applicable'))) AS standards_met,"
        " (SELECT COUNT(*) FROM actions x WHERE x.audit_id = a.audit_id) AS actions"
        " FROM audits a"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY a.audit_id DESC"
    rows = ctx.store.query(sql, params)
    for r in rows:
        r["standards_met"] = bool(r["standards_met"])
    return rows


# --- start ----------------------------------------------------------------------
def _resolve(ctx: Context, ref: str) -> tuple[str, dict | None]:
    """A ref is a queue id (digits, when such a queue item exists) or a child id."""
    ref = str(ref).strip()
    if ref.isdigit():
        item = ctx.store.one("SELECT * FROM queue_items WHERE queue_id = ?", [int(ref)])
        if item:
            if item["status"] not in LIVE_QUEUE:
                by_child = ctx.store.one(
                    "SELECT * FROM queue_items WHERE child_id = ? AND status IN (?, ?, ?)",
                    [item["child_id"], *LIVE_QUEUE])
                if not by_child:
                    done = f" (audit {item['audit_id']})" if item["audit_id"] else ""
                    raise StateError(f"queue item {ref} is {item['status']}{done}")
                item = by_child
            return item["child_id"], item
    child = ctx.store.one("SELECT child_id FROM children WHERE child_id = ?", [ref])
    if not child:
        raise NotFound(f"no queue item or child '{ref}'")
    item = ctx.store.one(
        "SELECT * FROM queue_items WHERE child_id = ? AND status IN (?, ?, ?)", [ref, *LIVE_QUEUE])
    return ref, item


def start_audit(ctx: Context, ref: str) -> Audit:
    """Start (or resume) an audit of a child, from a queue id or a child id.

    Only an auditor may start. Starting claims the child's live queue item; an item
    claimed by someone else, or another auditor's draft of the child, is a Conflict.
    The auditor's own draft of the child is resumed. A child with no queue item may
    still be audited ad hoc.
    """
    require_role(ctx, "auditor", doing="start an audit")
    child_id, _ = _resolve(ctx, ref)
    programme = load_programme(ctx.settings)
    audit_date = today(ctx.clock)
    with ctx.tx() as tx:
        # Re-read inside the write lock: another auditor may have just claimed the child.
        draft = ctx.store.one("SELECT audit_id, auditor FROM audits WHERE child_id = ? AND status = 'draft'",
                              [child_id])
        if draft and draft["auditor"] == ctx.user:
            resume_id = draft["audit_id"]
        else:
            resume_id = None
            if draft:
                raise Conflict(f"child {child_id} already has a draft audit {draft['audit_id']}"
                               f" by {display_name(ctx, draft['auditor'])} ({draft['auditor']})")
            item = ctx.store.one("SELECT * FROM queue_items WHERE child_id = ? AND status IN (?, ?, ?)",
                                 [child_id, *LIVE_QUEUE])
            if item and item["claimed_by"] and item["claimed_by"] != ctx.user:
                raise Conflict(f"queue item {item['queue_id']} (child {child_id}) is claimed by"
                               f" {display_name(ctx, item['claimed_by'])} ({item['claimed_by']})")
            # The queue's own rule (core.queue.claim): an item drawn for another auditor is theirs.
            if (item and item["auditor"] and item["auditor"] != ctx.user
                    and item["claimed_by"] != ctx.user and "admin" not in roles_of(ctx, ctx.user)):
                raise PermissionDenied(f"queue item {item['queue_id']} (child {child_id}) is assigned to"
                                       f" {item['auditor']}; only they or an admin may start it")
            child = ctx.store.one("SELECT * FROM children WHERE child_id = ?", [child_id])
            worker = child["worker_login"] or child["worker"]
            person = get_person(ctx, worker) if worker else None
            manager = person["manager"] if person else None
            pre = run_prechecks(ctx, programme, child_id, audit_date)
            try:
                cur = tx.execute(
                    "INSERT INTO audits (queue_id, child_id, auditor, programme_id, programme_version,"
                    " programme, status, worker, manager, team, audit_date, started_at, prechecks,"
                    " version, updated_at, updated_by)"
                    " VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                    [item["queue_id"] if item else None, child_id, ctx.user, programme.id,
                     programme.version, programme.model_dump_json(), worker, manager, child["team"],
                     audit_date.isoformat(), tx.at, _prechecks_json(pre, tx.at), tx.at, ctx.user],
                )
            except sqlite3.IntegrityError as exc:
                raise Conflict(f"child {child_id} already has a draft audit") from exc
            audit_id = cur.lastrowid
            tx.execute(
                "INSERT INTO ratings (audit_id, standard_id) VALUES " +
                ", ".join("(?, ?)" for _ in programme.standards),
                [v for s in programme.standards for v in (audit_id, s.id)],
            )
            if item:
                tx.execute(
                    "UPDATE queue_items SET status = 'in_progress', audit_id = ?, claimed_by = ?,"
                    " claimed_at = COALESCE(claimed_at, ?), updated_at = ? WHERE queue_id = ?",
                    [audit_id, ctx.user, tx.at, tx.at, item["queue_id"]],
                )
                tx.event("queue_item", item["queue_id"], "started",
                         before={"status": item["status"], "claimed_by": item["claimed_by"]},
                         after={"status": "in_progress", "claimed_by": ctx.user, "audit_id": audit_id})
            tx.event("audit", audit_id, "started", after={
                "child_id": child_id, "queue_id": item["queue_id"] if item else None,
                "programme": f"{programme.id} v{programme.version}", "worker": worker,
                "manager": manager, "audit_date": audit_date.isoformat()})
    return get_audit(ctx, resume_id or audit_id)


def _prechecks_json(pre: dict[str, Suggestion], at: str) -> str:
    return json.dumps({"computed_at": at,
                       "suggestions": {k: v.model_dump() for k, v in pre.items()}}, sort_keys=True)


def refresh_prechecks(ctx: Context, audit_id: int) -> Audit:
    """Recompute the suggestions from the case notes now on record (drafts only; the
    auditor's own ratings are untouched and ``version`` does not change)."""
    audit = get_audit(ctx, audit_id)
    _require_own(ctx, audit, "refresh the pre-checks of")
    if audit.status != "draft":
        raise StateError(f"audit {audit_id} is {audit.status}: pre-checks are refreshed on drafts only")
    pre = run_prechecks(ctx, programme_of(ctx, audit_id), audit.child_id, audit.audit_date)
    with ctx.tx() as tx:
        tx.execute("UPDATE audits SET prechecks = ? WHERE audit_id = ?",
                   [_prechecks_json(pre, tx.at), audit_id])
        tx.event("audit", audit_id, "prechecks_refreshed",
                 after={k: v.rating for k, v in pre.items()})
    return get_audit(ctx, audit_id)


def _require_own(ctx: Context, audit: Audit | dict, doing: str) -> None:
    auditor = audit.auditor if isinstance(audit, Audit) else audit["auditor"]
    audit_id = audit.audit_id if isinstance(audit, Audit) else audit["audit_id"]
    if auditor != ctx.user:
        raise PermissionDenied(f"{ctx.user} may not {doing} audit {audit_id}:"
                               f" it belongs to {display_name(ctx, auditor)} ({auditor})")


# --- fill -----------------------------------------------------------------------
_TOP_KEYS = ("ratings", "overview", "positive_practice", "actions")
_ACTION_KEYS = ("action_id", "owner_role", "owner", "description", "due")


def _validate(data: Any, programme: Programme, source: str) -> tuple[dict, list[Fault]]:
    """Check the shape of fill data; return it normalised, with every fault by key path."""
    faults: list[Fault] = []

    def fault(col: str, msg: str) -> None:
        faults.append(Fault(None, col, msg))

    if not isinstance(data, dict):
        return {}, [Fault(None, None, "expected a table/object of audit fields")]
    out: dict = {}
    for key in data:
        if key not in _TOP_KEYS:
            fault(key, f"unknown field; expected one of {', '.join(_TOP_KEYS)}")
    if "ratings" in data:
        ratings = data["ratings"]
        if not isinstance(ratings, dict):
            fault("ratings", "expected a table of standard id -> {rating, evidence}")
        else:
            out["ratings"] = {}
            for sid, entry in ratings.items():
                col = f"ratings.{sid}"
                if not programme.standard(sid):
                    fault(col, f"no standard '{sid}' in programme {programme.id}"
                               f" (standards: {', '.join(programme.standard_ids)})")
                    continue
                if isinstance(entry, str):  # shorthand: "covid_note": "met"
                    entry = {"rating": entry}
                if not isinstance(entry, dict):
                    fault(col, "expected {rating, evidence}")
                    continue
                clean = {}
                for k, v in entry.items():
                    if k == "rating":
                        if v in (None, ""):
                            clean["rating"] = None
                        elif v not in RATINGS:
                            fault(f"{col}.rating", f"'{v}' is not a rating; use one of {', '.join(RATINGS)}")
                        else:
                            clean["rating"] = v
                    elif k == "evidence":
                        if v is None:
                            v = ""
                        if not isinstance(v, str):
                            fault(f"{col}.evidence", "expected text")
                        else:
                            clean["evidence"] = v
                    elif k != "suggested":  # echoed back from `audit show --json`: ignored
                        fault(f"{col}.{k}", "unknown field; expected rating or evidence")
                out["ratings"][sid] = clean
    for key in ("overview", "positive_practice"):
        if key in data:
            v = "" if data[key] is None else data[key]
            if not isinstance(v, str):
                fault(key, "expected text")
            else:
                out[key] = v
    if "actions" in data:
        actions = data["actions"]
        if not isinstance(actions, list):
            fault("actions", "expected a list of {owner_role, description, due}")
        else:
            out["actions"] = []
            for i, a in enumerate(actions, start=1):
                col = f"actions[{i}]"
                if not isinstance(a, dict):
                    fault(col, "expected {owner_role, description, due}")
                    continue
                clean = {"action_id": None, "owner_role": None, "owner": None,
                         "description": "", "due": None}
                for k, v in a.items():
                    if k not in _ACTION_KEYS:
                        if k not in ("status", "owner_name", "position", "review_due_at"):
                            fault(f"{col}.{k}", f"unknown field; expected {', '.join(_ACTION_KEYS)}")
                    elif k == "action_id":
                        if v is not None and (not isinstance(v, int) or isinstance(v, bool)):
                            fault(f"{col}.action_id", "expected a whole number")
                        else:
                            clean[k] = v
                    elif k == "owner_role":
                        if v not in OWNER_ROLES:
                            fault(f"{col}.owner_role", f"'{v}' is not an owner role; use worker or manager")
                        else:
                            clean[k] = v
                    elif k == "due":
                        if v in (None, ""):
                            clean[k] = None
                        elif isinstance(v, datetime):  # TOML 2020-05-12T09:00: a date is wanted
                            fault(f"{col}.due", f"'{v}' is a date and time; give the date only (YYYY-MM-DD)")
                        elif isinstance(v, date):
                            clean[k] = v
                        else:
                            try:
                                clean[k] = date.fromisoformat(str(v))
                            except ValueError:
                                fault(f"{col}.due", f"'{v}' is not a date (YYYY-MM-DD)")
                    else:
                        if v is not None and not isinstance(v, str):
                            fault(f"{col}.{k}", "expected text")
                        else:
                            clean[k] = v or ("" if k == "description" else None)
                if "owner_role" not in a:
                    fault(f"{col}.owner_role", "missing; use worker or manager")
                out["actions"].append(clean)
    return out, faults


def fill_audit(ctx: Context, audit_id: int, data: dict, *, expected_version: int | None = None,
               source: str = "input", amendment_reason: str | None = None) -> Audit:
    """Save what ``data`` names (a partial dict changes only those fields).

    Only the audit's own auditor may fill it. Drafts change freely; a submitted or
    queried audit only with an ``amendment_reason`` (the change is an 'amended'
    event); a finalised audit never. With ``expected_version``, a save against an
    older version is a Conflict and nothing is written. Bad data is an InputError
    naming each field (``ratings.covid_note.rating``) and nothing is written.
    """
    current = get_audit(ctx, audit_id)
    _require_own(ctx, current, "change")
    programme = programme_of(ctx, audit_id)
    clean, faults = _validate(data, programme, source)
    if faults:
        raise InputError(source, faults)
    with ctx.tx() as tx:
        row = ctx.store.one("SELECT * FROM audits WHERE audit_id = ?", [audit_id])
        if row["status"] == "finalised":
            raise StateError(f"audit {audit_id} is finalised: finalised audits are read-only; add an addendum")
        amending = row["status"] in ("submitted", "queried")
        if amending and not (amendment_reason or "").strip():
            raise StateError(f"audit {audit_id} is {row['status']}: amending it needs a reason")
        if expected_version is not None and expected_version != row["version"]:
            at = local(from_iso(row["updated_at"])).strftime("%H:%M")
            raise Conflict(f"audit {audit_id} was changed by {display_name(ctx, row['updated_by'])} at {at}"
                           f" (version {row['version']}); your changes were not saved")
        before: dict = {}
        after: dict = {}
        fresh = get_audit(ctx, audit_id)
        for sid, entry in clean.get("ratings", {}).items():
            old = fresh.ratings[sid]
            new = {"rating": entry.get("rating", old.rating), "evidence": entry.get("evidence", old.evidence)}
            if new != {"rating": old.rating, "evidence": old.evidence}:
                before[f"ratings.{sid}"] = {"rating": old.rating, "evidence": old.evidence}
                after[f"ratings.{sid}"] = new
                tx.execute("UPDATE ratings SET rating = ?, evidence = ? WHERE audit_id = ? AND standard_id = ?",
                           [new["rating"], new["evidence"], audit_id, sid])
        for key in ("overview", "positive_practice"):
            if key in clean and clean[key] != row[key]:
                before[key], after[key] = row[key], clean[key]
                tx.execute(f"UPDATE audits SET {key} = ? WHERE audit_id = ?", [clean[key], audit_id])
        if "actions" in clean:
            old_actions, new_actions = _replace_actions(ctx, tx, fresh, clean["actions"], source)
            if old_actions != new_actions:
                before["actions"], after["actions"] = old_actions, new_actions
        if not after:
            return fresh  # nothing changed: no new version, no event
        version = row["version"] + 1
        tx.execute("UPDATE audits SET version = ?, updated_at = ?, updated_by = ? WHERE audit_id = ?",
                   [version, tx.at, ctx.user, audit_id])
        after["version"] = version
        if amending:
            after["reason"] = amendment_reason.strip()
        tx.event("audit", audit_id, "amended" if amending else "saved", before=before, after=after)
    return get_audit(ctx, audit_id)


def _action_view(a: dict) -> dict:
    due = a["due"]
    return {"owner_role": a["owner_role"], "owner": a["owner"], "description": a["description"],
            "due": due.isoformat() if isinstance(due, date) else due}


def _replace_actions(ctx: Context, tx, audit: Audit, wanted: list[dict], source: str) -> tuple[list, list]:
    """Make the audit's actions the ``wanted`` list; an entry with ``action_id`` keeps its row."""
    existing = {a.action_id: a for a in audit.actions}
    faults = [Fault(None, f"actions[{i}].action_id", f"no action {w['action_id']} on audit {audit.audit_id}")
              for i, w in enumerate(wanted, start=1)
              if w["action_id"] is not None and w["action_id"] not in existing]
    if faults:
        raise InputError(source, faults)
    before = [_action_view(a.model_dump()) for a in audit.actions]
    keep = {w["action_id"] for w in wanted if w["action_id"] is not None}
    for action_id in existing.keys() - keep:
        if ctx.store.scalar("SELECT 1 FROM action_reviews WHERE action_id = ?", [action_id]):
            raise StateError(f"action {action_id} has been reviewed and cannot be removed")
        tx.execute("DELETE FROM actions WHERE action_id = ?", [action_id])
    owners = {"worker": audit.worker, "manager": audit.manager}
    after = []
    for pos, w in enumerate(wanted):
        owner = w["owner"] or owners[w["owner_role"]]
        due = w["due"].isoformat() if w["due"] else None
        if w["action_id"] is not None:
            tx.execute("UPDATE actions SET position = ?, owner_role = ?, owner = ?, description = ?,"
                       " due = ?, updated_at = ? WHERE action_id = ?",
                       [pos, w["owner_role"], owner, w["description"], due, tx.at, w["action_id"]])
        else:
            tx.execute("INSERT INTO actions (audit_id, position, owner_role, owner, description, due,"
                       " status, review_due_at, created_at, updated_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)",
                       [audit.audit_id, pos, w["owner_role"], owner, w["description"], due,
                        audit.review_due_at, tx.at, tx.at])
        after.append({"owner_role": w["owner_role"], "owner": owner, "description": w["description"],
                      "due": due})
    return before, after


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
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(source, Fault(exc.lineno, f"character {exc.colno}",
                                       f"not valid JSON: {exc.msg}")) from None


# --- submit ---------------------------------------------------------------------
def submission_gaps(ctx_or_audit: Context | Audit, audit: Audit | None = None) -> list[str]:
    """Everything that stops an audit being submitted, one line each.

    Every standard rated; evidence for anything not met or partly met; the overview
    written; every action with an owner, a description and a due date after the
    audit date. Called as ``submission_gaps(ctx, audit)`` or ``submission_gaps(audit)``.
    """
    audit = audit if audit is not None else ctx_or_audit
    gaps = []
    for s in audit.standards:
        r = audit.ratings.get(s.id) or RatingEntry()
        if not r.rating:
            gaps.append(f"{s.title}: not rated")
        elif r.rating in NEEDS_EVIDENCE and not r.evidence.strip():
            gaps.append(f"{s.title}: evidence is needed for '{RATING_LABELS[r.rating]}'")
    if not audit.overview.strip():
        gaps.append("overview: not written")
    for i, a in enumerate(audit.actions, start=1):
        what = f"action {i} ({a.owner_role})"
        if not a.owner:
            gaps.append(f"{what}: no owner (no {a.owner_role} known for this child)")
        if not a.description.strip():
            gaps.append(f"{what}: no description of what must be done")
        if not a.due:
            gaps.append(f"{what}: no due date")
        elif a.due <= audit.audit_date:
            gaps.append(f"{what}: due {a.due.isoformat()} is not after the audit date"
                        f" {audit.audit_date.isoformat()}")
    return gaps


def submission_recipients(ctx: Context, audit: Audit) -> list[dict]:
    """Who a submission alerts: the worker and the supervising manager. Each entry has
    login, role, name, ``alerted`` (in the people directory, so a message can reach
    them) and ``problem`` (why not), so the auditor knows before submitting when
    someone cannot be told and must be contacted another way."""
    out: list[dict] = []
    for login, role, label in ((audit.worker, "worker", "social worker"),
                               (audit.manager, "manager", "supervising manager")):
        entry = {"login": login, "role": role, "name": None, "alerted": False, "problem": None}
        if not login:
            entry["problem"] = (f"no {label} is recorded for this child" if role == "worker" else
                                f"no {label} is recorded for {audit.worker or 'the worker'}"
                                " in the people directory")
        elif any(e["login"] == login for e in out):
            continue  # the worker is their own manager: one message
        else:
            person = ctx.store.one("SELECT name FROM people WHERE login = ?", [login])
            if person:
                entry.update(name=person["name"], alerted=True)
            else:
                entry["problem"] = f"the {label} '{login}' is not in the people directory"
        out.append(entry)
    return out


def submit_audit(ctx: Context, audit_id: int) -> Audit:
    """Submit a complete draft: one transaction sets the status, the review due date
    (submitted + ``review_after_days``) on the audit and its actions, closes the queue
    item, writes the event and alerts the worker and supervising manager (outbox),
    inviting comments within ``comment_window_hours``. Refuses, listing every gap,
    unless complete. Only the audit's own auditor may submit.
    """
    wf = ctx.settings.workflow
    with ctx.tx() as tx:
        audit = get_audit(ctx, audit_id)
        _require_own(ctx, audit, "submit")
        if audit.status != "draft":
            raise StateError(f"audit {audit_id} is already {audit.status}")
        gaps = submission_gaps(audit)
        if gaps:
            raise StateError(f"audit {audit_id} cannot be submitted yet ({len(gaps)} to do):\n"
                             + "\n".join(f"- {g}" for g in gaps))
        submitted = tx.now
        review_due = iso(submitted + timedelta(days=wf.review_after_days))
        deadline = iso(submitted + timedelta(hours=wf.comment_window_hours))
        tx.execute("UPDATE audits SET status = 'submitted', submitted_at = ?, review_due_at = ?,"
                   " version = version + 1, updated_at = ?, updated_by = ? WHERE audit_id = ?",
                   [tx.at, review_due, tx.at, ctx.user, audit_id])
        tx.execute("UPDATE actions SET review_due_at = ?, updated_at = ? WHERE audit_id = ?",
                   [review_due, tx.at, audit_id])
        items = ctx.store.query(
            "SELECT queue_id, status FROM queue_items WHERE (audit_id = ? OR queue_id = ?)"
            " AND status IN (?, ?, ?)", [audit_id, audit.queue_id, *LIVE_QUEUE])
        for item in items:
            tx.execute("UPDATE queue_items SET status = 'done', audit_id = ?, updated_at = ?"
                       " WHERE queue_id = ?", [audit_id, tx.at, item["queue_id"]])
            tx.event("queue_item", item["queue_id"], "done", before={"status": item["status"]},
                     after={"status": "done", "audit_id": audit_id})
        child = ctx.store.one("SELECT name FROM children WHERE child_id = ?", [audit.child_id]) or {}
        payload = {
            "audit_id": audit_id,
            "child_id": audit.child_id,
            "child_initials": initials(child.get("name")),
            "auditor": audit.auditor,
            "auditor_name": audit.auditor_name,
            "submitted_at": tx.at,
            "submitted_at_local": show(submitted),
            "comment_deadline": deadline,
            "comment_deadline_local": show(deadline),
            "comment_window_hours": wf.comment_window_hours,
            "standards_met": audit.standards_met,
            "actions": len(audit.actions),
        }
        if ctx.settings.notify.full_names:
            payload["child_name"] = child.get("name")
        # Only people in the directory can be reached; who could not be is on the trail
        # (and was shown to the auditor before submitting: submission_recipients).
        alerted, not_alerted = [], []
        for r in submission_recipients(ctx, audit):
            if not r["alerted"]:
                not_alerted.append(r["problem"])
                continue
            tx.outbox(r["login"], "audit_submitted", {**payload, "recipient_role": r["role"]},
                      f"audit:{audit_id}:submitted:{r['login']}", recipient_role=r["role"],
                      entity="audit", entity_id=audit_id)
            alerted.append(r["login"])
        tx.event("audit", audit_id, "submitted", before={"status": "draft"}, after={
            "status": "submitted", "review_due_at": review_due, "comment_deadline": deadline,
            "standards_met": audit.standards_met, "actions": len(audit.actions), "alerted": alerted,
            "not_alerted": not_alerted})
    return get_audit(ctx, audit_id)
