"""Dip sampling: a risk-first, stratified, reproducible random draw (design.md "Sampling").

The rules, each in one place below:

- Stratified by worker: ``per_worker`` children from each allocated worker's caseload
  (``_pick_per_worker``).
- Priority tiers from config (``settings.sampling.tiers``): a draw fills from tier 1
  first, then 2, then 3; it can be limited to some tiers (``_pick_per_worker``).
- Only open cases with an allocated worker are eligible (``store.children.draw_population``,
  ``_exclude_closed``).
- A child whose last audit (a dipaudit audit submitted, or an imported QA Audit case
  note) is dated D is eligible again on D + ``exclusion_days`` (default 28)
  (``last_audits``, ``_eligible_pools``).
- A child already in a live queue item, or with a draft audit, is not drawn again
  (``_held_children``, ``_eligible_pools``).
- At most one child per family group in one draw: the audit is about that child only
  (``_pick_per_worker``).
- Reproducible: children are sorted before a ``random.Random(seed)`` shuffles them,
  and the seed, parameters, eligible population and every reason are stored.
- Workers who could not be given ``per_worker`` children are reported with the reason
  (``_unfilled_reason``); so is every worker in scope with no open case at all (a
  caseload worker whose children are all closed, a directory worker in the teams drawn
  with none allocated: ``_without_open_cases``).

The whole draw runs inside one ``BEGIN IMMEDIATE`` transaction so two concurrent
draws serialise; the unique index ``queue_items_one_live_per_child`` is the last guard.
"""

from __future__ import annotations

import random
import secrets
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter

from .clock import from_iso, local
from .clock import today as london_today
from .context import Context
from .errors import Conflict, DipauditError, NotFound
from .models import (
    Exclusion,
    Exclusions,
    Pick,
    SampledChild,
    SampleRecord,
    SampleResult,
    SampleSummary,
    Unfilled,
)
from .people import get_person, require_role
from .store import Reader, audits, children, people, queue, samples

# Exclusion reason codes (the stored log counts them; the text says why for each child).
CLOSED = "closed"
UNALLOCATED = "unallocated"
RECENT_AUDIT = "recent_audit"
IN_QUEUE = "in_queue"
DRAFT_AUDIT = "draft_audit"
SIBLING = "sibling"


@dataclass(frozen=True)
class LastAudit:
    on: date
    source: str  # "dipaudit audit N" or "QA Audit case note"


# --- the last audit of each child ----------------------------------------------------


def last_audits(ctx: Context, *, child_id: str | None = None) -> dict[str, LastAudit]:
    """Per child (or for one child), the latest audit: a dipaudit audit counted from the
    London date it was submitted (submitted, queried or finalised), or an imported QA
    Audit case note, whichever is later. One query, never one per child."""
    return _latest(audits.last_audited(ctx.store, child_id=child_id))


def _latest(rows: list[dict]) -> dict[str, LastAudit]:
    latest: dict[str, LastAudit] = {}
    for r in rows:
        if r["src"] == "audit":
            found = LastAudit(local(from_iso(r["at"])).date(), f"dipaudit audit {r['audit_id']}")
        else:
            found = LastAudit(date.fromisoformat(r["on_date"][:10]), "QA Audit case note")
        held = latest.get(r["child_id"])
        if held is None or found.on > held.on:
            latest[r["child_id"]] = found
    return latest


def _recently_audited(r: Reader, day: date, days: int) -> dict[str, tuple[str, str]]:
    """Children whose last audit (``last_audits``' rule) was within ``days`` before ``day``:
    child -> (code, reason). Audited on D -> eligible again on D + days, i.e. still
    excluded while D > day - days. Only audits and notes since then are read (a London
    date is at most an hour off its UTC one: a day's margin, the rule below decides)."""
    audited_after = day - timedelta(days=days)
    recent: dict[str, tuple[str, str]] = {}
    since = (audited_after - timedelta(days=1)).isoformat()
    for child_id, last in _latest(audits.last_audited(r, since=since)).items():
        if last.on > audited_after:
            again = last.on + timedelta(days=days)
            recent[child_id] = (RECENT_AUDIT, f"audited on {last.on} ({last.source}); eligible again on {again}")
    return recent


