"""The scheduler: all due work in one run; twice at the same clock does nothing twice,
and two ticks at once (cron and an open TUI) never do anything twice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from factories import busy_day

from core.clock import FixedClock
from core.config import Settings
from core.context import Context
from core.store import Store
from core.tick import tick


def _counts(ctx):
    return {t: ctx.store.scalar(f"SELECT COUNT(*) FROM {t}") for t in ("events", "outbox", "escalation_steps")}


def test_one_run_does_all_due_work_and_a_second_does_nothing(ctx):
    a1, a2, esc = busy_day(ctx)
    ctx.clock.set(datetime(2020, 5, 13, 9, 0, tzinfo=UTC))  # 16 days on
    first = tick(ctx)
    assert first.finalised == [a1]  # a2 is held by its open query
    assert first.reviews_due == [a1, a2]
    assert len(first.reminders) == 4 and {r.kind for r in first.reminders} == {"overdue"}
    assert first.escalations_overdue == [esc] and first.referred == [esc]
    before = _counts(ctx)
    second = tick(ctx)
    assert (second.finalised, second.reviews_due, second.reminders,
            second.escalations_overdue, second.referred) == ([], [], [], [], [])
    assert _counts(ctx) == before


def test_a_quiet_tick_writes_nothing(ctx):
    busy_day(ctx)
    before = _counts(ctx)
    result = tick(ctx)
    assert result.at == "2020-04-27T09:00:00Z"
    assert all(getattr(result, k) == [] for k in ("finalised", "reviews_due", "reminders", "escalations_overdue", "referred"))
    assert _counts(ctx) == before


def test_two_ticks_at_once_do_each_thing_once(ctx, db_path):
    a1, _a2, esc = busy_day(ctx)
    at = datetime(2020, 5, 13, 9, 0, tzinfo=UTC)
    results, errors = [], []
    start = threading.Barrier(2)

    def run():
        store = Store.open(db_path)  # its own connection, as a second process would have
        try:
            start.wait()
            results.append(tick(Context(store=store, clock=FixedClock(at), settings=Settings(),
                                        user="cron", os_login="cron")))
        except Exception as exc:  # pragma: no cover - the assertion below shows it
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(sum((r.finalised for r in results), [])) == [a1]
    assert sorted(sum((r.referred for r in results), [])) == [esc]
    assert len(sum((r.reminders for r in results), [])) == 4
    assert ctx.store.scalar("SELECT COUNT(*) FROM events WHERE action = 'finalised'") == 1
    assert ctx.store.scalar("SELECT COUNT(*) FROM events WHERE action = 'review_due'") == 2
    assert ctx.store.scalar("SELECT COUNT(*) FROM escalation_steps WHERE kind = 'referred'") == 1
