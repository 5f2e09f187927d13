"""A quiet `dipaudit tick` (cron, every five minutes: nothing due, nothing to send) loads
only what it uses: no pydantic and no core.models (the tick's result, its reminders,
scheduled reports and trail verdict are plain dataclasses, core.read_models), no Apprise
(delivery is imported only when the outbox has a row due), no jinja2 and none of the
reports but their schedule (core.reports.schedule). It pins it of a real run in a fresh
interpreter, as tests/test_cli_startup_imports.py does for `queue --json`. When work is
due, what it needs is loaded and the work is done (tests/test_scheduler.py and the rest).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cli_probe import probe
from factories import busy_day

from core.tick import tick

NOT_LOADED = ("pydantic", "core.models", "apprise", "jinja2", "notify.delivery", "core.reports.model",
              "core.reports.build", "core.reports.render", "core.reports.sending", "core.audit.record",
              "core.audit.fill", "sqlite_utils")
RESULT_FIELDS = ["at", "finalised", "reviews_due", "reminders", "escalations_overdue", "referred", "reports",
                 "trail", "delivered", "failed", "dead", "sent"]


def _loaded(modules: list[str], names=NOT_LOADED) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def _quiet(ctx) -> None:
    """A database with a day's work done by an earlier tick and its notices delivered."""
    busy_day(ctx)
    ctx.clock.set(datetime(2020, 5, 13, 9, 0, tzinfo=UTC))
    done = tick(ctx)
    assert done.finalised and done.reminders and done.reports  # the earlier tick had work
    with ctx.tx() as tx:
        tx.execute("UPDATE outbox SET status = 'sent', sent_at = ?", [tx.at])


def test_a_quiet_tick_loads_no_pydantic_and_no_apprise(ctx, db_path):
    _quiet(ctx)
    runs = ctx.store.scalar("SELECT COUNT(*) FROM scheduler_runs")
    proc, seen = probe("--db", str(db_path), "--now", "2020-05-13T10:05", "tick")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("finalised 0, reviews due 0, reminders 0, escalations overdue 0, referred 0,"
                                  " reports 0; delivered 0, failed 0; trail ")
    assert "core.tick" in seen["modules"] and "core.reports.schedule" in seen["modules"]  # it ran the tick
    assert _loaded(seen["modules"]) == []
    assert ctx.store.scalar("SELECT COUNT(*) FROM scheduler_runs") == runs + 1  # recorded, as every run


def test_a_quiet_tick_prints_its_json_as_the_models_did(ctx, db_path):
    _quiet(ctx)
    proc, seen = probe("--db", str(db_path), "--now", "2020-05-13T10:05", "tick", "--json")
    assert proc.returncode == 0, proc.stderr
    done = json.loads(proc.stdout)
    assert list(done) == RESULT_FIELDS  # every field, in the models' order
    assert done["at"] == "2020-05-13T09:05:00Z" and done["reports"] == [] and done["sent"] is True
    assert list(done["trail"]) == ["intact", "events", "own", "first_broken", "problem", "head", "head_hash",
                                   "after", "checkpoint_at"]
    assert done["trail"]["intact"] is True
    assert _loaded(seen["modules"]) == []  # pydantic_core (emit_json's serialiser) is all it adds


def test_a_tick_with_a_notice_to_send_loads_delivery(ctx, db_path):
    """The look at the outbox is deliver_pending's own (``core.outbox.due_messages``): a row
    due is delivered (here it fails: nobody has a channel) whatever the tick found."""
    _quiet(ctx)
    with ctx.tx() as tx:
        tx.execute("UPDATE outbox SET status = 'pending', sent_at = NULL"
                   " WHERE outbox_id = (SELECT MIN(outbox_id) FROM outbox)")
    proc, seen = probe("--db", str(db_path), "--now", "2020-05-13T10:05", "tick", "--json")
    assert proc.returncode == 0, proc.stderr
    done = json.loads(proc.stdout)
    assert done["delivered"] + done["failed"] + done["dead"] == 1
    assert "notify.delivery" in seen["modules"]


def test_the_lazy_packages_give_every_name_they_list():
    import core.audit
    import core.reports

    for package in (core.audit, core.reports):
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"
        assert set(package.__all__) <= set(dir(package))
        assert set(package.__all__) == {name for names in package._FROM.values() for name in names}
    from core.audit import finalise_due
    from core.reports import queue_due_reports
    from core.reports.sending import queue_due_reports as exported_there_too

    assert finalise_due.__module__ == "core.audit.finalise"
    assert queue_due_reports is exported_there_too