def last_audit_of(ctx: Context, child_id: str) -> LastAudit | None:
    """One child's last audit, by the same rule as the draw."""
    return last_audits(ctx, child_id=child_id).get(child_id)


def last_audit_dates(ctx: Context) -> dict[str, date]:
    """Per child, the date of the last audit (``last_audits`` without the source)."""
    return {child_id: last.on for child_id, last in last_audits(ctx).items()}


def _held_children(r: Reader) -> dict[str, tuple[str, str]]:
    """Children already being worked: a live queue item or a draft audit -> (code, reason)."""
    held: dict[str, tuple[str, str]] = {}
    for row in queue.held_children(r):
        if row["kind"] == "draft":
            held[row["child_id"]] = (DRAFT_AUDIT, f"audit in progress (draft audit {row['id']})")
        else:
            held.setdefault(row["child_id"],
                            (IN_QUEUE, f"already in the queue (item {row['id']}, {row['status']})"))
    return held


# --- the draw ------------------------------------------------------------------------


@dataclass(frozen=True)
class DrawParams:
    """A draw's checked parameters (``_check_params``)."""

    per_worker: int
    tiers: list[int]
    teams: list[str]
    auditors: list[str]
    seed: int
    limited: bool  # fewer tiers than the settings know

    def stored(self, ctx: Context) -> dict:
        """What the sample stores as its parameters."""
        return {"per_worker": self.per_worker, "tiers": self.tiers, "teams": self.teams,
                "auditors": self.auditors, "exclusion_days": ctx.settings.sampling.exclusion_days,
                "tier_of_cohort": dict(sorted(ctx.settings.sampling.tiers.items()))}


@dataclass
class _Ledger:
    """Every child a draw considers, picked or excluded with the reason: the stored log,
    counts per reason, and per worker the reasons their children were left out.
    Exclusions are kept as tuples and written out as the log only for a stored draw."""

    shown: dict[str, str]  # worker key -> the name as the extract first spells it
    picked: list[dict] = field(default_factory=list)
    # (child_id, worker key, team, tier, cohort, code, reason)
    excluded: list[tuple] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    excluded_of: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def label(self, worker: str | None) -> str | None:
        return self.shown.get(worker, worker) if worker else worker

    def exclude(self, child_id, worker, team, tier, cohort, code, reason) -> None:
        self.counts[code] += 1
        if worker and code not in (CLOSED, UNALLOCATED):
            self.excluded_of[worker][code] += 1
        self.excluded.append((child_id, worker, team, tier, cohort, code, reason))

    def pick(self, pick: Pick) -> None:
        self.picked.append({"child_id": pick.child_id, "worker": pick.worker, "team": pick.team,
                            "tier": pick.tier, "cohort": pick.cohort, "outcome": "picked",
                            "code": "picked", "reason": pick.reason})

    def ordered(self) -> list[dict]:
        """Picks in the order drawn, then exclusions by child."""
        shown = self.shown
        return self.picked + [
            {"child_id": child_id, "worker": shown.get(worker, worker) if worker else worker, "team": team, "tier": tier, "cohort": cohort,
             "outcome": "excluded", "code": code, "reason": reason}
            for child_id, worker, team, tier, cohort, code, reason in sorted(self.excluded, key=_CHILD_ID)]


_CHILD_ID = itemgetter(0)
# The fields of an open child's row (``store.children.draw_population``'s first part).
_WORKER, _TIER, _CHILD, _TEAM, _SPELT = itemgetter(0), itemgetter(1), itemgetter(2), itemgetter(5), itemgetter(6)


@dataclass
class Draw:
    """A computed draw: the picks (in the order drawn), the workers not filled, the
    auditor each pick is assigned to, the population and the log to store (``log``,
    written out from the ledger when asked: a dry run never needs it)."""

    day: date
    picks: list[Pick]
    unfilled: list[Unfilled]
    assignees: dict[str, str]
    population: dict
    ledger: _Ledger

    @property
    def log(self) -> list[dict]:
        return self.ledger.ordered()


