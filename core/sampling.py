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

import json
import random
import secrets
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter

from .clock import today as london_today
from .context import Context
from .errors import Conflict, DipauditError, NotFound
from .last_audit import latest_per_child
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


# The last audit of each child: ``core.last_audit`` (the child detail pane reads it
# without loading this module's pydantic models); the draw uses the same rule.


def _recently_audited(r: Reader, day: date, days: int) -> dict[str, tuple[str, str]]:
    """Children whose last audit (``last_audits``' rule) was within ``days`` before ``day``:
    child -> (code, reason). Audited on D -> eligible again on D + days, i.e. still
    excluded while D > day - days. Only audits and notes since then are read (a London
    date is at most an hour off its UTC one: a day's margin, the rule below decides)."""
    audited_after = day - timedelta(days=days)
    recent: dict[str, tuple[str, str]] = {}
    since = (audited_after - timedelta(days=1)).isoformat()
    for child_id, last in latest_per_child(audits.last_audited(r, since=since)).items():
        if last.on > audited_after:
            again = last.on + timedelta(days=days)
            recent[child_id] = (RECENT_AUDIT, f"audited on {last.on} ({last.source}); eligible again on {again}")
    return recent


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
    Exclusions are kept as tuples and written out as the log only for a stored draw (an
    open child's team and cohort are read for it then: ``children.draw_details``)."""

    shown: dict[str, str] = field(default_factory=dict)  # worker key -> the name as the extract first spells it
    picked: list[Pick] = field(default_factory=list)
    # Closed or unallocated: (child_id, worker key or None, team, tier, cohort, code, reason).
    shut: list[tuple] = field(default_factory=list)
    # Open, but held, recently audited or a sibling: (child_id, worker key, tier, code, reason).
    left_out: list[tuple] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    excluded_of: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def label(self, worker: str | None) -> str | None:
        return self.shown.get(worker, worker) if worker else worker

    def exclude_shut(self, child_id, worker, team, tier, cohort, code, reason) -> None:
        self.counts[code] += 1
        self.shut.append((child_id, worker, team, tier, cohort, code, reason))

    def leave_out(self, child_id, worker, tier, code, reason) -> None:
        self.counts[code] += 1
        self.excluded_of[worker][code] += 1
        self.left_out.append((child_id, worker, tier, code, reason))

    def ordered(self, details: dict[str, tuple]) -> list[dict]:
        """Picks in the order drawn, then exclusions by child (``details``: cohort, team of
        each child left out)."""
        shown = self.shown
        excluded = self.shut + [(child_id, worker, details[child_id][1], tier, details[child_id][0], code, reason)
                                for child_id, worker, tier, code, reason in self.left_out]
        return [
            {"child_id": pick.child_id, "worker": pick.worker, "team": pick.team, "tier": pick.tier,
             "cohort": pick.cohort, "outcome": "picked", "code": "picked", "reason": pick.reason}
            for pick in self.picked
        ] + [
            {"child_id": child_id, "worker": shown.get(worker, worker) if worker else worker, "team": team, "tier": tier, "cohort": cohort,
             "outcome": "excluded", "code": code, "reason": reason}
            for child_id, worker, team, tier, cohort, code, reason in sorted(excluded, key=_CHILD_ID)]


_CHILD_ID = itemgetter(0)
# The fields of an open child's row (``store.children.draw_population``'s first part).
_WORKER = itemgetter(0)


@dataclass
class Draw:
    """A computed draw: the picks (in the order drawn), the workers not filled, the
    auditor each pick is assigned to, the population and, when asked (a stored draw; a
    dry run never needs it), the log to store."""

    day: date
    picks: list[Pick]
    unfilled: list[Unfilled]
    assignees: dict[str, str]
    population: dict
    log: list[dict] | None


@dataclass
class _WorkerTally:
    """What happened to one worker's children in tiers the draw covers (for unfilled reasons)."""

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
            ledger.exclude_shut(child_id, worker, team, tier, cohort, CLOSED, f"case closed on {closed_on[:10]}")
        elif not is_open:
            ledger.exclude_shut(child_id, worker, team, tier, cohort, CLOSED,
                                f"case closed on {closed_on[:10]}" if closed_on else "case closed")
        else:
            ledger.exclude_shut(child_id, None, team, tier, cohort, UNALLOCATED, "no allocated worker")


def _eligible_pools(ledger: _Ledger, worker: str, groups: list[tuple], tiers: list[int],
                    out: dict[str, tuple[str, str]]) -> tuple[dict[int, tuple[list[str], str | None]], str]:
    """One worker's open children in the draw's tiers, less the recently audited and those
    held (``out``: child -> (code, reason)): tier -> (their ids, by child id; the pool's
    family ids, as JSON) (``groups``: the worker's pools from ``draw_population``, by tier);
    and the worker's lowest child id in any tier."""
    pools: dict[int, tuple[list[str], str | None]] = {tier: ([], None) for tier in tiers}
    lowest = groups[0][2][0]
    for _worker, tier, ids, families in groups:
        if ids[0] < lowest:
            lowest = ids[0]
        if tier not in pools:
            continue
        if out.keys().isdisjoint(ids):
            pools[tier] = (ids, families)
            continue
        pools[tier] = ([child_id for child_id in ids if child_id not in out], families)
        for child_id in ids:
            if child_id in out:
                ledger.leave_out(child_id, worker, tier, *out[child_id])
    return pools, lowest


@dataclass
class _Walk:
    """What ``_pick_per_worker`` found, before the picked children's details are read:
    (child_id, worker key, tier, pool size) of each pick in the order drawn; (worker key,
    reason) of each worker not filled; the eligible children per tier; each worker's
    lowest child id (whose spelling of the worker is shown)."""

    drawn: list[tuple] = field(default_factory=list)
    short: list[tuple[str, str]] = field(default_factory=list)
    population: dict[str, list[str]] = field(default_factory=dict)
    lowest: dict[str, str] = field(default_factory=dict)


def _pick_per_worker(ledger: _Ledger, workers: list[tuple[str, list[tuple]]],
                     out: dict[str, tuple[str, str]], p: DrawParams, days: int) -> _Walk:
    """``per_worker`` children from each worker (in order of the worker key), tier by tier,
    at random by the seed, at most one per family group."""
    rng = random.Random(p.seed)
    drawn_families: dict[str, str] = {}  # family_id -> child drawn
    walk = _Walk(population={str(t): [] for t in p.tiers})
    for worker, rows in workers:
        pools, walk.lowest[worker] = _eligible_pools(ledger, worker, rows, p.tiers, out)
        t = _WorkerTally(excluded=ledger.excluded_of[worker])
        t.open_in_tiers = sum(len(pool) for pool, _families in pools.values()) + sum(t.excluded.values())
        for tier in p.tiers:
            # Sorted by child id (the draw population's order), so the same data and seed
            # give the same children whatever order the caseload was loaded in.
            pool, families = pools[tier]
            walk.population[str(tier)].extend(pool)
            family_of = None  # child -> family id, read when this pool is first walked
            for child_id in _shuffled(rng, pool):
                if t.picked >= p.per_worker:
                    break
                if family_of is None:
                    family_of = json.loads(families) if families else {}
                family_id = family_of.get(child_id)
                if family_id and family_id in drawn_families:
                    ledger.leave_out(child_id, worker, tier, SIBLING,
                                     f"sibling of {drawn_families[family_id]} already drawn")
                    continue
                if family_id:
                    drawn_families[family_id] = child_id
                t.picked += 1
                walk.drawn.append((child_id, worker, tier, len(pool)))
        if t.picked < p.per_worker:
            walk.short.append((worker, _unfilled_reason(t, p.per_worker, p.tiers, days, p.limited)))
    return walk


def _main_team(teams: Counter) -> str | None:
    """The team most of a worker's children are in (ties: by name)."""
    return min(teams.items(), key=lambda kv: (-kv[1], kv[0] or ""))[0]


def _without_open_cases(r: Reader, shut: list[tuple], open_workers: set[str], p: DrawParams,
                        day: date) -> list[Unfilled]:
    """Workers in scope with no open case at all: allocated children in the caseload who are
    all closed, or people with the worker role in the directory, in the teams drawn, with
    no child allocated. (Workers with open cases are reported by ``_pick_per_worker``.)"""
    closed: dict[str, Counter] = defaultdict(Counter)  # worker -> team -> closed children
    spelt: dict[str, str] = {}
    for _child, _tier, _cohort, worker, team, _open, _closed_on, spelling in shut:
        if worker and worker not in open_workers:
            closed[worker][team] += 1
            spelt.setdefault(worker, spelling or worker)
    out = []
    for worker in sorted(closed):
        n = sum(closed[worker].values())
        out.append(Unfilled(worker=spelt[worker], team=_main_team(closed[worker]),
                            reason=f"no open cases: {n} closed"))
    idle = [(login, name, team) for login, name, team in people.active_workers(r)
            if team and login not in open_workers and login not in closed
            and (name or "").strip() not in open_workers]
    if idle:  # rare: worth a look at the population's teams only then
        drawn = ({t.casefold() for t in p.teams} if p.teams else
                 {str(team).strip().casefold() for team in children.draw_teams(r, day=day, teams=p.teams) if team}
                 | {str(row[4]).strip().casefold() for row in shut if row[4]})
        out += [Unfilled(worker=name or login, team=team, reason="no open cases: none allocated in the caseload")
                for login, name, team in idle if team.strip().casefold() in drawn]
    return out


def _draw(ctx: Context, r: Reader, p: DrawParams, *, log: bool = False) -> Draw:
    """Compute a draw from the current data (read through ``r``, one transaction: one
    snapshot); pure apart from its reads. ``log``: write out the log to store too."""
    day = london_today(ctx.clock)
    days = ctx.settings.sampling.exclusion_days
    pools, shut = children.draw_population(r, day=day, tiers=dict(ctx.settings.sampling.tiers),
                                           teams=p.teams)
    if not pools and not shut:
        if p.teams:
            raise DipauditError(f"no children in team {', '.join(p.teams)}: check the team name")
        raise DipauditError("the caseload is empty: import one first (dipaudit import caseload FILE)")
    # Each worker's pools of open children, in order of the worker key (as they come).
    workers = [(worker, list(group)) for worker, group in groupby(pools, key=_WORKER)]
    ledger = _Ledger()
    _exclude_closed(ledger, shut, day)
    # Children held (a live queue item, a draft audit) or audited recently (which wins).
    out = _held_children(r) | _recently_audited(r, day, days)
    walk = _pick_per_worker(ledger, workers, out, p, days)
    in_scope = sum(len(ids) for _w, _t, ids, _f in pools) + len(shut)
    if not walk.drawn:
        summary = ", ".join(f"{n} {code.replace('_', ' ')}" for code, n in sorted(ledger.counts.items()))
        raise DipauditError(
            f"no eligible child to draw from {in_scope} children"
            + (f" in {_tiers_text(p.tiers)}" if p.limited else "")
            + (f" ({summary})" if summary else "")
        )
    # The details of the few children named: picked, whose spelling names a worker, of a
    # worker not filled (their main team), and for the log those left out.
    caseload = dict(workers)
    short = {worker for worker, _reason in walk.short}
    details = children.draw_details(r, [
        *(child_id for child_id, *_ in walk.drawn), *walk.lowest.values(),
        *(child_id for worker in short for _w, _t, ids, _f in caseload[worker] for child_id in ids),
        *((child_id for child_id, *_ in ledger.left_out) if log else ())])
    # A worker is one person however the lists spell them; shown as the extract first
    # spells them (by child id, so the same data always shows the same name).
    ledger.shown = {worker: details[child_id][2] for worker, child_id in walk.lowest.items()}
    label = ledger.label
    for child_id, worker, tier, n in walk.drawn:
        cohort, team, _spelt = details[child_id]
        reason = (f"tier {tier} ({cohort}): drawn at random from {n} eligible"
                  f" tier {tier} {'child' if n == 1 else 'children'} of {label(worker)}")
        ledger.picked.append(Pick(child_id=child_id, worker=label(worker), team=team,
                                  tier=tier, cohort=cohort, reason=reason))
    unfilled = [Unfilled(worker=label(worker), reason=reason,
                         team=_main_team(Counter(details[child_id][1] for _w, _t, ids, _f in caseload[worker]
                                                 for child_id in ids)))
                for worker, reason in walk.short]
    unfilled = sorted(unfilled + _without_open_cases(r, shut, set(caseload), p, day),
                      key=lambda u: u.worker.casefold())
    picks = ledger.picked
    assignees = ({pick.child_id: p.auditors[i % len(p.auditors)] for i, pick in enumerate(picks)}
                 if p.auditors else {})
    return Draw(
        day=day, picks=picks, unfilled=unfilled, assignees=assignees,
        population={
            "draw_date": day.isoformat(),
            "children_considered": in_scope,
            "eligible_per_tier": {k: len(v) for k, v in walk.population.items()},
            "eligible_children": walk.population,
            "excluded_per_reason": dict(sorted(ledger.counts.items())),
        },
        log=ledger.ordered(details) if log else None,
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
        with ctx.scratch() as scratch:  # read only, and all of it from one snapshot
            d = _draw(ctx, scratch, p)
        return SampleResult(sample_id=None, seed=p.seed, picks=d.picks, unfilled=d.unfilled)

    params = p.stored(ctx)
    try:
        with ctx.tx() as tx:
            # Read inside the write lock: a concurrent draw waits, then sees our queue items.
            d = _draw(ctx, tx, p, log=True)
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
