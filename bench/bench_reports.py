"""Benchmark: build the SMT and weekly reports over 100,000 audits (design.md "Speed": a
report over 100,000 audits well under a second).

Builds a fresh database (default in a temp dir) holding two years of dipaudit use:
100,000 submitted audits across 40 teams and 2,000 workers, each with the programme
snapshot (stored once), six ratings and its actions; PDT reviews (most completed, some not completed
with a new due date, some never done), escalations with their steps (answered,
referred, closed, some still open), comments and queries, the queue items the audits
came from, and the event trail those changes write. Then times, several runs each:

- the SMT report for the latest Tue -> Thu slot, and the weekly report (the last
  complete week with its 8-week trend), each beside a plain ``SELECT count(*)`` over
  the same audits in the same run;
- the SMT report over all 100,000 audits (a two-year period, six
  hundred thousand ratings), beside a count of them: its cost grows with the period.

Prints ``GOAL MISSED: ...`` and exits 1 when any of the three reports' median build
is not under 1 s of CPU time. CPU time, not wall-clock: on a shared machine the wall
clock also counts the other processes' turns (both are printed, with the load average).

    .venv/bin/python bench/bench_reports.py [--audits 100000] [--runs 5] [--db FILE] [--plans]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import Goals  # noqa: E402

from core.clock import FixedClock, iso  # noqa: E402
from core.config import Settings  # noqa: E402
from core.context import Context  # noqa: E402
from core.programme import load_programme  # noqa: E402
from core.reports import build_report, default_period, slot_period  # noqa: E402
from core.reports.periods import Period  # noqa: E402
from core.store import Store  # noqa: E402
from core.store import events as trail  # noqa: E402
from core.store.audits import canonical_programme  # noqa: E402

NOW = datetime(2020, 4, 30, 7, 5, tzinfo=UTC)  # Thu 08:05 BST, just after an SMT slot
YEARS = 2
TEAMS = 40
WORKERS = 2_000
AUDITORS = 12
GOAL_MS = 1000.0
RATINGS = ["met"] * 60 + ["partly_met"] * 15 + ["not_met"] * 15 + ["not_applicable"] * 10


def _z(dt: datetime) -> str:
    return iso(dt)


def build(store: Store, n_audits: int, seed: int = 2020) -> dict:
    rng = random.Random(seed)
    settings = Settings()
    programme = load_programme(settings)
    canon, sha = canonical_programme(programme.model_dump_json())  # kept once (m009b), as store.audits.insert does
    standards = [s.id for s in programme.standards]
    span = timedelta(days=365 * YEARS)
    people = [("admin1", "Admin One", json.dumps(["admin"]), None, None)]
    people += [(f"aud{i:02d}", f"Auditor {i:02d}", json.dumps(["auditor"]), "QA", None) for i in range(AUDITORS)]
    people += [(f"mgr{t:02d}", f"Manager {t:02d}", json.dumps(["manager"]), f"Team {t:02d}", None)
               for t in range(TEAMS)]
    people += [(f"w{i:04d}", f"Worker {i:04d}", json.dumps(["worker"]), f"Team {i % TEAMS:02d}", f"mgr{i % TEAMS:02d}")
               for i in range(WORKERS)]
    people += [("smt1", "Senior One", json.dumps(["smt"]), None, None),
               ("dir1", "Director One", json.dumps(["director"]), None, None)]
    audits, ratings, actions, reviews, events = [], [], [], [], []
    escalations, steps, comments, queue, children = [], [], [], [], []
    action_id = review_id = esc_id = 0
    for a in range(1, n_audits + 1):
        submitted = NOW - span * rng.random()
        started = submitted - timedelta(hours=rng.uniform(1, 72))
        worker = rng.randrange(WORKERS)
        team, login, manager = f"Team {worker % TEAMS:02d}", f"w{worker:04d}", f"mgr{worker % TEAMS:02d}"
        auditor = f"aud{rng.randrange(AUDITORS):02d}"
        child = f"C{a:06d}"
        review_due = submitted + timedelta(days=14)
        window_closed = submitted + timedelta(hours=72)
        status = "finalised" if window_closed < NOW else "submitted"
        children.append((child, f"Child {child}", "cin", 3, login, login, team, 1, "{}", _z(started)))
        queue.append((a, (a - 1) // 1000 + 1, child, login, team, 3, "cin", auditor, auditor, _z(started), "done", a,
                      _z(started - timedelta(days=rng.uniform(1, 10))), _z(submitted)))
        audits.append((a, a, child, auditor, programme.id, programme.version, sha, status, login, manager, team,
                       started.date().isoformat(), _z(started), _z(submitted),
                       _z(window_closed) if status == "finalised" else None,
                       "system" if status == "finalised" else None, _z(review_due), "Overview.", "", "{}", 3,
                       _z(submitted), auditor))
        for sid in standards:
            ratings.append((a, sid, rng.choice(RATINGS), "Evidence."))
        for pos in range(rng.choice([0, 1, 2, 2, 3])):
            action_id += 1
            due = (submitted + timedelta(days=rng.randint(10, 20))).date()
            status_now, review_due_now, due_now = "open", review_due, due
            reviewed_at = review_due + timedelta(hours=rng.uniform(0, 72))
            if reviewed_at < NOW:
                roll = rng.random()
                if roll < 0.92:
                    outcome = "completed" if roll < 0.80 else ("not_needed" if roll < 0.85 else "not_completed")
                    review_id += 1
                    new_due = (reviewed_at + timedelta(days=14)).date() if outcome == "not_completed" else None
                    reviews.append((review_id, action_id, _z(reviewed_at), "pdt1", outcome,
                                    new_due.isoformat() if new_due else None, None))
                    events.append((_z(reviewed_at), "pdt1", "bench", "action", str(action_id), "reviewed",
                                   json.dumps({"status": "open", "due": due_now.isoformat()}),
                                   json.dumps({"outcome": outcome})))
                    if outcome == "not_completed":
                        due_now = new_due
                        review_due_now = datetime(new_due.year, new_due.month, new_due.day, 8, tzinfo=UTC)
                        again = review_due_now + timedelta(hours=rng.uniform(0, 48))
                        if again < NOW and rng.random() < 0.7:
                            review_id += 1
                            reviews.append((review_id, action_id, _z(again), "pdt1", "completed", None, None))
                            events.append((_z(again), "pdt1", "bench", "action", str(action_id), "reviewed",
                                           json.dumps({"status": "open", "due": due_now.isoformat()}),
                                           json.dumps({"outcome": "completed"})))
                            status_now = "completed"
                    else:
                        status_now = outcome
            actions.append((action_id, a, pos, "worker" if pos == 0 else "manager", login if pos == 0 else manager,
                            "Do the thing.", due_now.isoformat(), status_now, _z(review_due_now), _z(started),
                            _z(submitted)))
        if rng.random() < 0.04:
            esc_id += 1
            raised = submitted + timedelta(hours=rng.uniform(0, 2))
            respond_by = raised + timedelta(days=1)
            row = {"level": "manager", "status": "open", "recipient": manager, "respond_by": respond_by,
                   "responded_at": None, "referred_at": None, "closed_at": None}
            steps.append((esc_id, _z(raised), auditor, "raised", manager, "Concern."))
            events.append((_z(raised), auditor, "bench", "escalation", str(esc_id), "raised", None,
                           json.dumps({"respond_by": _z(respond_by), "level": "manager"})))
            roll = rng.random()
            if roll < 0.2 and respond_by < NOW:  # nobody answered: referred to the Head of Service
                row.update(level="head_of_service", referred_at=respond_by + timedelta(minutes=5),
                           respond_by=respond_by + timedelta(days=1, minutes=5), recipient="hos1")
                steps.append((esc_id, _z(row["referred_at"]), "system", "referred", "hos1", None))
            answered = raised + timedelta(hours=rng.uniform(1, 40))
            if roll > 0.05 and answered < NOW:
                row.update(status="responded", responded_at=max(answered, row["referred_at"] or answered))
                steps.append((esc_id, _z(row["responded_at"]), row["recipient"], "responded", None, "Seen."))
                closed = row["responded_at"] + timedelta(days=rng.uniform(1, 5))
                if closed < NOW:
                    row.update(status="closed", closed_at=closed)
                    steps.append((esc_id, _z(closed), auditor, "closed", None, "Outcome."))
            escalations.append((esc_id, a, child, row["level"], row["status"], "Concern.", auditor, _z(raised),
                                row["recipient"], "no-answer", _z(row["respond_by"]),
                                _z(row["responded_at"]) if row["responded_at"] else None, None,
                                _z(row["referred_at"]) if row["referred_at"] else None, None,
                                _z(row["closed_at"]) if row["closed_at"] else None, None, None))
        if rng.random() < 0.3:
            query = rng.random() < 0.33
            made = submitted + timedelta(hours=rng.uniform(1, 60))
            resolved = made + timedelta(hours=rng.uniform(1, 30)) if query and rng.random() < 0.97 else None
            if made < NOW:
                comments.append((a, manager, manager, "A comment.", int(query),
                                 ("resolved" if resolved and resolved < NOW else "open") if query else "noted",
                                 _z(made), _z(resolved) if resolved and resolved < NOW else None))
    samples = [(s, 1, "{}", _z(NOW - span), "aud00") for s in range(1, (n_audits - 1) // 1000 + 2)]
    conn = store.db.conn
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO people (login, name, roles, team, manager) VALUES (?,?,?,?,?)", people)
    conn.executemany("INSERT INTO children (child_id, name, cohort, tier, worker, worker_login, team, is_open,"
                     " key_dates, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)", children)
    conn.executemany("INSERT INTO samples (sample_id, seed, params, created_at, created_by) VALUES (?,?,?,?,?)",
                     samples)
    conn.executemany("INSERT INTO queue_items (queue_id, sample_id, child_id, worker, team, tier, cohort, auditor,"
                     " claimed_by, claimed_at, status, audit_id, created_at, updated_at)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", queue)
    conn.execute("INSERT INTO programme_snapshots (sha256, programme) VALUES (?, ?)", [sha, canon])
    conn.executemany("INSERT INTO audits (audit_id, queue_id, child_id, auditor, programme_id, programme_version,"
                     " programme_sha, status, worker, manager, team, audit_date, started_at, submitted_at, finalised_at,"
                     " finalised_by, review_due_at, overview, positive_practice, prechecks, version, updated_at,"
                     " updated_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", audits)
    conn.executemany("INSERT INTO ratings (audit_id, standard_id, rating, evidence) VALUES (?,?,?,?)", ratings)
    conn.executemany("INSERT INTO actions (action_id, audit_id, position, owner_role, owner, description, due,"
                     " status, review_due_at, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)", actions)
    conn.executemany("INSERT INTO action_reviews (review_id, action_id, at, by, outcome, new_due, note)"
                     " VALUES (?,?,?,?,?,?,?)", reviews)
    conn.executemany("INSERT INTO escalations (escalation_id, audit_id, child_id, level, status, concern, raised_by,"
                     " raised_at, recipient, phoned, respond_by, responded_at, response, referred_at, overdue_at,"
                     " closed_at, closed_by, outcome) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", escalations)
    conn.executemany("INSERT INTO escalation_steps (escalation_id, at, by, kind, recipient, text)"
                     " VALUES (?,?,?,?,?,?)", steps)
    conn.executemany("INSERT INTO comments (audit_id, author, recorded_by, text, is_query, status, created_at,"
                     " resolved_at) VALUES (?,?,?,?,?,?,?,?)", comments)
    events.sort()
    # Each event linked into the tamper-evident chain, as Tx.event writes it.
    conn.executemany("INSERT INTO events (event_id, at, actor, os_login, entity, entity_id, action, before, after,"
                     " hash) VALUES (?,?,?,?,?,?,?,?,?,?)", list(trail.chained(events, after=trail.head(store))))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    open_actions = sum(1 for x in actions if x[7] == "open")
    return {"audits": len(audits), "ratings": len(ratings), "actions": len(actions), "open_actions": open_actions,
            "reviews": len(reviews), "escalations": len(escalations), "comments": len(comments),
            "events": len(events)}


def timed(fn, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per run (CPU time is steadier on a busy machine)."""
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def fmt(ms: tuple[list[float], list[float]]) -> str:
    wall, cpu = ms
    return (f"wall median {statistics.median(wall):7.1f} ms (min {min(wall):7.1f})"
            f"   cpu median {statistics.median(cpu):7.1f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--audits", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--db", type=Path, default=None)
    ap.add_argument("--plans", action="store_true", help="print EXPLAIN QUERY PLAN of the report queries")
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory()
    path = args.db or Path(tmp.name) / "bench.db"
    if path.exists():
        sys.exit(f"{path} exists; give a new file")
    store = Store.open(path)
    t = time.perf_counter()
    built = build(store, args.audits)
    print(f"built {built['audits']:,} audits ({built['ratings']:,} ratings, {built['actions']:,} actions of which"
          f" {built['open_actions']:,} open, {built['reviews']:,} reviews, {built['escalations']:,} escalations,"
          f" {built['comments']:,} comments, {built['events']:,} events) in {time.perf_counter() - t:.1f} s;"
          f" file {path.stat().st_size / 1e6:.0f} MB")
    settings = Settings()
    ctx = Context(store=store, clock=FixedClock(NOW), settings=settings, user="admin1", os_login="bench")
    rs = settings.reports
    smt = slot_period(rs, "smt", NOW.replace(minute=0))
    weekly = default_period(rs, "weekly", NOW)
    everything = Period(NOW - timedelta(days=365 * YEARS + 1), NOW)
    cases = [("SMT report (Tue -> Thu slot)", "smt", smt, True),
             ("weekly report (+ 8-week trend)", "weekly", weekly, True),
             ("SMT report over all audits", "smt", everything, True)]

    if args.plans:
        _plans(store, smt)

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (figures are noisy when busy);"
          f" {args.runs} runs each")
    goals = Goals("bench_reports")
    total = store.scalar("SELECT count(*) FROM audits")
    everyone = timed(lambda: store.scalar("SELECT count(*) FROM audits"), args.runs)
    print(f"baseline SELECT count(*) of all {total:,} audits: {fmt(everyone)}")
    for label, kind, period, goal in cases:
        lo, hi = iso(period.start), iso(period.end)

        def count(lo=lo, hi=hi):
            return store.scalar("SELECT count(*) FROM audits WHERE submitted_at >= ? AND submitted_at < ?", [lo, hi])

        n = count()
        base = timed(count, args.runs)
        report = build_report(ctx, kind, period)
        ms = timed(lambda kind=kind, period=period: build_report(ctx, kind, period), args.runs)
        print(f"{label:32s}: {n:7,} audits, {len(report.teams)} teams, {len(report.escalations):,} escalations"
              " listed")
        print(f"  baseline SELECT count(*) of them: {fmt(base)}")
        print(f"  build_report                    : {fmt(ms)}")
        if goal:
            goals.value(f"{label}, CPU median", statistics.median(ms[1]), at_most=GOAL_MS, unit="ms")
    store.close()
    tmp.cleanup()
    goals.finish()


def _plans(store: Store, period: Period) -> None:
    """The query plans of the report's aggregate queries (to check their indexes)."""
    import inspect

    from core.store import reports as q

    t = iso(period.end)
    calls = {
        "audit_groups": (q.audit_groups, (iso(period.start), t)),
        "actions_as_at": (q.actions_as_at, (t, t[:10], t)),
        "escalations_as_at": (q.escalations_as_at, (iso(period.start), t)),
        "sample_progress": (q.sample_progress, (iso(period.start), t, t)),
    }

    class Explain:
        def __init__(self, reader):
            self.reader = reader

        def query(self, sql, params=None):
            print("\n".join(f"    {r['detail']}" for r in self.reader.query("EXPLAIN QUERY PLAN " + sql, params)))
            return []

        def rows(self, sql, params=None):
            self.query(sql, params)
            return []

        def scalar(self, sql, params=None):
            self.query(sql, params)
            return 0

        def one(self, sql, params=None):
            self.query(sql, params)
            return {}

    for name, (fn, params) in calls.items():
        print(f"  plan of {name} ({inspect.getsourcefile(fn).rsplit('/', 1)[-1]})")
        fn(Explain(store), *params)


if __name__ == "__main__":
    main()
