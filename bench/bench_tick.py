"""Benchmark: the scheduler's tick at scale (issue 10 item 3).

Builds (untimed) the database of ``bench_reports.build``: 100,000 submitted audits over
two years with their ratings, actions, PDT reviews, escalations, comments and trail,
plus the outbox history those audits left (finalisation notices, reminders), and a PDT
member. A first tick then catches up on that history and checks the whole trail (its
figure is printed: the daily whole check may be slower). Then, in this process (the
interpreter's and dipaudit's start-up are ``bench_startup``'s, not counted here):

- **quiet tick**: the same clock again, nothing due: ``core.tick.tick`` and the
  scheduler's whole path without delivery (``notify.scheduler.run_scheduler``, which
  also records the run). Goal: under 50 ms.
- **catch-up tick**: on a copy where 5,000 audits' comment windows have closed unseen
  and 10,000 actions have fallen due (review due, reminder due) since the last tick.
  Goal: under 1 s.

Each beside a baseline in the same run: ``SELECT count(*)`` over the audits (quiet) and
the least the catch-up must write (one row per finalised audit and reminded action, in
one transaction). Figures are wall-clock milliseconds; CPU is printed too.

    .venv/bin/python bench/bench_tick.py [--audits 100000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _bench import Goals, load_line  # noqa: E402
from bench_reports import NOW, build  # noqa: E402

from core.clock import FixedClock, iso  # noqa: E402
from core.config import Settings  # noqa: E402
from core.context import Context  # noqa: E402
from core.store import Store  # noqa: E402
from core.tick import tick  # noqa: E402

QUIET_GOAL_MS = 50.0
CATCH_UP_GOAL_MS = 1000.0
DUE_AUDITS = 5_000
DUE_ACTIONS = 10_000


def add_history(store: Store) -> int:
    """The outbox a year of use leaves: every finalised audit's two notices, sent, and the
    reminders of the actions now closed; a PDT member to alert. Returns outbox rows."""
    conn = store.db.conn
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT OR IGNORE INTO people (login, name, roles) VALUES ('pdt1', 'PDT One', '[\"pdt\"]')")
    conn.execute("INSERT OR IGNORE INTO people (login, name, roles) VALUES ('hos1', 'Head One',"
                 " '[\"head_of_service\"]')")
    for login_col, role in (("worker", "worker"), ("manager", "manager")):
        conn.execute(
            "INSERT INTO outbox (created_at, recipient, recipient_role, template, payload, entity, entity_id,"
            " idempotency_key, status, attempts, sent_at)"
            f" SELECT finalised_at, {login_col}, '{role}', 'audit_finalised', '{{}}', 'audit', audit_id,"
            f" 'audit:' || audit_id || ':finalised:' || {login_col}, 'sent', 1, finalised_at"
            " FROM audits WHERE status = 'finalised'")
    conn.execute(
        "INSERT INTO outbox (created_at, recipient, recipient_role, template, payload, entity, entity_id,"
        " idempotency_key, status, attempts, sent_at)"
        " SELECT created_at, owner, owner_role, 'action_reminder', '{}', 'action', action_id,"
        " 'action:' || action_id || ':reminder:' || due, 'sent', 1, created_at"
        " FROM actions WHERE status != 'open' AND owner IS NOT NULL")
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    return store.scalar("SELECT count(*) FROM outbox")


def make_due(store: Store, now) -> tuple[int, int]:
    """Since the last tick: ``DUE_AUDITS`` audits' windows closed (submitted 4 days ago,
    still 'submitted'), and ``DUE_ACTIONS`` actions of audits not yet flagged fell due
    (open, due yesterday, review due an hour ago). Written behind dipaudit's back, as a
    setup: the tick only sees what is due."""
    conn = store.db.conn
    conn.execute("BEGIN IMMEDIATE")
    submitted = iso(now - timedelta(days=4))
    conn.execute(
        "UPDATE audits SET status = 'submitted', finalised_at = NULL, finalised_by = NULL, submitted_at = ?"
        " WHERE audit_id IN (SELECT audit_id FROM audits WHERE status = 'finalised'"
        "  AND audit_id NOT IN (SELECT a2.audit_id FROM audits a2 JOIN comments c ON c.audit_id = a2.audit_id)"
        "  ORDER BY audit_id LIMIT ?)", [submitted, DUE_AUDITS])
    conn.execute("DELETE FROM outbox WHERE template = 'audit_finalised' AND entity_id IN"
                 " (SELECT CAST(audit_id AS TEXT) FROM audits WHERE status = 'submitted' AND submitted_at = ?)",
                 [submitted])
    yesterday = (now - timedelta(days=1)).date().isoformat()
    conn.execute(
        "UPDATE actions SET status = 'open', due = ?, review_due_at = ? WHERE action_id IN"
        " (SELECT ac.action_id FROM actions ac WHERE ac.status != 'open' AND ac.owner IS NOT NULL"
        "  AND NOT EXISTS (SELECT 1 FROM events e WHERE e.entity = 'audit'"
        "   AND e.entity_id = CAST(ac.audit_id AS TEXT) AND e.action = 'review_due')"
        "  ORDER BY ac.action_id DESC LIMIT ?)", [yesterday, iso(now - timedelta(hours=1)), DUE_ACTIONS])
    conn.execute("UPDATE audits SET review_due_at = ? WHERE audit_id IN (SELECT audit_id FROM actions"
                 " WHERE status = 'open' AND due = ?)", [iso(now - timedelta(hours=1)), yesterday])
    audits_due = store.scalar("SELECT count(*) FROM audits WHERE status = 'submitted' AND submitted_at = ?",
                              [submitted])
    actions_due = store.scalar("SELECT count(*) FROM actions WHERE status = 'open' AND due = ?", [yesterday])
    conn.execute("COMMIT")
    return audits_due, actions_due


def copy_db(src: Path, dst: Path) -> None:
    """``src`` (closed) to ``dst``, leaving no journal of an earlier ``dst`` beside it."""
    for old in dst.parent.glob(dst.name + "*"):
        old.unlink()
    shutil.copy(src, dst)


def timed(fn, runs: int, before=None) -> tuple[list[float], list[float], object]:
    wall, cpu, out = [], [], None
    for _ in range(runs):
        if before:
            before()
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu, out


def fmt(wall: list[float], cpu: list[float]) -> str:
    return (f"wall median {statistics.median(wall):8.1f} ms (min {min(wall):8.1f})"
            f"   cpu median {statistics.median(cpu):8.1f} ms")


def context(path: Path, now) -> Context:
    return Context(store=Store.open(path), clock=FixedClock(now), settings=Settings(), user="system",
                   os_login="bench")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--audits", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    goals = Goals("bench_tick")
    with tempfile.TemporaryDirectory(prefix="dipaudit-tick-") as tmp:
        path = Path(tmp) / "tick.db"
        store = Store.open(path)
        t = time.perf_counter()
        built = build(store, args.audits)
        outbox = add_history(store)
        store.close()
        print(f"built {built['audits']:,} audits, {built['actions']:,} actions, {built['escalations']:,}"
              f" escalations, {built['events']:,} events, {outbox:,} outbox rows in"
              f" {time.perf_counter() - t:.1f} s; file {path.stat().st_size / 1e6:.0f} MB", flush=True)
        print(f"{args.runs} runs each; {load_line()}", flush=True)
        ctx = context(path, NOW)
        wall, cpu, first = timed(lambda: tick(ctx), 1)
        print(f"first tick (catches up the built history, whole trail check of {first.trail.events:,} events):"
              f" {fmt(wall, cpu)}; finalised {len(first.finalised):,}, reviews due {len(first.reviews_due):,},"
              f" reminders {len(first.reminders):,}, overdue {len(first.escalations_overdue):,}", flush=True)
        from notify.scheduler import run_scheduler

        count = timed(lambda: ctx.store.scalar("SELECT count(*) FROM audits"), args.runs)
        print(f"  baseline SELECT count(*) of the audits       : {fmt(*count[:2])}")
        wall, cpu, quiet = timed(lambda: tick(ctx), args.runs)
        if quiet.finalised or quiet.reviews_due or quiet.reminders or quiet.escalations_overdue:
            sys.exit("the quiet tick was not quiet")
        print(f"  quiet tick (core.tick.tick)                  : {fmt(wall, cpu)}", flush=True)
        goals.value(f"quiet tick over {built['audits']:,} audits", statistics.median(wall),
                    at_most=QUIET_GOAL_MS, unit="ms")
        wall, cpu, _ = timed(lambda: run_scheduler(ctx, deliver=False), args.runs)
        print(f"  quiet scheduler run (tick + run record)      : {fmt(wall, cpu)}", flush=True)
        goals.value("quiet scheduler run (no delivery)", statistics.median(wall), at_most=QUIET_GOAL_MS,
                    unit="ms")
        later = NOW + timedelta(days=1, minutes=1)
        ctx.clock = FixedClock(later)
        wall, cpu, daily = timed(lambda: tick(ctx), 1)
        print(f"  the daily whole trail check (a quiet tick a day on, {daily.trail.events:,} events):"
              f" {fmt(wall, cpu)} (for information: no goal)", flush=True)
        ctx.store.close()

        seeded = Path(tmp) / "seeded.db"
        copy_db(path, seeded)
        copy = Path(tmp) / "catchup.db"
        walls, cpus, base_walls = [], [], []
        for _ in range(args.runs):
            copy_db(seeded, copy)
            st = Store.open(copy)
            due = make_due(st, later)
            st.close()
            os.sync()  # the copy's pages reach the disk before the clock starts, not during the tick's commits
            c = context(copy, later)
            w, cp, done = timed(lambda c=c: tick(c), 1)
            if len(done.finalised) != due[0]:
                sys.exit(f"catch-up tick finalised {len(done.finalised):,} of {due[0]:,} due audits")
            walls += w
            cpus += cp
            c.store.close()
            # baseline: one row written per finalised audit and reminded action, one transaction
            st = Store.open(copy)
            t = time.perf_counter()
            st.db.conn.execute("BEGIN IMMEDIATE")
            st.db.conn.executemany("UPDATE audits SET version = version + 1 WHERE audit_id = ?",
                                   [(a,) for a in done.finalised])
            st.db.conn.executemany("INSERT INTO meta (key, value) VALUES (?, 'x')",
                                   [(f"bench{r.action_id}",) for r in done.reminders])
            st.db.conn.execute("ROLLBACK")
            base_walls.append((time.perf_counter() - t) * 1000)
            st.close()
        print(f"catch-up tick: {due[0]:,} audits' windows closed, {due[1]:,} actions due"
              f" ({len(done.reviews_due):,} audits' reviews due, {len(done.reminders):,} reminders)")
        print(f"  baseline: one write per audit and action     : wall median {statistics.median(base_walls):8.1f} ms")
        print(f"  catch-up tick (core.tick.tick)               : {fmt(walls, cpus)}", flush=True)
        goals.value(f"catch-up tick ({due[0]:,} audits, {due[1]:,} actions)", statistics.median(walls),
                    at_most=CATCH_UP_GOAL_MS, unit="ms")
    goals.finish()


if __name__ == "__main__":
    main()
