"""The rules a council's year must keep, checked from the database (reads only).

``Invariants(ctx)`` watches a database while something (the simulated year in
``simulation.py``, or a test breaking a rule on purpose) changes it through the
services: call ``after_tick(at)`` right after each scheduler run at clock time
``at``, then ``figures()`` at the end. Each figure counts the things that broke its
rule and must be 0; the informational ones (``must_be_zero=False``) are printed
beside them. Nothing here writes, and nothing calls the code it checks: every rule
is read back from the rows the services wrote (audits, comments, escalations,
actions, the event trail, the outbox, the stored reports), so a checker cannot pass
because the code it checks says so.

Times are compared exactly: stored times are whole UTC seconds, and the scheduler's
clock may carry a fraction (``strictly_before``).
"""

from __future__ import annotations

import importlib.util
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.clock import from_iso, iso, local
from core.context import Context
from core.reports.periods import KINDS, latest_slot, next_slot, slot_period
from core.vocabulary import SYSTEM
from core.workdays import is_working_day

REPORT_TEMPLATES = {"report_smt": "smt", "report_weekly": "weekly"}
SHOWN = 5  # offending ids kept per figure, to name in a failure


@dataclass
class Figure:
    """One line of the result: what was counted, how many, and whether it must be 0."""

    name: str
    value: int
    must_be_zero: bool = True
    examples: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.must_be_zero or self.value == 0

    def line(self) -> str:
        mark = ("ok" if self.ok else "FAIL") if self.must_be_zero else "  "
        shown = f"  e.g. {', '.join(map(str, self.examples[:SHOWN]))}" if self.examples and not self.ok else ""
        return f"  [{mark:>4}] {self.name}: {self.value}{shown}"


def strictly_before(at: datetime) -> tuple[str, str]:
    """SQL comparison and value for "a stored time (whole seconds) is before ``at``"."""
    return ("<=", iso(at)) if at.microsecond else ("<", iso(at))


