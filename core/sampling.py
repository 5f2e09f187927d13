"""Dip sampling: a risk-first, stratified, reproducible random draw (design.md "Sampling").

The rules, each in one place below:

- Stratified by worker: ``per_worker`` children from each allocated worker's caseload.
- Priority tiers from config (``settings.sampling.tiers``): a draw fills from tier 1
  first, then 2, then 3; it can be limited to some tiers.
- Only open cases with an allocated worker are eligible.
- A child whose last audit (a dipaudit audit submitted, or an imported QA Audit case
  note) is dated D is eligible again on D + ``exclusion_days`` (default 28).
- A child already in a live queue item, or with a draft audit, is not drawn again.
- At most one child per family group in one draw: the audit is about that child only.
- Reproducible: children are sorted before a ``random.Random(seed)`` shuffles them,
  and the seed, parameters, eligible population and every reason are stored.
- Workers who could not be given ``per_worker`` children are reported with the reason.

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

from .clock import from_iso, local
from .clock import today as london_today
from .context import Context
from .errors import Conflict, DipauditError, NotFound
from .models import Pick, SampleResult, Unfilled
from .people import get_person, require_role

# Statuses that hold a child: a queue item still being worked, an audit counted as done.
LIVE_QUEUE_STATUSES = ("queued", "claimed", "in_progress")
AUDITED_STATUSES = ("submitted", "queried", "finalised")

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


@dataclass
class _WorkerTally:
    """What happened to one worker's children in tiers the draw covers (for unfilled reasons)."""

    team: str | None = None
    open_in_tiers: int = 0
    excluded: Counter = field(default_factory=Counter)
    picked: int = 0


# --- reads: one query each, never per child -------------------------------------------


def _last_audits(ctx: Context, *, child_id: str | None = None) -> dict[str, LastAudit]:
    """Per child, the latest audit: a submitted dipaudit audit or an imported QA Audit note."""
    one = " AND child_id = ?" if child_id else ""
    params = [*AUDITED_STATUSES] + ([child_id] if child_id else [])
    rows = ctx.store.query(
        f"""
        -- SQLite takes the bare audit_id from the row holding MAX(submitted_at).
        SELECT child_id, MAX(submitted_at) AS at, NULL AS on_date, 'audit' AS src, audit_id
          FROM audits
         WHERE status IN ({",".join("?" * len(AUDITED_STATUSES))}) AND submitted_at IS NOT NULL{one}
         GROUP BY child_id
        UNION ALL
        SELECT child_id, NULL, MAX(date), 'note', NULL
          FROM case_notes WHERE kind = 'qa_audit'{one}
         GROUP BY child_id
        """,
        params + ([child_id] if child_id else []),
    )
    latest: dict[str, LastAudit] = {}
    for r in rows:
        if r["src"] == "audit":
            # An audit counts from the London date it was submitted.
            found = LastAudit(local(from_iso(r["at"])).date(), f"dipaudit audit {r['audit_id']}")
        else:
            found = LastAudit(date.fromisoformat(r["on_date"][:10]), "QA Audit case note")
        held = latest.get(r["child_id"])
        if held is None or found.on > held.on:
            latest[r["child_id"]] = found
    return latest


def last_audit_dates(ctx: Context) -> dict[str, date]:
    """Per child, the date of the last audit: the London date a dipaudit audit was submitted
    (submitted, queried or finalised), or the date of an imported QA Audit case note,
    whichever is later."""
    return {child_id: last.on for child_id, last in _last_audits(ctx).items()}


def _held_children(ctx: Context) -> dict[str, tuple[str, str]]:
    """Children already being worked: a live queue item or a draft audit -> (code, reason)."""
    rows = ctx.store.query(
        f"""
        SELECT child_id, 'queue' AS kind, queue_id AS id, status FROM queue_items
         WHERE status IN ({",".join("?" * len(LIVE_QUEUE_STATUSES))})
        UNION ALL
        SELECT child_id, 'draft', audit_id, status FROM audits WHERE status = 'draft'
        """,
        list(LIVE_QUEUE_STATUSES),
    )
    held: dict[str, tuple[str, str]] = {}
    for r in rows:
        if r["kind"] == "draft":
            held[r["child_id"]] = (DRAFT_AUDIT, f"audit in progress (draft audit {r['id']})")
        else:
            held.setdefault(r["child_id"], (IN_QUEUE, f"already in the queue (item {r['id']}, {r['status']})"))
    return held