@dataclass
class _WorkerTally:
    """What happened to one worker's children in tiers the draw covers (for unfilled reasons)."""

    team: str | None = None
    open_in_tiers: int = 0
    excluded: Counter = field(default_factory=Counter)
    picked: int = 0


def _shuffled(rng: random.Random, items: list) -> Iterator:
    """Yield ``items`` in random order, lazily (Fisher-Yates): a worker needing one child
    costs one random number, not a shuffle of their whole caseload."""
    items = list(items)
    n = len(items)
    for i in range(n):
        j = rng.randrange(i, n)
        items[i], items[j] = items[j], items[i]
        yield items[i]


def _children(n: int) -> str:
    return f"{n} open {'child' if n == 1 else 'children'}"


def _tiers_text(tiers: Sequence[int]) -> str:
    return ("tier " if len(tiers) == 1 else "tiers ") + ", ".join(str(t) for t in tiers)


def _unfilled_reason(t: _WorkerTally, wanted: int, tiers: Sequence[int], days: int,
                     limited: bool) -> str:
    """Why a worker got fewer than ``wanted`` children, in words a manager can check."""
    if t.open_in_tiers == 0:
        return f"no open child in {_tiers_text(tiers)}"
    where = f" in {_tiers_text(tiers)}" if limited else ""
    words = {
        RECENT_AUDIT: f"audited in the last {days} days",
        IN_QUEUE: "already in the queue",
        DRAFT_AUDIT: "with an audit in progress",
        SIBLING: "a sibling of a child already drawn",
    }
    excluded = {k: v for k, v in t.excluded.items() if v}
    if t.picked == 0 and len(excluded) == 1:
        (code, n), = excluded.items()
        if t.open_in_tiers == 1:
            return f"only {'child' if code == SIBLING else 'open child'}{where} is {words[code]}"
        if code == SIBLING:
            return f"all {_children(n)}{where} are siblings of children already drawn"
        return f"all {_children(n)}{where} {words[code]}"
    parts = [f"{n} {words[code]}" for code, n in excluded.items()]
    got = f"{t.picked} of {wanted} drawn"
    return f"{got}: {_children(t.open_in_tiers)}{where}" + (f", {', '.join(parts)}" if parts else "")


def _known_tiers(ctx: Context) -> list[int]:
    # A cohort missing from the map falls in tier 3 (Settings.tier_of), so 3 always exists.
    return sorted(set(ctx.settings.sampling.tiers.values()) | {3})


def _check_params(ctx: Context, *, per_worker, tiers, teams, auditors, seed) -> DrawParams:
    known_tiers = _known_tiers(ctx)
    per_worker = ctx.settings.sampling.per_worker if per_worker is None else int(per_worker)
    if per_worker < 1:
        raise DipauditError(f"--per-worker must be 1 or more (got {per_worker})")
    chosen = sorted({int(t) for t in tiers}) if tiers else known_tiers
    unknown = [t for t in chosen if t not in known_tiers]
    if unknown:
        raise DipauditError(
            f"no tier {unknown[0]}: the tiers are {', '.join(str(t) for t in known_tiers)}"
        )
    teams = sorted({t.strip() for t in teams or [] if t and t.strip()})
    logins: list[str] = []
    for login in auditors or []:
        person = get_person(ctx, login)
        if person is None:
            raise NotFound(f"no person with login '{login}' in the people directory")
        if "auditor" not in person["roles"]:
            raise DipauditError(f"{login} cannot be given audits: not an auditor")
        if login not in logins:
            logins.append(login)
    return DrawParams(per_worker=per_worker, tiers=chosen, teams=teams, auditors=logins,
                      seed=secrets.randbits(32) if seed is None else int(seed),
                      limited=chosen != known_tiers)