class Invariants:
    """The checks. ``expect_referral``: whether level-1 escalations past respond-by must
    have gone to the Head of Service (default: the context's ``auto_refer_head_of_service``;
    a test may expect it of a scheduler run with it off, to prove the check can fail).
    ``default_respond_by``: every respond-by was left to its default (the simulation's
    auditors never type one), so each must be one working day on."""

    def __init__(self, ctx: Context, *, expect_referral: bool | None = None,
                 default_respond_by: bool = True):
        self.ctx = ctx
        self.default_respond_by = default_respond_by  # no respond-by was given by hand
        self.window = timedelta(hours=ctx.settings.workflow.comment_window_hours)
        self.expect_referral = (ctx.settings.workflow.auto_refer_head_of_service
                                if expect_referral is None else expect_referral)
        self.ticks: list[datetime] = []
        self.unreferred: dict[int, str] = {}  # escalation id -> the tick that found it
        self.unflagged: dict[int, str] = {}
        self.unsurfaced: dict[int, str] = {}  # audit id -> the tick that found it
        self.unfinalised: dict[int, str] = {}
        self._reviews_to: str = ""  # review_due_at checked up to here

    # --- after each tick ------------------------------------------------------------
    def after_tick(self, at: datetime) -> None:
        """Check the rules the scheduler must have applied by ``at`` (its clock time)."""
        self.ticks.append(at)
        r = self.ctx.store
        when = iso(at)
        op, cut = strictly_before(at)
        # Escalations: every open one past respond-by is flagged overdue; with referral on,
        # none is still with the manager (open = no response recorded at this level).
        for (eid,) in r.rows(f"SELECT escalation_id FROM escalations WHERE status = 'open'"
                             f" AND overdue_at IS NULL AND respond_by {op} ?", [cut]):
            self.unflagged.setdefault(eid, when)
        if self.expect_referral:
            for (eid,) in r.rows(f"SELECT escalation_id FROM escalations WHERE status = 'open'"
                                 f" AND level = 'manager' AND respond_by {op} ?", [cut]):
                self.unreferred.setdefault(eid, when)
        # Action reviews: each audit whose review fell due since the last tick, with open
        # actions, has its review_due event and an alert to every PDT member.
        pdt = {row[0] for row in r.rows(
            "SELECT login FROM people WHERE active = 1 AND EXISTS"
            " (SELECT 1 FROM json_each(people.roles) WHERE value = 'pdt')")}
        due = r.rows(
            "SELECT a.audit_id FROM audits a WHERE a.status != 'draft' AND a.review_due_at <= ?"
            " AND a.review_due_at > ?"
            " AND EXISTS (SELECT 1 FROM actions x WHERE x.audit_id = a.audit_id AND x.status = 'open')",
            [when, self._reviews_to])
        for (aid,) in due:
            flagged = r.scalar("SELECT count(*) FROM events WHERE entity = 'audit' AND entity_id = ?"
                               " AND action = 'review_due'", [str(aid)])
            alerted = {row[0] for row in r.rows(
                "SELECT recipient FROM outbox WHERE template = 'review_due' AND entity = 'audit'"
                " AND entity_id = ?", [str(aid)])}
            if not flagged or not pdt <= alerted:
                self.unsurfaced.setdefault(aid, when)
        self._reviews_to = max(self._reviews_to, when)
        # Finalisation: every audit still 'submitted' whose window closed by ``at``, with no
        # query resolved after its deadline (the auditor's to finalise), is finalised.
        for aid, submitted in r.rows("SELECT audit_id, submitted_at FROM audits WHERE status = 'submitted'"
                                     " AND submitted_at <= ?", [iso(at - self.window)]):
            deadline = from_iso(submitted) + self.window
            if deadline > at:
                continue
            late = r.scalar("SELECT 1 FROM comments WHERE audit_id = ? AND is_query = 1 AND resolved_at > ?",
                            [aid, iso(deadline)])
            if not late:
                self.unfinalised.setdefault(aid, when)

    # --- at the end -----------------------------------------------------------------
    def figures(self) -> list[Figure]:
        """Every figure, the invariants first."""
        fin = self._finalisations()
        dup_keys, dup_messages = self._duplicate_notifications()
        slots = self._report_slots()
        out = [
            _figure("finalisations early (before submitted + comment window)", fin["early"]),
            _figure("automatic finalisations not at exactly the deadline", fin["auto_not_deadline"]),
            _figure("automatic finalisations over an open or late-resolved query", fin["auto_over_query"]),
            _figure("manual finalisations not after a late resolution", fin["manual_wrong"]),
            _figure("finalisations not by whom the last resolution said (auditor / automatic)",
                    fin["not_as_said"]),
            _figure("audits past their window left unfinalised by a tick", self.unfinalised),
            _figure("comments taken outside the window (before submission, or after it closed"
                    " with no query open)", self._comments_outside_window()),
            _figure("escalations past respond-by not referred (after a tick)", self.unreferred),
            _figure("escalations past respond-by not flagged overdue (after a tick)", self.unflagged),
            _figure("respond-by times not the set working days on (London clock time, weekends and"
                    " bank holidays skipped)", self._respond_by_times()),
            _figure("reviews due not surfaced (event and PDT alert, after a tick)", self.unsurfaced),
            _figure("notifications queued twice (same idempotency key)", dup_keys),
            _figure("notifications queued twice (same message: template, recipient, entity, what)",
                    dup_messages[1], count=dup_messages[0]),
            _figure("report slots sent more than once", slots["twice"]),
            _figure("report slots missed although a tick ran in time", slots["missed"]),
            _figure("reports sent outside their slot or for the wrong period", slots["wrong"]),
        ]
        verdict = trail_verdict(self.ctx)
        if verdict is not None:
            out.append(Figure(f"trail verify: {'intact' if verdict.intact else 'BROKEN'}"
                              f" ({verdict.events} events)", 0 if verdict.intact else 1,
                              examples=[] if verdict.intact else [verdict.first_broken, verdict.problem]))
        out += [
            Figure("manual finalisations (by the auditor, after a late resolution)", fin["manual"],
                   must_be_zero=False),
            Figure("scheduled report slots sent", slots["sent"], must_be_zero=False),
            Figure("scheduled report slots skipped (no tick between the slot and the next)", slots["skipped"],
                   must_be_zero=False),
        ]
        return out

    def _finalisations(self) -> dict:
        r = self.ctx.store
        event_at = {int(eid): at for eid, at in r.rows(
            "SELECT entity_id, min(at) FROM events WHERE entity = 'audit' AND action = 'finalised'"
            " GROUP BY entity_id")}
        queries = defaultdict(list)
        for aid, status, resolved in r.rows("SELECT audit_id, status, resolved_at FROM comments WHERE is_query = 1"):
            queries[aid].append((status, resolved))
        # What resolving an audit's last open query told the auditor: "automatically" or
        # "by the auditor" (the latest such event per audit).
        said = {}
        for eid, after in r.rows("SELECT entity_id, after FROM events WHERE entity = 'audit'"
                                 " AND action = 'queries_resolved' ORDER BY event_id"):
            said[int(eid)] = json.loads(after or "{}").get("finalise")
        early, auto_not, auto_query, manual_wrong, not_as_said, manual = [], [], [], [], [], 0
        for aid, submitted, finalised, by in r.rows(
                "SELECT audit_id, submitted_at, finalised_at, finalised_by FROM audits WHERE status = 'finalised'"
                " ORDER BY audit_id"):
            if not submitted or not finalised:
                early.append(aid)
                continue
            deadline = from_iso(submitted) + self.window
            happened = from_iso(event_at.get(aid) or finalised)
            if from_iso(finalised) < deadline or happened < deadline:
                early.append(aid)
            late = [res for st, res in queries[aid] if res and res > iso(deadline)]
            if aid in said and said[aid] != ("automatically" if by == SYSTEM else "by the auditor"):
                not_as_said.append(aid)
            still_open = any(st == "open" for st, _ in queries[aid])
            if by == SYSTEM:
                if finalised != iso(deadline):
                    auto_not.append(aid)
                if late or still_open:
                    auto_query.append(aid)
            else:
                manual += 1
                if not late or still_open or finalised < max(late):
                    manual_wrong.append(aid)
        return {"early": early, "auto_not_deadline": auto_not, "auto_over_query": auto_query,
                "manual_wrong": manual_wrong, "not_as_said": not_as_said, "manual": manual}

    def _respond_by_times(self) -> list[int]:
        """Each escalation's respond-by, when raised and when referred: the same London
        clock time, ``escalation_respond_working_days`` working days on."""
        if not self.default_respond_by:
            return []
        wf = self.ctx.settings.workflow
        out = []
        for eid, at, after in self.ctx.store.rows(
                "SELECT entity_id, at, after FROM events WHERE entity = 'escalation'"
                " AND action IN ('raised', 'referred') ORDER BY event_id"):
            due = json.loads(after or "{}").get("respond_by")
            start, end = local(from_iso(at)), local(from_iso(due)) if due else None
            if end is None:
                out.append(int(eid))
                continue
            between = [start.date() + timedelta(days=k) for k in range(1, (end.date() - start.date()).days + 1)]
            working = [d for d in between if is_working_day(d, wf.bank_holiday_region)]
            if (end.time() != start.time() or len(working) != wf.escalation_respond_working_days
                    or not working or working[-1] != end.date()):
                out.append(int(eid))
        return out

    def _comments_outside_window(self) -> list[int]:
        """Comments made before the audit was submitted, or at or after its window closed
        while no other query held it open (stored times: a comment at 09:00:00.4 is stored
        09:00:00, and the window is closed then only if it closed at 09:00:00 or before)."""
        r = self.ctx.store
        queries = defaultdict(list)
        for cid, aid, made, resolved in r.rows(
                "SELECT comment_id, audit_id, created_at, resolved_at FROM comments WHERE is_query = 1"):
            queries[aid].append((cid, made, resolved))
        out = []
        for cid, aid, made, submitted in r.rows(
                "SELECT c.comment_id, c.audit_id, c.created_at, a.submitted_at FROM comments c"
                " JOIN audits a ON a.audit_id = c.audit_id ORDER BY c.comment_id"):
            if not submitted or made < submitted:
                out.append(cid)
                continue
            if made < iso(from_iso(submitted) + self.window):
                continue
            held = any(q != cid and q_made <= made and (q_res is None or q_res >= made)
                       for q, q_made, q_res in queries[aid])
            if not held:
                out.append(cid)
        return out

    def _duplicate_notifications(self) -> tuple[list, tuple[int, list]]:
        r = self.ctx.store
        keys = [k for (k,) in r.rows("SELECT idempotency_key FROM outbox GROUP BY idempotency_key"
                                     " HAVING count(*) > 1")]
        slot_of = {str(rid): (kind, iso(from_iso(slot))) for rid, kind, slot in r.rows(
            "SELECT report_id, kind, slot FROM reports WHERE slot IS NOT NULL")}
        seen = Counter()
        first_id = {}
        for row in r.query("SELECT outbox_id, created_at, recipient, template, payload, entity, entity_id,"
                           " idempotency_key FROM outbox ORDER BY outbox_id"):
            key = logical_message(row, slot_of)
            seen[key] += 1
            first_id.setdefault(key, row["outbox_id"])
        dups = [first_id[k] for k, n in seen.items() if n > 1]
        return keys, (sum(n - 1 for n in seen.values() if n > 1), dups)

    def _report_slots(self) -> dict:
        r = self.ctx.store
        rs = self.ctx.settings.reports
        begun = from_iso(r.scalar("SELECT min(at) FROM events"))
        stored = defaultdict(list)
        for row in r.query("SELECT report_id, kind, slot, period_from, period_to, generated_at"
                           " FROM reports WHERE trigger = 'schedule'"):
            slot = from_iso(row["slot"]) if row["slot"] else None
            stored[(row["kind"], slot)].append(row)
        twice = [rows[1]["report_id"] for rows in stored.values() if len(rows) > 1]
        wrong = []
        # The SMT reports' periods follow on, each from where the one before ended (after
        # downtime the one sent covers the superseded slots too): every audit is in
        # exactly one. The first covers the slot before its own, and everything since the
        # database's first use before that; weekly, its week.
        ended: dict[str, str] = {}
        for (kind, slot), rows in sorted(stored.items(), key=lambda kv: (kv[0][0], kv[0][1] or begun)):
            for row in rows:
                if slot is None:
                    wrong.append(row["report_id"])
                    continue
                period = slot_period(rs, kind, slot)
                start = ended.get(kind, iso(min(begun, period.start))) if kind == "smt" else iso(period.start)
                made = from_iso(row["generated_at"])
                if (latest_slot(rs, kind, slot) != slot or not slot <= made < next_slot(rs, kind, slot)
                        or (row["period_from"], row["period_to"]) != (start, iso(period.end))):
                    wrong.append(row["report_id"])
                ended[kind] = row["period_to"]
        missed, skipped, sent = [], 0, 0
        ticks = sorted(self.ticks)
        if ticks and begun:
            for kind in KINDS:
                slot = next_slot(rs, kind, begun - timedelta(seconds=1))
                while slot <= ticks[-1]:
                    after = next_slot(rs, kind, slot)
                    ran = _any_between(ticks, slot, after)
                    if (kind, slot) in stored:
                        sent += 1
                    elif ran:
                        missed.append(f"{kind} {iso(slot)}")
                    else:
                        skipped += 1
                    slot = after
        return {"twice": twice, "missed": missed, "wrong": wrong, "sent": sent, "skipped": skipped}