# --- the draw ------------------------------------------------------------------------


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


# The worker a child is allocated to: the matched person's login when the directory knows
# them, else the name as the extract spells it ("Walt Two" in List 7 and w.two in the
# canonical file are one worker, drawn from once).
WORKER_KEY = "COALESCE(NULLIF(TRIM(worker_login), ''), TRIM(COALESCE(worker, '')))"


def _check_params(ctx: Context, per_worker, tiers, teams, auditors) -> tuple[int, list[int], list[str], list[str]]:
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
    return per_worker, chosen, teams, logins


def _draw(ctx: Context, *, per_worker: int, tiers: list[int], teams: list[str],
          seed: int, auditors: list[str]) -> dict:
    """Compute a draw from the current data; pure apart from its four reads."""
    day = london_today(ctx.clock)
    days = ctx.settings.sampling.exclusion_days
    # Audited on D -> eligible again on D + days, i.e. still excluded while D > day - days.
    audited_after = day - timedelta(days=days)
    tier_map = dict(ctx.settings.sampling.tiers)

    # Open (not closed on or before today) and allocated: the only children a draw can pick.
    # The tier is computed in SQL from the settings map (Settings.tier_of: unknown -> 3).
    # "+is_open" keeps SQLite off the (is_open, worker) index: most children are open, and
    # a scan of the table is ~1.5x faster than an index walk with a lookup per row.
    open_case = ("+is_open = 1 AND (closed_on IS NULL OR closed_on = '' OR substr(closed_on, 1, 10) > :today)"
                 " AND TRIM(COALESCE(worker, '')) != ''")
    tier_sql = "CASE cohort " + " ".join(
        f"WHEN :c{i} THEN :t{i}" for i in range(len(tier_map))) + " ELSE 3 END"
    params: dict = {"today": day.isoformat()}
    for i, (cohort, tier) in enumerate(sorted(tier_map.items())):
        params[f"c{i}"], params[f"t{i}"] = cohort, tier
    in_team = ""
    if teams:
        in_team = " AND TRIM(team) COLLATE NOCASE IN (" + ", ".join(f":team{i}" for i in range(len(teams))) + ")"
        params |= {f"team{i}": t for i, t in enumerate(teams)}
    with ctx.store.lock:  # plain tuples: 100,000 rows as dicts cost more than the draw
        conn = ctx.store.db.conn
        rows = conn.execute(
            f"SELECT child_id, {tier_sql}, cohort, {WORKER_KEY}, team, family_id, TRIM(worker) FROM children"
            f" WHERE {open_case}{in_team} ORDER BY child_id", params).fetchall()
        shut = conn.execute(
            f"SELECT child_id, {tier_sql}, cohort, NULLIF({WORKER_KEY}, ''), team,"
            f" is_open, closed_on FROM children WHERE NOT ({open_case}){in_team}", params).fetchall()
    if not rows and not shut:
        if teams:
            raise DipauditError(f"no children in team {', '.join(teams)}: check the team name")
        raise DipauditError("the caseload is empty: import one first (dipaudit import caseload FILE)")
    # A worker is one person however the lists spell them; shown as the extract first
    # spells them (by child id, so the same data always shows the same name).
    shown: dict[str, str] = {}
    for r in rows:
        shown.setdefault(r[3], r[6])

    def label(worker: str | None) -> str | None:
        return shown.get(worker, worker) if worker else worker

    last = _last_audits(ctx)
    held = _held_children(ctx)

    log: list[dict] = []
    counts: Counter = Counter()
    excluded_of: dict[str, Counter] = defaultdict(Counter)  # worker -> reason code -> children

    def exclude(child_id, worker, team, tier, cohort, code, reason):
        counts[code] += 1
        if worker and code not in (CLOSED, UNALLOCATED):
            excluded_of[worker][code] += 1
        log.append({"child_id": child_id, "worker": label(worker), "team": team, "tier": tier,
                    "cohort": cohort, "outcome": "excluded", "code": code, "reason": reason})

    for child_id, tier, cohort, worker, team, is_open, closed_on in shut:
        if is_open and closed_on is not None and closed_on != "" and closed_on[:10] <= day.isoformat():
            exclude(child_id, worker, team, tier, cohort, CLOSED, f"case closed on {closed_on[:10]}")
        elif not is_open:
            exclude(child_id, worker, team, tier, cohort, CLOSED,
                    f"case closed on {closed_on[:10]}" if closed_on else "case closed")
        else:
            exclude(child_id, None, team, tier, cohort, UNALLOCATED, "no allocated worker")

    # worker -> tier -> [(child_id, cohort, team, family_id)]; worker -> team -> children
    pools: dict[str, dict[int, list[tuple]]] = defaultdict(lambda: defaultdict(list))
    teams_of: dict[str, Counter] = defaultdict(Counter)
    tier_set = set(tiers)
    limited = tiers != _known_tiers(ctx)
    for (worker, team), n in Counter((r[3], r[4]) for r in rows).items():
        teams_of[worker][team] = n
    for child_id, tier, cohort, worker, team, family_id, _spelling in rows:
        if tier not in tier_set:
            continue
        audited = last.get(child_id)
        if audited and audited.on > audited_after:
            again = audited.on + timedelta(days=days)
            exclude(child_id, worker, team, tier, cohort, RECENT_AUDIT,
                    f"audited on {audited.on} ({audited.source}); eligible again on {again}")
            continue
        if child_id in held:
            exclude(child_id, worker, team, tier, cohort, *held[child_id])
            continue
        pools[worker][tier].append((child_id, cohort, team, family_id))
    in_scope = len(rows) + len(shut)

    rng = random.Random(seed)
    drawn_families: dict[str, str] = {}  # family_id -> child drawn
    picks: list[Pick] = []
    unfilled: list[Unfilled] = []
    population = {str(t): [] for t in tiers}
    for worker in sorted(teams_of):
        t = _WorkerTally(excluded=excluded_of[worker])
        t.open_in_tiers = sum(len(p) for p in pools[worker].values()) + sum(t.excluded.values())
        # A worker's team is the one most of their children are in (ties: by name).
        t.team = min(teams_of[worker].items(), key=lambda kv: (-kv[1], kv[0] or ""))[0]
        for tier in tiers:
            # Sorted first, so the same data and seed give the same children whatever
            # order SQLite returned the rows in.
            pool = sorted(pools[worker][tier])
            population[str(tier)].extend(c[0] for c in pool)
            for child_id, cohort, team, family_id in _shuffled(rng, pool):
                if t.picked >= per_worker:
                    break
                if family_id and family_id in drawn_families:
                    exclude(child_id, worker, team, tier, cohort, SIBLING,
                            f"sibling of {drawn_families[family_id]} already drawn")
                    continue
                if family_id:
                    drawn_families[family_id] = child_id
                t.picked += 1
                reason = (f"tier {tier} ({cohort}): drawn at random from {len(pool)} eligible"
                          f" tier {tier} {'child' if len(pool) == 1 else 'children'} of {label(worker)}")
                picks.append(Pick(child_id=child_id, worker=label(worker), team=team,
                                  tier=tier, cohort=cohort, reason=reason))
                log.append({"child_id": child_id, "worker": label(worker), "team": team,
                            "tier": tier, "cohort": cohort, "outcome": "picked",
                            "code": "picked", "reason": reason})
        if t.picked < per_worker:
            unfilled.append(Unfilled(
                worker=label(worker), team=t.team,
                reason=_unfilled_reason(t, per_worker, tiers, days, limited),
            ))

    if not picks:
        summary = ", ".join(f"{n} {code.replace('_', ' ')}" for code, n in sorted(counts.items()))
        raise DipauditError(
            f"no eligible child to draw from {in_scope} children"
            + (f" in {_tiers_text(tiers)}" if limited else "")
            + (f" ({summary})" if summary else "")
        )

    assignees = {}
    if auditors:
        for i, p in enumerate(picks):
            assignees[p.child_id] = auditors[i % len(auditors)]
    return {
        "day": day,
        "picks": picks,
        "unfilled": unfilled,
        "assignees": assignees,
        "population": {
            "draw_date": day.isoformat(),
            "children_considered": in_scope,
            "eligible_per_tier": {k: len(v) for k, v in population.items()},
            "eligible_children": population,
            "excluded_per_reason": dict(sorted(counts.items())),
        },
        # Picks in the order drawn, then exclusions by child.
        "log": [e for e in log if e["outcome"] == "picked"]
        + sorted((e for e in log if e["outcome"] != "picked"), key=lambda e: e["child_id"]),
    }


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
    per_worker, tiers, teams, auditors = _check_params(ctx, per_worker, tiers, teams, auditors)
    seed = secrets.randbits(32) if seed is None else int(seed)
    params = {
        "per_worker": per_worker,
        "tiers": tiers,
        "teams": teams,
        "auditors": auditors,
        "exclusion_days": ctx.settings.sampling.exclusion_days,
        "tier_of_cohort": dict(sorted(ctx.settings.sampling.tiers.items())),
    }
    if dry_run:
        d = _draw(ctx, per_worker=per_worker, tiers=tiers, teams=teams, seed=seed, auditors=auditors)
        return SampleResult(sample_id=None, seed=seed, picks=d["picks"], unfilled=d["unfilled"])

    try:
        with ctx.tx() as tx:
            # Read inside the write lock: a concurrent draw waits, then sees our queue items.
            d = _draw(ctx, per_worker=per_worker, tiers=tiers, teams=teams, seed=seed, auditors=auditors)
            params["draw_date"] = d["day"].isoformat()
            unfilled = [u.model_dump() for u in d["unfilled"]]
            sample_id = tx.execute(
                "INSERT INTO samples (seed, params, created_at, created_by, population, log, unfilled)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [seed, json.dumps(params), tx.at, ctx.user, json.dumps(d["population"]),
                 json.dumps(d["log"]), json.dumps(unfilled)],
            ).lastrowid
            tx.db.conn.executemany(
                "INSERT INTO queue_items (sample_id, child_id, worker, team, tier, cohort, reason,"
                " auditor, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
                [(sample_id, p.child_id, p.worker, p.team, p.tier, p.cohort, p.reason,
                  d["assignees"].get(p.child_id), tx.at, tx.at) for p in d["picks"]],
            )
            tx.event("sample", sample_id, "drawn", after={
                "seed": seed, "params": params, "picks": len(d["picks"]),
                "unfilled": len(unfilled),
                "eligible_per_tier": d["population"]["eligible_per_tier"],
                "excluded_per_reason": d["population"]["excluded_per_reason"],
            })
    except sqlite3.IntegrityError as exc:
        # Only reachable if something wrote a queue item outside a draw's transaction.
        raise Conflict(f"a drawn child was queued by someone else meanwhile; draw again ({exc})") from exc
    return SampleResult(sample_id=sample_id, seed=seed, picks=d["picks"], unfilled=d["unfilled"])