def _exclude_closed(ledger: _Ledger, shut: list[tuple], day: date) -> None:
    """Closed cases (an episode ended on or before the draw date) and unallocated ones."""
    for child_id, tier, cohort, worker, team, is_open, closed_on, _spelling in shut:
        if is_open and closed_on is not None and closed_on != "" and closed_on[:10] <= day.isoformat():
            ledger.exclude(child_id, worker, team, tier, cohort, CLOSED, f"case closed on {closed_on[:10]}")
        elif not is_open:
            ledger.exclude(child_id, worker, team, tier, cohort, CLOSED,
                           f"case closed on {closed_on[:10]}" if closed_on else "case closed")
        else:
            ledger.exclude(child_id, None, team, tier, cohort, UNALLOCATED, "no allocated worker")


def _eligible_pools(ledger: _Ledger, worker: str, rows: list[tuple], tiers: list[int],
                    out: dict[str, tuple[str, str]]) -> dict[int, list[tuple]]:
    """One worker's open children in the draw's tiers, less the recently audited and those
    held (``out``: child -> (code, reason)): tier -> their rows, by child id (``rows`` come
    grouped by tier and sorted by child id)."""
    pools: dict[int, list[tuple]] = {tier: [] for tier in tiers}
    for tier, group in groupby(rows, key=_TIER):
        if tier not in pools:
            continue
        group = list(group)
        pool = pools[tier] = [row for row in group if row[2] not in out]
        if len(pool) < len(group):
            for _w, _t, child_id, _family, cohort, team, _spelt in group:
                if child_id in out:
                    ledger.exclude(child_id, worker, team, tier, cohort, *out[child_id])
    return pools


def _pick_per_worker(ledger: _Ledger, workers: list[tuple[str, list[tuple]]], teams_of: dict[str, Counter],
                     out: dict[str, tuple[str, str]], p: DrawParams,
                     days: int) -> tuple[list[Pick], list[Unfilled], dict[str, list[str]]]:
    """``per_worker`` children from each worker (in order of the worker key), tier by tier,
    at random by the seed, at most one per family group. Returns the picks, the workers
    not filled and the eligible children per tier."""
    rng = random.Random(p.seed)
    drawn_families: dict[str, str] = {}  # family_id -> child drawn
    picks: list[Pick] = []
    unfilled: list[Unfilled] = []
    population: dict[str, list[str]] = {str(t): [] for t in p.tiers}
    for worker, rows in workers:
        pools = _eligible_pools(ledger, worker, rows, p.tiers, out)
        t = _WorkerTally(excluded=ledger.excluded_of[worker])
        t.open_in_tiers = sum(len(pool) for pool in pools.values()) + sum(t.excluded.values())
        # A worker's team is the one most of their children are in (ties: by name).
        t.team = min(teams_of[worker].items(), key=lambda kv: (-kv[1], kv[0] or ""))[0]
        for tier in p.tiers:
            # Sorted by child id (the draw population's order), so the same data and seed
            # give the same children whatever order the caseload was loaded in.
            pool = pools[tier]
            population[str(tier)].extend(map(_CHILD, pool))
            for _w, _t, child_id, family_id, cohort, team, _spelt in _shuffled(rng, pool):
                if t.picked >= p.per_worker:
                    break
                if family_id and family_id in drawn_families:
                    ledger.exclude(child_id, worker, team, tier, cohort, SIBLING,
                                   f"sibling of {drawn_families[family_id]} already drawn")
                    continue
                if family_id:
                    drawn_families[family_id] = child_id
                t.picked += 1
                reason = (f"tier {tier} ({cohort}): drawn at random from {len(pool)} eligible"
                          f" tier {tier} {'child' if len(pool) == 1 else 'children'} of {ledger.label(worker)}")
                pick = Pick(child_id=child_id, worker=ledger.label(worker), team=team,
                            tier=tier, cohort=cohort, reason=reason)
                picks.append(pick)
                ledger.pick(pick)
        if t.picked < p.per_worker:
            unfilled.append(Unfilled(worker=ledger.label(worker), team=t.team,
                                     reason=_unfilled_reason(t, p.per_worker, p.tiers, days, p.limited)))
    return picks, unfilled, population


