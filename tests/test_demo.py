"""The demo database: deterministic, realistic, loaded through the real importers."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import REPO

from core import demo
from core.clock import FixedClock
from core.config import Settings
from core.context import Context
from core.errors import StateError
from core.store import Store

NOW = datetime(2020, 4, 27, 8, 0, tzinfo=UTC)  # 09:00 London
TODAY = date(2020, 4, 27)
START = date(2020, 3, 23)  # default programme: virtual practice began
DEADLINE = date(2020, 4, 20)  # default programme: oversight reflecting virtual working


def _build(path: Path, seed: int = demo.DEMO_SEED) -> tuple[Store, dict]:
    store = Store.open(path)
    ctx = Context(store=store, clock=FixedClock(NOW), settings=Settings(), user="anyone", os_login="tester")
    return store, demo.build_demo(ctx, seed=seed)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    store, summary = _build(tmp_path_factory.mktemp("demo") / "demo.db")
    yield store, summary
    store.close()


def _notes_by_child(store: Store) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for n in store.query("SELECT child_id, date, kind FROM case_notes ORDER BY date"):
        out.setdefault(n["child_id"], []).append(n)
    return out


# -- the generator --------------------------------------------------------------
def test_generator_is_deterministic_and_seeded():
    a, b = demo.generate(2020, TODAY), demo.generate(2020, TODAY)
    assert (a.people, a.caseload, a.notes) == (b.people, b.caseload, b.notes)
    other = demo.generate(7, TODAY)
    assert other.caseload != a.caseload
    assert other.people == a.people  # the staff are fixed; the caseload is drawn


def test_generator_follows_the_clock():
    later = demo.generate(2020, date(2020, 6, 1))
    assert max(n["date"] for n in later.notes) == "2020-05-31"  # the extract runs to yesterday
    assert max(n["date"] for n in demo.generate(2020, TODAY).notes) <= "2020-04-26"


# -- the built database -----------------------------------------------------------
def test_same_seed_and_clock_give_the_same_database(built, tmp_path):
    store, _ = built
    again, _ = _build(tmp_path / "again.db")
    try:
        for table, order in (("people", "login"), ("children", "child_id"), ("case_notes", "note_id"),
                             ("queue_items", "queue_id")):
            sql = f"SELECT * FROM {table} ORDER BY {order}"
            assert store.query(sql) == again.query(sql), table
    finally:
        again.close()


def test_realistic_cohort_mix_closures_and_unallocated(built):
    store, summary = built
    rows = store.query("SELECT * FROM children")
    assert 700 <= len(rows) <= 900 and summary["children"] == len(rows)
    share = {c: n / len(rows) for c, n in Counter(r["cohort"] for r in rows).items()}
    expected = {"unborn": 0.03, "cp": 0.20, "care_leaver": 0.12, "cla": 0.25, "cin": 0.40}
    for cohort, want in expected.items():
        assert abs(share.get(cohort, 0) - want) <= 0.05, (cohort, share)
    assert share["unborn"] > 0
    closed = [r for r in rows if not r["is_open"]]
    assert 20 <= len(closed) <= 100 and all(r["closed_on"] for r in closed)
    unallocated = [r for r in rows if r["worker"] is None]
    assert 3 <= len(unallocated) <= 40
    assert summary["teams"] == 5
    unborn = [r for r in rows if r["cohort"] == "unborn"]
    assert all(r["date_of_birth"] is None and r["expected_date_of_birth"] > "2020-04-27" for r in unborn)


def test_care_leavers_come_through_the_annex_a_importer(built):
    store, _ = built
    sources = {r["source"]: r["n"] for r in store.query(
        "SELECT source, count(*) AS n FROM child_sources WHERE cohort = 'care_leaver' GROUP BY source")}
    assert sources["list9"] >= 50  # open care leavers: Annex A List 9, UK dates and coded values
    row = store.one("SELECT * FROM child_sources WHERE source = 'list9' AND worker IS NOT NULL LIMIT 1")
    assert row["date_of_birth"] < "2002-04-27" and json.loads(row["key_dates"])["latest_contact"]


def test_sibling_groups_share_a_worker(built):
    store, _ = built
    groups = store.query(
        "SELECT family_id, count(*) AS n, count(DISTINCT coalesce(worker, '-')) AS workers"
        " FROM children WHERE family_id IS NOT NULL GROUP BY family_id"
    )
    assert len(groups) >= 50
    assert {g["n"] for g in groups} == {2, 3, 4}
    assert all(g["workers"] == 1 for g in groups)


def test_people_roles_and_addresses(built):
    store, _ = built
    people = store.query("SELECT * FROM people")
    roles = Counter(r for p in people for r in json.loads(p["roles"]))
    assert roles["worker"] == 25 and roles["manager"] == 5 and roles["head_of_service"] == 2
    assert roles["auditor"] == 3 and roles["pdt"] == 2 and roles["smt"] == 2 and roles["director"] == 2
    assert roles["admin"] == 2  # the admin, and one auditor who is also an admin
    assert all(p["email"].endswith("@example.org") for p in people)
    workers = [p for p in people if '"worker"' in p["roles"]]
    assert all(p["manager"] and p["head_of_service"] for p in workers)
    # Every allocated child is matched to a worker in the directory.
    assert not store.scalar("SELECT count(*) FROM children WHERE worker IS NOT NULL AND worker_login IS NULL")


def test_names_are_obviously_fictional(built):
    store, _ = built
    surnames = {h + t for h in demo.SURNAME_HEAD for t in demo.SURNAME_TAIL}
    for row in store.query("SELECT child_id, name FROM children"):
        assert row["child_id"].startswith("DEMO")
        assert row["name"].split()[-1] in surnames, row


def test_notes_mix_met_and_missed_standards(built):
    store, _ = built
    notes = _notes_by_child(store)
    children = [r["child_id"] for r in store.query("SELECT child_id FROM children WHERE is_open = 1")]
    since = START.isoformat()

    def kinds_since(cid):
        return {n["kind"] for n in notes.get(cid, []) if n["date"] >= since}

    covid = [c for c in children if "covid" in kinds_since(c)]
    assert 0.6 * len(children) < len(covid) < 0.95 * len(children)  # some lack one

    only_comms = [c for c in children if "communication" in kinds_since(c) and "virtual_contact" not in kinds_since(c)]
    virtual = [c for c in children if "virtual_contact" in kinds_since(c)]
    assert len(only_comms) >= 50 and len(virtual) >= 300

    def oversight(cid):
        return [date.fromisoformat(n["date"]) for n in notes.get(cid, []) if n["kind"] == "management_oversight"]

    current = [c for c in children if oversight(c) and (TODAY - max(oversight(c))).days <= 28]
    stale = [c for c in children if oversight(c) and (TODAY - max(oversight(c))).days > 28]
    assert len(current) >= 200 and len(stale) >= 100
    by_deadline = [c for c in children if any(START <= d <= DEADLINE for d in oversight(c))]
    after_only = [c for c in children if oversight(c) and not any(START <= d <= DEADLINE for d in oversight(c))
                  and any(d > DEADLINE for d in oversight(c))]
    assert len(by_deadline) >= 200 and len(after_only) >= 50

    other_types = {r["type"] for r in store.query("SELECT DISTINCT type FROM case_notes WHERE kind = 'other'")}
    assert {"Home visit", "Supervision"} <= other_types


def test_todays_sample_queues_work_and_skips_recently_audited(built):
    store, summary = built
    live = store.query("SELECT * FROM queue_items WHERE status IN ('queued', 'claimed', 'in_progress')")
    assert summary["queued"] == len(live) > 0
    today_items = [q for q in live if q["sample_id"] == summary["sample_id"]]
    assert len(today_items) >= 20  # about one child per worker
    assert summary["queued_for_demo_user"] > 0
    assert {q["auditor"] for q in today_items} == {demo.DEMO_USER, "qa.bea", "qa.cas"}
    recent = {r["child_id"] for r in store.query(
        "SELECT child_id FROM case_notes WHERE kind = 'qa_audit' AND date > ?",
        [(TODAY - timedelta(days=28)).isoformat()])}
    assert recent, "some children were audited in the last four weeks"
    assert not recent & {q["child_id"] for q in today_items}
    # Children audited in dipaudit within the exclusion period (four weeks) are not drawn.
    audited = {r["child_id"] for r in store.query("SELECT child_id FROM audits WHERE started_at > ?",
                                                  [(NOW - timedelta(days=28)).isoformat()])}
    assert not audited & {q["child_id"] for q in today_items}
    assert json.loads(store.scalar("SELECT value FROM meta WHERE key = 'demo'"))["seed"] == demo.DEMO_SEED


REPLAY = (NOW - timedelta(days=demo.HISTORY_DAYS)).strftime("%Y-%m-%dT%H:%M:%SZ")  # the last three weeks


def test_history_leaves_every_screen_something_to_show(built):
    store, summary = built
    audits = {r["status"]: r for r in store.query("SELECT * FROM audits WHERE started_at >= ?", [REPLAY])}
    replayed = {r["status"]: r["n"] for r in store.query(
        "SELECT status, count(*) AS n FROM audits WHERE started_at >= ? GROUP BY status", [REPLAY])}
    assert replayed == {"draft": 1, "finalised": 3, "queried": 1, "submitted": 1}
    assert audits["draft"]["auditor"] == demo.DEMO_USER
    now = "2020-04-27T08:00:00Z"
    # In the comment window: submitted less than 72 hours ago, one with an open query.
    assert audits["submitted"]["submitted_at"] > "2020-04-24T08:00:00Z"
    assert store.scalar("SELECT count(*) FROM comments WHERE status = 'open' AND audit_id = ?",
                        [audits["queried"]["audit_id"]]) == 1
    # Finalised by the scheduler at exactly submitted + 72 hours.
    for a in store.query("SELECT * FROM audits WHERE status = 'finalised'"):
        assert a["finalised_by"] == "system"
        submitted = datetime.fromisoformat(a["submitted_at"].replace("Z", "+00:00"))
        assert a["finalised_at"] == (submitted + timedelta(hours=72)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # An escalation nobody answered: referred to the Head of Service and past its respond-by.
    overdue = store.query("SELECT * FROM escalations WHERE status = 'open' AND respond_by < ?", [now])
    assert [e["level"] for e in overdue] == ["head_of_service"]
    assert store.scalar("SELECT count(*) FROM escalations WHERE status = 'closed' AND raised_at >= ?",
                        [REPLAY]) == 1
    # Actions: one reviewed by PDT, others awaiting review past their review date.
    assert store.scalar("SELECT count(*) FROM action_reviews WHERE at >= ?", [REPLAY]) == 1
    assert store.scalar("SELECT count(*) FROM actions WHERE status = 'open' AND review_due_at < ?", [now]) >= 2
    # Each step went through the services: its event is on the trail.
    actions = {r["action"] for r in store.query("SELECT DISTINCT action FROM events")}
    assert {"drawn", "started", "submitted", "finalised", "queried", "referred", "overdue"} <= actions


def test_earlier_weeks_give_the_weekly_report_a_trend(built):
    from core.reports import compose_report

    store, summary = built
    assert summary["earlier_audits"] == 50
    ctx = Context(store=store, clock=FixedClock(NOW), settings=Settings(), user="dir.jo", os_login="tester")
    weekly = compose_report(ctx, "weekly")
    assert [w.audits for w in weekly.weeks] == [10, 10, 10, 10, 5, 5, 2, 1, 2]
    assert all(w.standards_rated for w in weekly.weeks)
    # Everything older than the replay was finalised; reviews, escalations and the reports
    # the scheduler sent on the way are there too.
    assert store.scalar("SELECT count(*) FROM audits WHERE started_at < ? AND status != 'finalised'", [REPLAY]) == 0
    assert store.scalar("SELECT count(*) FROM action_reviews WHERE at < ?", [REPLAY]) > 50
    assert store.scalar("SELECT count(*) FROM escalations WHERE raised_at < ? AND status = 'closed'", [REPLAY]) >= 5
    kinds = Counter(r["kind"] for r in store.query("SELECT kind FROM reports WHERE trigger = 'schedule'"))
    assert kinds["weekly"] == 10 and kinds["smt"] == 18
    # Nothing from the earlier weeks comes after the replay's start on the trail.
    first_replayed = store.scalar("SELECT min(event_id) FROM events WHERE at >= ?", [REPLAY])
    assert store.scalar("SELECT max(at) FROM events WHERE event_id < ?", [first_replayed]) < REPLAY


def test_build_refuses_a_database_with_data(built):
    store, _ = built
    ctx = Context(store=store, clock=FixedClock(NOW), settings=Settings(), user="x", os_login="tester")
    with pytest.raises(StateError, match="already holds"):
        demo.build_demo(ctx)


# -- the command ------------------------------------------------------------------
def _dipaudit(*args: str) -> subprocess.CompletedProcess:
    exe = REPO / ".venv/bin/dipaudit"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "tui.cli"]
    return subprocess.run([*cmd, *args], cwd=REPO, capture_output=True, text=True, env=os.environ.copy())


def test_cli_builds_then_reuses_then_rebuilds(tmp_path):
    db = tmp_path / "demo.db"
    first = _dipaudit("--db", str(db), "--now", "2020-04-27T09:00", "demo", "--no-tui")
    assert first.returncode == 0, first.stderr
    assert "built" in first.stdout and str(db) in first.stdout and demo.DEMO_USER in first.stdout
    notes = Store.open(db).scalar("SELECT count(*) FROM case_notes")

    again = _dipaudit("--db", str(db), "--now", "2020-04-27T09:00", "demo", "--no-tui")
    assert again.returncode == 0, again.stderr
    assert "reused" in again.stdout and f"acting as {demo.DEMO_USER}" in again.stdout
    as_pdt = _dipaudit("--db", str(db), "--user", demo.DEMO_PDT, "demo", "--no-tui")
    assert as_pdt.returncode == 0 and f"acting as {demo.DEMO_PDT}" in as_pdt.stdout  # --user wins
    other_seed = _dipaudit("--db", str(db), "demo", "--no-tui", "--seed", "7")
    assert other_seed.returncode != 0 and "--force rebuilds it with seed 7" in other_seed.stderr

    forced = _dipaudit("--db", str(db), "--now", "2020-04-27T09:00", "demo", "--no-tui", "--force", "--json")
    assert forced.returncode == 0, forced.stderr
    out = json.loads(forced.stdout)
    assert out["built"] is True and out["case_notes"] == notes


def test_cli_without_db_uses_the_demo_file_and_never_overwrites_a_real_database(built, tmp_path):
    store, summary = built
    data_dir = Path(os.environ["DIPAUDIT_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(data_dir / "demo.db")
    store.db.conn.backup(target)  # a demo database already in the default place: reused, not rebuilt
    target.close()
    out = _dipaudit("--now", "2020-04-27T09:00", "demo", "--no-tui", "--json")
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert shown["path"] == str(data_dir / "demo.db") and shown["built"] is False
    assert shown["case_notes"] == summary["case_notes"]
    assert not (data_dir / "dipaudit.db").exists()

    real = tmp_path / "real.db"
    other = Store.open(real)
    with Context(store=other, user="a", os_login="t").tx() as tx:
        tx.execute("INSERT INTO people (login, name) VALUES ('a', 'A')")
    other.close()
    refused = _dipaudit("--db", str(real), "demo", "--no-tui", "--force")
    assert refused.returncode != 0 and "not a demo" in refused.stderr
    assert Store.open(real).scalar("SELECT count(*) FROM people") == 1


# -- the app on the demo ----------------------------------------------------------
async def test_every_screen_has_something_to_show(built):
    from textual.widgets import DataTable
    from tui_helpers import SIZE, make_app, settle

    from tui.widgets.row_table import RowTable

    store, _ = built
    for login, modes in ((demo.DEMO_USER, ("queue", "comments", "escalations")), (demo.DEMO_PDT, ("actions",))):
        ctx = Context(store=store, clock=FixedClock(NOW), settings=Settings(), user=login, os_login="tester")
        app = make_app(ctx)
        async with app.run_test(size=SIZE) as pilot:
            for mode in modes:
                app.switch_mode(mode)
                await settle(pilot)
                tables = [*app.screen.query(DataTable), *app.screen.query(RowTable)]
                assert tables and max(t.row_count for t in tables) > 0, (login, mode)
