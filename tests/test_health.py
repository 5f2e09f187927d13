"""The scheduler is watched: each run is recorded, a database no run has delivered for
[scheduler] stale_minutes says so (the TUI banner's words), and `dipaudit doctor` checks
file modes, config, channels, the last delivering tick and the trail."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest
from cli_main import run_main
from conftest import add_people
from factories import submitted_audit

from core.config import Settings
from core.context import Context
from core.health import record_run, scheduler_health
from core.store import scheduler_runs
from core.tick import tick
from notify.scheduler import run_scheduler


def _runs(ctx) -> list[tuple]:
    return ctx.store.rows("SELECT at, os_login, delivered, sent, failed, dead, trail FROM scheduler_runs"
                          " ORDER BY run_id")


def test_each_run_records_when_it_ran_and_whether_it_delivered(ctx, clock):
    run_scheduler(ctx, deliver=False)
    clock.advance(hours=1)
    run_scheduler(ctx, deliver=True)
    assert _runs(ctx) == [("2020-04-27T09:00:00Z", "tester", 0, 0, 0, 0, None),
                          ("2020-04-27T10:00:00Z", "tester", 1, 0, 0, 0, None)]


def test_no_delivering_run_for_stale_minutes_is_reported_in_london_time(ctx, clock):
    never = scheduler_health(ctx)
    assert never.stale and never.message == ("Alerts are not going out: the scheduler (dipaudit tick)"
                                             " has never delivered on this database")
    run_scheduler(ctx, deliver=True)  # 09:00 UTC = 10:00 BST
    clock.advance(hours=0.5)
    assert not scheduler_health(ctx).stale  # 30 minutes exactly: not yet
    run_scheduler(ctx, deliver=False)  # the TUI's timer keeps running, but sends nothing
    clock.advance(hours=0.01)
    h = scheduler_health(ctx)
    assert h.stale and h.message == "Alerts are not going out: the scheduler last ran at Mon 27 Apr 2020 10:00"
    assert (h.last_delivered_at, h.last_run_at) == ("2020-04-27T09:00:00Z", "2020-04-27T09:30:00Z")
    wider = Context(store=ctx.store, clock=clock, settings=Settings(scheduler={"stale_minutes": 60}),
                    user="x", os_login="t")
    assert not scheduler_health(wider).stale


def test_the_runs_kept_are_bounded_per_kind(ctx, monkeypatch):
    monkeypatch.setattr(scheduler_runs, "KEEP", 3)
    record_run(ctx, delivered=True)
    for _ in range(10):
        record_run(ctx, delivered=False)
    assert ctx.store.rows("SELECT delivered, count(*) FROM scheduler_runs GROUP BY delivered") == [(0, 3), (1, 1)]
    assert scheduler_health(ctx).last_delivered_at is not None  # the delivering one survived the others


def test_tick_checkpoints_the_trail_and_a_broken_trail_is_recorded_but_the_clocks_keep_going(ctx, clock,
                                                                                            db_path):
    audit = submitted_audit(ctx)
    done = tick(ctx)
    assert done.trail.intact and done.trail.head == ctx.store.scalar("SELECT max(event_id) FROM events")
    assert ctx.store.scalar("SELECT event_id FROM trail_checkpoints ORDER BY checkpoint_id DESC") == done.trail.head
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("UPDATE events SET actor = 'someone.else' WHERE event_id = (SELECT max(event_id) FROM events)")
    conn.commit()
    conn.close()
    clock.advance(hours=73)
    r = run_main(["--db", str(db_path), "--now", "2020-04-30T12:00", "tick", "--no-send"])
    assert r.code == 0
    assert "trail broken at event" in r.err and r.err.count("\n") == 1
    assert ctx.store.scalar("SELECT status FROM audits WHERE audit_id = ?", [audit.audit_id]) == "finalised"
    assert "does not match its link" in _runs(ctx)[-1][-1]


def test_the_tick_line_names_the_trails_head_for_the_service_accounts_log(ctx, db_path):
    submitted_audit(ctx)
    r = run_main(["--db", str(db_path), "tick", "--no-send"])
    head, link = ctx.store.one("SELECT event_id, hash FROM events ORDER BY event_id DESC LIMIT 1").values()
    assert r.code == 0 and r.out.rstrip().endswith(f"; trail intact to event {head} ({link[:16]})")  # whole
    with ctx.tx() as tx:
        tx.event("audit", 1, "noted")
    again = run_main(["--db", str(db_path), "tick", "--no-send"])
    newest = ctx.store.scalar("SELECT hash FROM events WHERE event_id = ?", [head + 1])
    assert again.out.rstrip().endswith(f"; trail linked to event {head + 1} ({newest[:16]})")  # only what is new


def test_a_demo_database_is_not_watched(tmp_path):
    db = tmp_path / "demo.db"
    assert run_main(["--db", str(db), "demo", "--no-tui"]).code == 0
    from core.store import Store

    store = Store.open(db)
    h = scheduler_health(Context(store=store, user="qa.alex", os_login="t"))
    store.close()
    assert h.demo and not h.stale and h.message is None


# --- dipaudit doctor ------------------------------------------------------------------
def _doctor(db, *extra, env=None):
    r = run_main(["--db", str(db), *extra, "doctor", "--json"], env=env)
    assert r.exception is None, r.exception
    return r.code, {c["what"]: c for c in json.loads(r.out)["checks"]}


@pytest.fixture
def healthy(ctx, db_path, tmp_path):
    """A private database whose scheduler delivered just now."""
    os.chmod(tmp_path, 0o700)
    run_scheduler(ctx, deliver=True)
    return db_path


def test_doctor_all_ok_exits_0_and_prints_a_line_per_check(healthy, monkeypatch):
    monkeypatch.setenv("DIPAUDIT_NOTIFY__EMAIL_URL", "mailto://127.0.0.1:2525?from=dipaudit@example.org")
    code, checks = _doctor(healthy, "--now", "2020-04-27T10:10")
    assert code == 0, checks
    assert {c["status"] for c in checks.values()} == {"ok"}
    assert checks["trail"]["detail"].startswith("intact")
    assert checks["scheduler"]["detail"].startswith("last delivering tick Mon 27 Apr 2020 10:00 (10m")
    text = run_main(["--db", str(healthy), "--now", "2020-04-27T10:10", "doctor"])
    lines = text.out.splitlines()
    assert text.code == 0 and all(line.split()[0] in ("ok", "warning", "fail") for line in lines)
    assert any(line.startswith("ok       email") and "127.0.0.1" in line for line in lines)


def test_doctor_fails_on_loose_file_modes(healthy, monkeypatch):
    monkeypatch.setenv("DIPAUDIT_NOTIFY__EMAIL_URL", "mailto://127.0.0.1:2525?from=dipaudit@example.org")
    os.chmod(healthy, 0o644)
    code, checks = _doctor(healthy, "--now", "2020-04-27T10:10")
    assert code == 2
    assert checks[healthy.name]["status"] == "fail" and "every local user can read it" in checks[healthy.name]["detail"]


def test_doctor_fails_on_a_stale_scheduler_a_broken_trail_and_bad_urls(healthy, ctx, monkeypatch):
    monkeypatch.setenv("DIPAUDIT_NOTIFY__EMAIL_URL", "nothing-apprise-knows://x")
    add_people(ctx, [{"login": "w1", "teams_address": "not a url at all"}])
    for n in range(2):
        with ctx.tx() as tx:
            tx.event("people", None, "imported", after={"n": n})
    conn = sqlite3.connect(healthy)
    conn.execute("DROP TRIGGER events_no_delete")
    conn.execute("DELETE FROM events WHERE event_id = 1")
    conn.commit()
    conn.close()
    code, checks = _doctor(healthy, "--now", "2020-04-27T11:00")
    assert code == 2
    assert checks["scheduler"]["status"] == "fail"
    assert "the scheduler last ran at Mon 27 Apr 2020 10:00" in checks["scheduler"]["detail"]
    assert checks["trail"]["status"] == "fail" and "event 1 is missing" in checks["trail"]["detail"]
    assert checks["email"]["status"] == "fail" and checks["teams"]["status"] == "fail"
    assert "w1" in checks["teams"]["detail"]


def test_doctor_warns_of_act_as_listing_a_person_and_of_acting_as_from_outside_act_as(healthy, ctx, monkeypatch):
    monkeypatch.setenv("DIPAUDIT_NOTIFY__EMAIL_URL", "mailto://127.0.0.1:2525?from=dipaudit@example.org")
    add_people(ctx, [{"login": "admin.robin", "roles": ["admin"]}])
    with Context(store=ctx.store, clock=ctx.clock, user="admin.robin", os_login="mallory").tx() as tx:
        tx.event("people", None, "imported")  # mallory gave herself act_as in her own environment
    code, checks = _doctor(healthy, "--now", "2020-04-27T10:10",
                           env={"DIPAUDIT_SECURITY__ACT_AS": json.dumps(["admin.robin", os.environ[
                               "DIPAUDIT_SECURITY__ACT_AS"][2:-2]])})
    assert code == 1
    assert checks["act_as"]["status"] == "warning" and "admin.robin" in checks["act_as"]["detail"]
    assert checks["acting as"]["status"] == "warning"
    assert "mallory as admin.robin (1 event," in checks["acting as"]["detail"]


def test_doctor_on_a_config_that_does_not_load_is_a_failed_line_not_a_traceback(healthy, tmp_path, monkeypatch):
    bad = tmp_path / "bad.toml"
    bad.write_text("[workflow\n")
    monkeypatch.setenv("DIPAUDIT_CONFIG", str(bad))
    code, checks = _doctor(healthy)
    assert code == 2 and checks["config"]["status"] == "fail" and "not valid TOML" in checks["config"]["detail"]


def test_doctor_without_a_database(tmp_path):
    code, checks = _doctor(tmp_path / "none.db")
    assert code == 2 and checks["database"]["detail"].startswith("no database at")
    assert not (tmp_path / "none.db").exists()


def test_a_quiet_tick_writes_nothing(ctx):
    tick(ctx)
    changes = ctx.store.db.conn.total_changes
    for _ in range(3):
        tick(ctx)
    assert ctx.store.db.conn.total_changes == changes