def _without_open_cases(r: Reader, shut: list[tuple], teams_of: dict[str, Counter],
                        p: DrawParams) -> list[Unfilled]:
    """Workers in scope with no open case at all: allocated children in the caseload who are
    all closed, or people with the worker role in the directory, in the teams drawn, with
    no child allocated. (Workers with open cases are reported by ``_pick_per_worker``.)"""
    closed: dict[str, Counter] = defaultdict(Counter)  # worker -> team -> closed children
    spelt: dict[str, str] = {}
    for _child, _tier, _cohort, worker, team, _open, _closed_on, spelling in shut:
        if worker and worker not in teams_of:
            closed[worker][team] += 1
            spelt.setdefault(worker, spelling or worker)
    out = []
    for worker in sorted(closed):
        n = sum(closed[worker].values())
        team = min(closed[worker].items(), key=lambda kv: (-kv[1], kv[0] or ""))[0]
        out.append(Unfilled(worker=spelt[worker], team=team, reason=f"no open cases: {n} closed"))
    idle = [(login, name, team) for login, name, team in people.active_workers(r)
            if team and login not in teams_of and login not in closed and (name or "").strip() not in teams_of]
    if idle:  # rare: worth a pass over the population only then
        drawn = ({t.casefold() for t in p.teams} if p.teams else
                 {str(team).strip().casefold() for teams in teams_of.values() for team in teams if team}
                 | {str(row[4]).strip().casefold() for row in shut if row[4]})
        out += [Unfilled(worker=name or login, team=team, reason="no open cases: none allocated in the caseload")
                for login, name, team in idle if team.strip().casefold() in drawn]
    return out


def _draw(ctx: Context, r: Reader, p: DrawParams) -> Draw:
    """Compute a draw from the current data (read through ``r``); pure apart from its reads."""
    day = london_today(ctx.clock)
    days = ctx.settings.sampling.exclusion_days
    rows, shut = children.draw_population(r, day=day, tiers=dict(ctx.settings.sampling.tiers),
                                          teams=p.teams)
    if not rows and not shut:
        if p.teams:
            raise DipauditError(f"no children in team {', '.join(p.teams)}: check the team name")
        raise DipauditError("the caseload is empty: import one first (dipaudit import caseload FILE)")
    # Each worker's open children, in order of the worker key (sorted, as the rows come).
    workers = [(worker, list(group)) for worker, group in groupby(rows, key=_WORKER)]
    # A worker is one person however the lists spell them; shown as the extract first
    # spells them (by child id, so the same data always shows the same name).
    ledger = _Ledger({worker: _SPELT(min(group, key=_CHILD)) for worker, group in workers})
    teams_of = {worker: Counter(map(_TEAM, group)) for worker, group in workers}  # worker -> team -> children
    _exclude_closed(ledger, shut, day)
    # Children held (a live queue item, a draft audit) or audited recently (which wins).
    out = _held_children(r) | _recently_audited(r, day, days)
    picks, unfilled, population = _pick_per_worker(ledger, workers, teams_of, out, p, days)
    unfilled = sorted(unfilled + _without_open_cases(r, shut, teams_of, p),
                      key=lambda u: u.worker.casefold())
    in_scope = len(rows) + len(shut)
    if not picks:
        summary = ", ".join(f"{n} {code.replace('_', ' ')}" for code, n in sorted(ledger.counts.items()))
        raise DipauditError(
            f"no eligible child to draw from {in_scope} children"
            + (f" in {_tiers_text(p.tiers)}" if p.limited else "")
            + (f" ({summary})" if summary else "")
        )
    assignees = ({pick.child_id: p.auditors[i % len(p.auditors)] for i, pick in enumerate(picks)}
                 if p.auditors else {})
    return Draw(
        day=day, picks=picks, unfilled=unfilled, assignees=assignees,
        population={
            "draw_date": day.isoformat(),
            "children_considered": in_scope,
            "eligible_per_tier": {k: len(v) for k, v in population.items()},
            "eligible_children": population,
            "excluded_per_reason": dict(sorted(ledger.counts.items())),
        },
        ledger=ledger,
    )


