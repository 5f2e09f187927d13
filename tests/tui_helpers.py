"""Shared helpers for TUI tests (Pilot and snapshots). Reuse them; don't copy them.

How a screen test uses them::

    from tui_helpers import SIZE, SIZE_SMALL, make_app, seed_queue, settle, tui_ctx  # noqa: F401

    async def test_something(tui_ctx):                 # fixture: seeded db, user auditor1
        queue_ids = seed_queue(tui_ctx)                  # optional: a sample + queue items
        app = make_app(tui_ctx)                          # create_app with the tick timer off
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)                          # workers finished, messages handled
            await pilot.press("c")
            await settle(pilot)
            assert tui_ctx.store.scalar("SELECT status FROM queue_items WHERE queue_id=?", [queue_ids[0]]) == "claimed"

Importing the fixture name (``tui_ctx``) into the test module is what makes pytest
see it (the tests directory is on ``sys.path``; no conftest edit needed).

- ``tui_ctx``: a ``Context`` on a real SQLite file (``db_path``) with the directory
  (``PEOPLE``: admin1, auditor1, auditor2, managers, workers, a Head of Service),
  three teams and a small deterministic caseload with case notes; user ``auditor1``;
  the conftest ``clock`` (FixedClock 2020-04-27 09:00 UTC). ``as_user(tui_ctx, "w1")``
  from conftest gives another acting user on the same file.
- ``seed_caseload(ctx)`` / ``seed_queue(ctx)``: the same data for any context; they
  write rows directly, so a screen test does not depend on the importer or sampler.
- ``make_app(ctx)``: the real app via the one factory, ``tick_seconds=None`` (no timer:
  nothing moves on screen by itself). Pass ``tick_seconds=...`` to test the tick.
- ``settle(pilot)``: wait for every worker and pending message; use it after each key
  that starts a worker instead of sleeping.
- ``wait_until(pilot, check)``: for what happens on a timer (the checklist's autosave):
  let the app run until ``check()`` holds, e.g. the database row is written.
  Every wait has a generous deadline (``DEADLINE``, 30 s), never an expected duration.
- ``freeze_header(pilot)``: set a fixed sub-title (the db path is a tmp dir) and stop
  cursors blinking, so snapshots are byte-stable; use it in
  ``snap_compare(..., run_before=freeze_header)``, last in a longer ``run_before``.
- ``toasts(app)``: the texts of the notifications currently shown (assert on errors).
- ``busy_database(ctx, login)``: a context as ``login`` with a short busy wait, and a
  connection to hold the database with (``BEGIN IMMEDIATE``), as another process would.

Snapshots: ``snap_compare(make_app(ctx), terminal_size=SIZE_SMALL, run_before=...)``;
baselines live in tests/__snapshots__/ and are made with ``pytest --snapshot-update``.
TEXTUAL_ANIMATIONS=none is set by conftest.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from core.context import Context
from core.store import Store

SIZE = (120, 40)
SIZE_SMALL = (80, 24)

TEAMS = {"Team A": "hos1", "Team B": "hos1", "Team C": "hos2"}

PEOPLE = [
    {"login": "admin1", "name": "Adam Admin", "roles": ["admin"]},
    {"login": "auditor1", "name": "Ada Auditor", "roles": ["auditor"]},
    {"login": "auditor2", "name": "Ben Auditor", "roles": ["auditor"]},
    {"login": "pdt1", "name": "Pat Developer", "roles": ["pdt"]},
    {"login": "hos1", "name": "Hana Head", "roles": ["head_of_service"]},
    {"login": "hos2", "name": "Hugo Head", "roles": ["head_of_service"]},
    {"login": "m1", "name": "Mia Manager", "roles": ["manager"], "team": "Team A", "head_of_service": "hos1"},
    {"login": "m2", "name": "Max Manager", "roles": ["manager"], "team": "Team B", "head_of_service": "hos1"},
    {"login": "m3", "name": "Meg Manager", "roles": ["manager"], "team": "Team C", "head_of_service": "hos2"},
]
# Two workers per team, each supervised by the team's manager.
WORKERS = [
    ("w1", "Wendy Worker", "Team A", "m1"),
    ("w2", "Walt Worker", "Team A", "m1"),
    ("w3", "Wren Worker", "Team B", "m2"),
    ("w4", "Will Worker", "Team B", "m2"),
    ("w5", "Wade Worker", "Team C", "m3"),
    ("w6", "Wyn Worker", "Team C", "m3"),
]
for _login, _name, _team, _mgr in WORKERS:
    PEOPLE.append({"login": _login, "name": _name, "roles": ["worker"], "team": _team,
                   "manager": _mgr, "head_of_service": TEAMS[_team]})

# Each worker's caseload, highest risk first; the cohorts give every tier.
COHORTS = ["cp", "cla", "cin", "cin"]
NOTE_DATES = ["2020-03-02", "2020-03-30", "2020-04-02", "2020-04-20"]
NOTE_KINDS = [("covid", "COVID-19"), ("management_oversight", "Management oversight"),
              ("communication", "Communication"), ("virtual_contact", "Virtual contact")]


def child_ids() -> list[str]:
    """The ids ``seed_caseload`` creates, in order: C001..C024."""
    return [f"C{i:03d}" for i in range(1, len(WORKERS) * len(COHORTS) + 1)]


def seed_people(ctx: Context) -> None:
    """The people directory and teams (tests/tui_helpers.PEOPLE, TEAMS)."""
    with ctx.tx() as tx:
        for name, hos in TEAMS.items():
            tx.db["teams"].upsert({"name": name, "head_of_service": hos}, pk="name")
        for p in PEOPLE:
            tx.db["people"].upsert(
                {"login": p["login"], "name": p["name"], "roles": json.dumps(p["roles"]),
                 "team": p.get("team"), "email": f"{p['login']}@example.org",
                 "manager": p.get("manager"), "head_of_service": p.get("head_of_service"),
                 "active": 1, "updated_at": tx.at},
                pk="login",
            )


def seed_caseload(ctx: Context) -> list[str]:
    """Four open children per worker (cp, cla, cin, cin) with four case notes each.

    C001/C002 share a family (siblings). Returns the child ids."""
    ids = child_ids()
    with ctx.tx() as tx:
        children, notes = [], []
        for i, child_id in enumerate(ids):
            login, _name, team, _mgr = WORKERS[i // len(COHORTS)]
            cohort = COHORTS[i % len(COHORTS)]
            children.append({
                "child_id": child_id, "name": f"Child {child_id}", "date_of_birth": f"20{10 + i % 8:02d}-05-01",
                "expected_date_of_birth": None, "cohort": cohort, "tier": ctx.settings.tier_of(cohort),
                "worker": login, "worker_login": login, "team": team,
                "family_id": "F001" if child_id in ("C001", "C002") else f"F{child_id}",
                "is_open": 1, "closed_on": None,
                "key_dates": json.dumps({"cp_plan_start": "2019-11-04"} if cohort == "cp" else
                                        {"date_looked_after": "2018-06-12"} if cohort == "cla" else
                                        {"cin_start": "2019-09-23"}),
                "updated_at": tx.at,
            })
            for (kind, type_), day in zip(NOTE_KINDS, NOTE_DATES, strict=True):
                notes.append({"child_id": child_id, "date": day, "kind": kind, "type": type_,
                              "author": login, "summary": f"{type_} note for {child_id}",
                              "note_key": f"{child_id}|{day}|{kind}", "imported_at": tx.at})
        tx.db["children"].insert_all(children, pk="child_id")
        tx.db["case_notes"].insert_all(notes)
    return ids


def seed_queue(ctx: Context, child_ids_: list[str] | None = None, *, auditors=("auditor1", "auditor2"),
               seed: int = 7) -> list[int]:
    """A sample and one queued item per child (default: the first child of each worker),
    auditors assigned round-robin. Written directly: no dependency on core.sampling."""
    wanted = child_ids_ or child_ids()[:: len(COHORTS)]
    with ctx.tx() as tx:
        cur = tx.execute(
            "INSERT INTO samples (seed, params, created_at, created_by) VALUES (?, ?, ?, ?)",
            [seed, json.dumps({"per_worker": 1, "seed": seed}), tx.at, ctx.user],
        )
        sample_id = cur.lastrowid
        queue_ids = []
        for n, child_id in enumerate(wanted):
            c = tx.db.execute("SELECT worker, team, tier, cohort FROM children WHERE child_id=?",
                              [child_id]).fetchone()
            cur = tx.execute(
                "INSERT INTO queue_items (sample_id, child_id, worker, team, tier, cohort, reason, auditor,"
                " status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
                [sample_id, child_id, c[0], c[1], c[2], c[3], "seeded for a test",
                 auditors[n % len(auditors)] if auditors else None, tx.at, tx.at],
            )
            queue_ids.append(cur.lastrowid)
        tx.event("sample", sample_id, "seeded", after={"children": wanted})
    return queue_ids


@pytest.fixture
def tui_ctx(ctx: Context) -> Context:
    """A seeded database (people, teams, caseload, notes) and the acting user auditor1."""
    seed_people(ctx)
    seed_caseload(ctx)
    return Context(store=ctx.store, clock=ctx.clock, settings=ctx.settings, user="auditor1",
                   os_login="tester")


def make_app(ctx: Context, *, scheduler_delivering: bool = True, **kwargs):
    """The real app from the one factory, with the periodic tick off (deterministic).

    ``scheduler_delivering``: first record a delivering scheduler run at the clock's time
    (``core.health.record_run``), as on an install whose ``dipaudit tick`` runs, so the
    "Alerts are not going out" banner stays hidden; False leaves the database as it is
    (tests of the banner)."""
    from core.health import record_run
    from tui.app import create_app

    if scheduler_delivering:
        record_run(ctx, delivered=True)
    kwargs.setdefault("tick_seconds", None)
    return create_app(ctx, **kwargs)


# Every wait below is a ceiling, never an expected duration: under load (a shared CI
# machine, two CPU hogs beside ``pytest -n 2``) things take longer, never a different path.
DEADLINE = 30.0


async def settle(pilot, timeout: float = DEADLINE) -> None:
    """Wait until no worker runs and every message already queued, on every screen of
    the stack, has been handled; a message that starts a worker is waited for too.

    It never sleeps for a set time, and it does not trust "the process looks idle"
    (Textual's own pause does): a process starved of CPU looks idle while work waits."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < 3:  # three rounds in a row with no worker: no message chain left behind
        busy = [w for w in app.workers if not w.is_finished]
        if busy:
            quiet = 0
            await _finished(busy, deadline - time.monotonic())
        else:
            quiet += 1
        await _handled(app, deadline - time.monotonic())
        if time.monotonic() > deadline:
            raise AssertionError(f"the app did not settle within {timeout}s: "
                                 f"{[w.name for w in app.workers if not w.is_finished]} still running")
    await pilot.pause()


async def _finished(workers, timeout: float) -> None:
    async def done(worker) -> None:
        with contextlib.suppress(Exception):  # failed or cancelled is finished too
            await worker.wait()
        await asyncio.sleep(0)

    await asyncio.wait([asyncio.ensure_future(done(w)) for w in workers], timeout=max(timeout, 0.01))


async def _handled(app, timeout: float) -> None:
    """A barrier: every message already waiting in the app and every node of every
    screen on the stack has been handled."""
    from tui.compat import messages_handled

    nodes = [app]
    for screen in app.screen_stack:
        nodes.extend(screen.walk_children(with_self=True))
    await messages_handled(nodes, timeout)


async def wait_until(pilot, check, timeout: float = DEADLINE, what: str = "") -> None:
    """Let the app run until ``check()`` is true (e.g. a database row was written by the
    autosave timer), then settle. Fails after ``timeout`` seconds, a generous ceiling."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s: {what or check}")
        await pilot.pause(0.05)
    await settle(pilot)


async def freeze_header(pilot) -> None:
    """Make a screenshot byte-stable: a fixed sub-title (the real one names a tmp db path)
    and no blinking cursor (a blink timer would make it depend on when it is taken).
    Call it last in a snapshot's ``run_before``."""
    pilot.app.sub_title = "auditor1 · dipaudit.db"
    await settle(pilot)
    steady_cursors(pilot.app)
    await settle(pilot)


def steady_cursors(app) -> None:
    """Cursors that do not blink, in every text box on the screen stack."""
    from textual.widgets import Input, TextArea

    for screen in app.screen_stack:
        for box in screen.query("Input, TextArea"):
            if isinstance(box, (Input, TextArea)):
                box.cursor_blink = False


def toasts(app) -> list[str]:
    """Messages of the notifications (toasts) currently shown."""
    from tui.compat import notifications

    return [str(n.message) for n in notifications(app)]


@contextmanager
def busy_database(ctx: Context, login: str) -> Iterator[tuple[Context, sqlite3.Connection]]:
    """``ctx`` as ``login`` on its own store of the same file with a short busy wait, and
    another writer's connection (``holder``) to hold the database with ``BEGIN IMMEDIATE``,
    as another process would, past that wait."""
    store = Store(ctx.store.path, busy_timeout_ms=100)
    holder = sqlite3.connect(ctx.store.path, isolation_level=None)
    try:
        yield (Context(store=store, clock=ctx.clock, settings=ctx.settings, user=login, os_login="tester"), holder)
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()
        store.close()