def logical_message(row: dict, slot_of: dict) -> tuple:
    """What makes a notification one message, whatever its idempotency key says: the
    template, the recipient, the entity and what about it (a due date, a level, a slot)."""
    template, entity, entity_id = row["template"], row["entity"], row["entity_id"]
    payload = json.loads(row["payload"] or "{}")
    if template in REPORT_TEMPLATES:
        if entity_id in slot_of:  # a scheduled slot: once per slot, whichever report row
            return (template, row["recipient"], "slot", *slot_of[entity_id])
        return (template, row["recipient"], entity, entity_id)
    what: tuple
    if template in ("audit_submitted", "audit_finalised", "review_due", "comment_added",
                    "comment_resolved", "escalation_referred"):
        what = ()
    elif template == "escalation_raised":
        what = (payload.get("level"),)
    elif template == "escalation_overdue":
        what = (payload.get("level"), payload.get("respond_by"))
    elif template == "escalation_responded":
        what = (payload.get("responded_by"), payload.get("response"))
    elif template.startswith("action_"):
        what = (payload.get("due"),)
    else:  # a template this check does not know: only the key tells messages apart
        what = (row["idempotency_key"],)
    return (template, row["recipient"], entity, entity_id, *what)


def trail_verdict(ctx: Context):
    """``core.trail.verify_trail(ctx)`` when the trail can be verified (issue 9 item 2),
    else None."""
    if importlib.util.find_spec("core.trail") is None:
        return None
    from core.trail import verify_trail  # type: ignore[import-not-found]

    return verify_trail(ctx)


def _any_between(ticks: list[datetime], lo: datetime, hi: datetime) -> bool:
    """Whether a tick ran at or after ``lo`` and before ``hi`` (``ticks`` sorted)."""
    from bisect import bisect_left

    i = bisect_left(ticks, lo)
    return i < len(ticks) and ticks[i] < hi


def _figure(name: str, items, count: int | None = None) -> Figure:
    """A figure that must be 0: how many ``items`` broke the rule (or ``count``), naming a few."""
    items = list(items)
    return Figure(name, len(items) if count is None else count, examples=items[:SHOWN])