def get_sample(ctx: Context, sample_id: int) -> dict:
    """The stored record of a draw: seed, parameters, who drew it and when, the eligible
    population per tier, every exclusion with its reason, the picks and the unfilled workers."""
    row = ctx.store.one("SELECT * FROM samples WHERE sample_id = ?", [sample_id])
    if row is None:
        raise NotFound(f"no sample {sample_id}")
    log = json.loads(row["log"])
    population = json.loads(row["population"])
    queue = {r["child_id"]: r for r in ctx.store.query(
        "SELECT queue_id, child_id, auditor, status FROM queue_items WHERE sample_id = ?", [sample_id])}
    picks = []
    for e in log:
        if e["outcome"] == "picked":
            q = queue.get(e["child_id"], {})
            picks.append({k: e[k] for k in ("child_id", "worker", "team", "tier", "cohort", "reason")}
                         | {"queue_id": q.get("queue_id"), "auditor": q.get("auditor"),
                            "status": q.get("status")})
    excluded = [{k: e[k] for k in ("child_id", "worker", "team", "tier", "cohort", "code", "reason")}
                for e in log if e["outcome"] == "excluded"]
    return {
        "sample_id": row["sample_id"],
        "seed": row["seed"],
        "params": json.loads(row["params"]),
        "created_at": row["created_at"],
        "created_by": row["created_by"],
        "population": population.get("eligible_per_tier", {}),
        "eligible_children": population.get("eligible_children", {}),
        "children_considered": population.get("children_considered"),
        "exclusions": {"counts": population.get("excluded_per_reason", {}), "children": excluded},
        "picks": picks,
        "unfilled": json.loads(row["unfilled"]),
    }


def list_samples(ctx: Context, *, limit: int = 50) -> list[dict]:
    """Recent draws, newest first, with their pick counts."""
    return ctx.store.query(
        "SELECT s.sample_id, s.seed, s.created_at, s.created_by,"
        " (SELECT COUNT(*) FROM queue_items q WHERE q.sample_id = s.sample_id) AS picks"
        " FROM samples s ORDER BY s.sample_id DESC LIMIT ?",
        [limit],
    )