def draw_sample(
    ctx: Context,
    *,
    per_worker: int | None = None,
    tiers: Sequence[int] | None = None,
    teams: Sequence[str] | None = None,
    seed: int | None = None,
    auditors: Sequence[str] | None = None,
    dry_run: bool = False,
) -> SampleResult:
    """Draw a dip sample and queue it (auditor or admin).

    ``per_worker`` children from each allocated worker, filling from tier 1 first,
    random within a tier by ``seed`` (a fresh 32-bit seed when none is given). Closed
    and unallocated children, children audited in the last ``exclusion_days``, children
    already queued or with a draft audit, and siblings of a child already drawn are
    excluded with the reason. ``auditors`` are assigned round-robin to the picks.
    A dry run computes the same draw and writes nothing. No eligible child: an error,
    nothing written.
    """
    require_role(ctx, "auditor", "admin", doing="draw a sample")
    p = _check_params(ctx, per_worker=per_worker, tiers=tiers, teams=teams, auditors=auditors, seed=seed)
    if dry_run:
        d = _draw(ctx, ctx.store, p)
        return SampleResult(sample_id=None, seed=p.seed, picks=d.picks, unfilled=d.unfilled)

    params = p.stored(ctx)
    try:
        with ctx.tx() as tx:
            # Read inside the write lock: a concurrent draw waits, then sees our queue items.
            d = _draw(ctx, tx, p)
            params["draw_date"] = d.day.isoformat()
            unfilled = [u.model_dump() for u in d.unfilled]
            sample_id = samples.insert(tx, seed=p.seed, params=params, population=d.population,
                                       log=d.log, unfilled=unfilled)
            queue.insert_picks(tx, sample_id, [
                (pick.child_id, pick.worker, pick.team, pick.tier, pick.cohort, pick.reason,
                 d.assignees.get(pick.child_id)) for pick in d.picks])
            tx.event("sample", sample_id, "drawn", after={
                "seed": p.seed, "params": params, "picks": len(d.picks),
                "unfilled": len(unfilled),
                "eligible_per_tier": d.population["eligible_per_tier"],
                "excluded_per_reason": d.population["excluded_per_reason"],
            })
    except sqlite3.IntegrityError as exc:
        # Only reachable if something wrote a queue item outside a draw's transaction.
        raise Conflict(f"a drawn child was queued by someone else meanwhile; draw again ({exc})") from exc
    return SampleResult(sample_id=sample_id, seed=p.seed, picks=d.picks, unfilled=d.unfilled)


def get_sample(ctx: Context, sample_id: int) -> SampleRecord:
    """The stored record of a draw: seed, parameters, who drew it and when, the eligible
    population per tier, every exclusion with its reason, the picks and the unfilled workers."""
    row = samples.get(ctx.store, sample_id)
    if row is None:
        raise NotFound(f"no sample {sample_id}")
    population = row["population"]
    items = {r["child_id"]: r for r in queue.of_sample(ctx.store, sample_id)}
    picks = [SampledChild.model_validate(
        {k: e[k] for k in ("child_id", "worker", "team", "tier", "cohort", "reason")}
        | {k: items.get(e["child_id"], {}).get(k) for k in ("queue_id", "auditor", "status")})
        for e in row["log"] if e["outcome"] == "picked"]
    excluded = [Exclusion.model_validate(e) for e in row["log"] if e["outcome"] == "excluded"]
    return SampleRecord(
        sample_id=row["sample_id"], seed=row["seed"], params=row["params"],
        created_at=row["created_at"], created_by=row["created_by"],
        population=population.get("eligible_per_tier", {}),
        eligible_children=population.get("eligible_children", {}),
        children_considered=population.get("children_considered"),
        exclusions=Exclusions(counts=population.get("excluded_per_reason", {}), children=excluded),
        picks=picks, unfilled=row["unfilled"])


def list_samples(ctx: Context, *, limit: int = 50) -> list[SampleSummary]:
    """Recent draws, newest first, with their pick counts."""
    return [SampleSummary.from_row(r) for r in samples.recent(ctx.store, limit=limit)]
