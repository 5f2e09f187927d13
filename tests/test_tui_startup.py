"""The TUI's first screen comes up on only what it needs (issue 10 item 4): its rows and
its scheduler banner load no pydantic (the queue's items and the scheduler's health are
plain dataclasses, core.read_models), the child detail is read once the first rows are
drawn, and the queue is the mode the app starts in, read once. Timings are
bench/bench_tui.py's; these pin the behaviour."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import REPO
from test_tui_queue import text_of
from tui_helpers import SIZE, make_app, seed_queue, settle, tui_ctx  # noqa: F401

import tui.screens.queue as queue_screen

# A fresh interpreter: the context as `dipaudit` builds it, the real app headless until the
# queue shows its rows, the banner says alerts are not going out and the detail pane shows
# the first child, its last audit read (core.last_audit, by the draw's rule, without the
# draw's pydantic models).
FIRST_SCREEN = """
import asyncio, json, sys
from pathlib import Path
from textual.widgets import Static
from tui.cli import CliState
from tui.app import create_app

ctx = CliState(db=Path(sys.argv[1]), user="auditor1", now="2020-04-27T10:00:00+01:00").context()

async def main():
    app = create_app(ctx, tick_seconds=None)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(3000):
            status = str(app.screen.query_one("#queue-status").content)
            health = app.scheduler_health
            detail = str(app.screen.query_one("#child-detail-body", Static).content)
            if status.startswith("3 of 3 shown") and health is not None and "Last audit" in detail:
                break
            await asyncio.sleep(0.01)
        await app.workers.wait_for_complete()
        await pilot.pause()
        print(json.dumps({"status": status, "stale": health.stale, "detail": detail,
                          "rows": app.screen.query_one("#queue-table").row_count,
                          "pydantic": sorted(m for m in sys.modules if m.split(".")[0] == "pydantic")}))

asyncio.run(main())
"""


def test_the_first_screen_shows_its_rows_and_banner_without_loading_pydantic(tui_ctx, db_path, tmp_path):
    seed_queue(tui_ctx, ["C001", "C005", "C009"])  # the scheduler never delivered: the banner shows
    from core.context import os_login

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIPAUDIT_", "PYDANTIC_"))}
    env.update(DIPAUDIT_CONFIG=str(tmp_path / "none.toml"), DIPAUDIT_DATA_DIR=str(tmp_path / "data"),
               DIPAUDIT_CONFIG_DIR=str(tmp_path / "config"),
               DIPAUDIT_SECURITY__ACT_AS=json.dumps([os_login()]))  # may act as auditor1 at --now
    proc = subprocess.run([sys.executable, "-c", FIRST_SCREEN, str(db_path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["status"].startswith("3 of 3 shown") and seen["rows"] == 3
    assert seen["stale"] is True
    assert "C001" in seen["detail"] and "Last audit" in seen["detail"]
    assert seen["pydantic"] == []


async def test_the_child_detail_is_read_after_the_first_rows_are_drawn(tui_ctx, monkeypatch):
    seed_queue(tui_ctx)
    loads: list[list[str]] = []  # per queue load: the detail reads running when it was handled
    handled = queue_screen.QueueScreen.on_queue_loaded

    def recorded(self, message):
        handled(self, message)
        loads.append([w.name for w in self.workers if w.name == "detail" and not w.is_finished])

    monkeypatch.setattr(queue_screen.QueueScreen, "on_queue_loaded", recorded)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert loads[0] == []  # the first rows were filled without starting the detail's read
        assert text_of(app.screen, "#child-detail-body").startswith("C001")  # then it was read
        await pilot.press("down")
        await settle(pilot)
        assert text_of(app.screen, "#child-detail-body").startswith("C005")


async def test_the_queue_is_the_mode_the_app_starts_in_and_is_read_once(tui_ctx, monkeypatch):
    seed_queue(tui_ctx)
    reads = []  # each time the queue screen asked for its rows
    load = queue_screen.QueueScreen.load

    def counted(self):
        reads.append(self)
        load(self)

    monkeypatch.setattr(queue_screen.QueueScreen, "load", counted)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.current_mode == "queue"
        assert [s.__class__.__name__ for s in app.screen_stack] == ["QueueScreen"]
        assert len(reads) == 1
        assert text_of(app.screen, "#queue-status").startswith("6 of 6 shown")
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("1")  # back: read again (it may be stale), the same queue screen
        await settle(pilot)
        assert app.current_mode == "queue" and len(reads) == 2 and reads[0] is reads[1]


async def test_the_collector_is_paused_while_starting_and_resumes_once_the_rows_show(tui_ctx, monkeypatch):
    import gc

    seed_queue(tui_ctx)
    seen = []  # whether the collector ran while the first rows were read and filled
    handled = queue_screen.QueueScreen.on_queue_loaded

    def recorded(self, message):
        seen.append(gc.isenabled())
        handled(self, message)

    monkeypatch.setattr(queue_screen.QueueScreen, "on_queue_loaded", recorded)
    gc.unfreeze()
    app = make_app(tui_ctx)
    assert gc.isenabled()  # an app made and not run changes nothing
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert seen[0] is False
            assert gc.isenabled() and gc.get_freeze_count() > 0  # resumed, past what start-up made
            await pilot.press("ctrl+r")  # later reads: the collector stays on
            await settle(pilot)
            assert seen[1:] == [True] and gc.isenabled()
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


async def test_the_collector_resumes_when_the_first_read_fails(tui_ctx, monkeypatch):
    import gc

    from core.errors import DipauditError

    def broken(ctx, **kwargs):
        raise DipauditError("the database is locked")

    monkeypatch.setattr(queue_screen, "list_queue", broken)
    app = make_app(tui_ctx)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert gc.isenabled()
            assert app.is_running
    finally:
        gc.unfreeze()
        gc.enable()
