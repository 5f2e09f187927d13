"""The sample queue screen, driven with Pilot against a real database file."""

from __future__ import annotations

import json

import pytest
from conftest import as_user
from textual.widgets import Static
from tui_helpers import SIZE, SIZE_SMALL, make_app, seed_queue, settle, toasts, tui_ctx  # noqa: F401

from tui.dialogs.confirm import ConfirmScreen
from tui.dialogs.draw import DrawScreen
from tui.dialogs.error import ErrorScreen
from tui.dialogs.help import HelpScreen
from tui.widgets.row_table import RowTable

FIRST_OF_EACH_WORKER = ["C001", "C005", "C009", "C013", "C017", "C021"]


def column(app, key: str) -> list[str]:
    table = app.screen.query_one("#queue-table", RowTable)
    return [str(v) for v in table.get_column(key)]


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def queue_row(ctx, child_id: str) -> dict:
    return ctx.store.one("SELECT * FROM queue_items WHERE child_id = ?", [child_id])


async def test_queue_lists_live_items_highest_tier_first(tui_ctx):
    seed_queue(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.current_mode == "queue"
        assert column(app, "child_id") == FIRST_OF_EACH_WORKER
        status = text_of(app.screen, "#queue-status")
        assert "6 of 6 shown" in status and "6 queued" in status and "you: auditor1" in status


async def test_drawing_through_the_modal_queues_the_picked_children(tui_ctx):
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert column(app, "child_id") == []
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DrawScreen)
        await pilot.click("#seed")
        await pilot.press(*"42", "enter")  # enter in a field submits the form
        await settle(pilot)
        result = text_of(app.screen, "#draw-result")
        assert "Drew 6 children into the queue" in result and "seed 42" in result
        rows = tui_ctx.store.query("SELECT child_id, status FROM queue_items ORDER BY child_id")
        assert len(rows) == 6 and {r["status"] for r in rows} == {"queued"}
        # Tier 1 first: each worker's CP child (C001, C005, ...) was picked.
        assert [r["child_id"] for r in rows] == FIRST_OF_EACH_WORKER
        assert tui_ctx.store.scalar("SELECT seed FROM samples") == 42
        for child_id in FIRST_OF_EACH_WORKER:
            assert child_id in result
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, DrawScreen)
        assert sorted(column(app, "child_id")) == FIRST_OF_EACH_WORKER


async def test_draw_result_names_every_unfilled_worker_with_the_reason(tui_ctx):
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        draw = app.screen
        # Two children each from tier 1 only: every worker has just one CP child.
        await pilot.press("backspace", "2")
        draw.query_one("#tier-2").value = False
        draw.query_one("#tier-3").value = False
        await pilot.press("ctrl+s")
        await settle(pilot)
        result = text_of(draw, "#draw-result")
        assert "Drew 6 children" in result
        assert "6 worker(s) not filled:" in result
        for login in ("w1", "w2", "w3", "w4", "w5", "w6"):
            assert f"  {login} (Team" in result


async def test_draw_refusal_shows_in_the_modal_and_writes_nothing(tui_ctx):
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        await pilot.click("#auditors")
        await pilot.press(*"nobody", "enter")
        await settle(pilot)
        assert "no person with login 'nobody'" in text_of(app.screen, "#draw-error")
        assert isinstance(app.screen, DrawScreen)
        assert tui_ctx.store.scalar("SELECT COUNT(*) FROM queue_items") == 0
        assert tui_ctx.store.scalar("SELECT COUNT(*) FROM samples") == 0


async def test_draw_preview_saves_nothing(tui_ctx):
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        app.screen.query_one("#dry-run").value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Preview (nothing saved): would draw 6 children" in text_of(app.screen, "#draw-result")
        assert tui_ctx.store.scalar("SELECT COUNT(*) FROM queue_items") == 0


async def test_draw_can_be_limited_to_teams_from_the_database(tui_ctx):
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        teams = app.screen.query_one("#teams")
        assert [str(teams.get_option_at_index(i).prompt) for i in range(teams.option_count)] == [
            "Team A", "Team B", "Team C"]
        teams.select("Team B")
        await pilot.press("ctrl+s")
        await settle(pilot)
        picked = [r["child_id"] for r in tui_ctx.store.query("SELECT child_id FROM queue_items ORDER BY 1")]
        assert picked == ["C009", "C013"]


async def test_claim_and_release_change_the_database_and_the_table(tui_ctx):
    seed_queue(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")  # C001, assigned to auditor1
        await settle(pilot)
        row = queue_row(tui_ctx, "C001")
        assert (row["status"], row["claimed_by"]) == ("claimed", "auditor1")
        assert column(app, "status")[0] == "claimed" and column(app, "claimed_by")[0] == "auditor1"
        assert "Claimed C001" in toasts(app)

        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # changed my mind: nothing happens
        await settle(pilot)
        assert queue_row(tui_ctx, "C001")["status"] == "claimed"

        await pilot.press("r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        row = queue_row(tui_ctx, "C001")
        assert (row["status"], row["claimed_by"]) == ("queued", None)
        assert column(app, "status")[0] == "queued"
        actions = [r["action"] for r in tui_ctx.store.query(
            "SELECT action FROM events WHERE entity = 'queue_item' ORDER BY event_id")]
        assert actions == ["claimed", "released"]


async def test_a_refused_claim_is_a_toast_and_changes_nothing(tui_ctx):
    seed_queue(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "c")  # C005 is assigned to auditor2
        await settle(pilot)
        assert any("assigned to auditor2" in t for t in toasts(app))
        assert queue_row(tui_ctx, "C005")["status"] == "queued"
        assert not isinstance(app.screen, ErrorScreen)


async def test_another_auditors_claim_shows_after_refresh(tui_ctx):
    seed_queue(tui_ctx, auditors=())
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        from core.queue import claim

        claim(as_user(tui_ctx, "auditor2"), queue_row(tui_ctx, "C001")["queue_id"])
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert column(app, "claimed_by")[0] == "auditor2"
        await pilot.press("c")  # too late: a toast names who holds it
        await settle(pilot)
        assert any("already claimed by auditor2" in t for t in toasts(app))


async def test_filter_narrows_rows_and_escape_clears_it(tui_ctx):
    seed_queue(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"team b")
        await settle(pilot)
        assert column(app, "child_id") == ["C009", "C013"]
        assert "2 of 6 shown" in text_of(app.screen, "#queue-status")
        await pilot.press("escape")
        await settle(pilot)
        assert len(column(app, "child_id")) == 6
        await pilot.press("slash", *"w5 queued", "enter")  # words combine: worker and status
        await settle(pilot)
        assert column(app, "child_id") == ["C017"]
        assert app.focused.id == "queue-table"  # enter hands the keys back to the table


async def test_the_filter_matches_what_the_last_read_says(tui_ctx):
    """The filter's texts are made once per read of the queue: a claim read back since
    is what a filter for it finds."""
    seed_queue(tui_ctx, auditors=())
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"auditor2", "enter")
        await settle(pilot)
        assert column(app, "child_id") == []
        from core.queue import claim

        claim(as_user(tui_ctx, "auditor2"), queue_row(tui_ctx, "C005")["queue_id"])
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert column(app, "child_id") == ["C005"]
        assert column(app, "status") == ["claimed"]


async def test_filter_by_tier_and_mine_only(tui_ctx):
    ids = seed_queue(tui_ctx, ["C001", "C002", "C003", "C006"])
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"tier 2", "enter")
        await settle(pilot)
        assert sorted(column(app, "child_id")) == ["C002", "C006"]
        await pilot.press("escape", "m")  # only items assigned to or claimed by me
        await settle(pilot)
        assert sorted(column(app, "child_id")) == ["C001", "C003"]
        assert len(ids) == 4


async def test_sort_cycles_columns_reverses_and_follows_header_clicks(tui_ctx):
    seed_queue(tui_ctx, ["C003", "C001", "C010", "C006"])
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert column(app, "tier") == ["1", "2", "2", "3"]
        await pilot.press("s")  # tier -> status
        await settle(pilot)
        assert "sort: status ▲" in text_of(app.screen, "#queue-status")
        await pilot.press("s", "s")  # -> claimed by -> worker
        await settle(pilot)
        assert column(app, "worker") == ["w1", "w1", "w2", "w3"]
        assert "sort: worker ▲" in text_of(app.screen, "#queue-status")
        await pilot.press("S")
        await settle(pilot)
        assert column(app, "worker") == ["w3", "w2", "w1", "w1"]
        # Clicking the "Child" header sorts by child id.
        await pilot.click("#queue-table", offset=(9, 0))
        await settle(pilot)
        assert column(app, "child_id") == ["C001", "C003", "C006", "C010"]
        await pilot.click("#queue-table", offset=(9, 0))  # again: reversed
        await settle(pilot)
        assert column(app, "child_id") == ["C010", "C006", "C003", "C001"]


async def test_detail_pane_follows_the_highlighted_row(tui_ctx):
    seed_queue(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        detail = text_of(app.screen, "#child-detail-body")
        assert "C001" in detail and "Child protection plan" in detail
        assert "CP plan start: 2019-11-04" in detail
        assert "Mia Manager (m1)" in detail and "Wendy Worker (w1)" in detail
        assert "2020-04-20  Virtual contact" in detail and "Last audit never" in detail
        await pilot.press("down")
        await settle(pilot)
        assert "C005" in text_of(app.screen, "#child-detail-body")


async def test_unexpected_failure_is_a_modal_not_a_traceback(tui_ctx):
    seed_queue(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tui_ctx.store.close()  # the database goes away under the app
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(app.screen, ErrorScreen)
        assert "closed database" in text_of(app.screen, "#error-message")
        await pilot.press("escape")
        await settle(pilot)
        assert app.current_mode == "queue" and app.is_running


@pytest.mark.parametrize("size,narrow", [(SIZE_SMALL, True), (SIZE, False)])
async def test_detail_pane_sits_beside_or_below_the_table(tui_ctx, size, narrow):
    seed_queue(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#queue-table").region
        detail = app.screen.query_one("#child-detail").region
        assert app.screen.has_class("-narrow") is narrow
        if narrow:
            assert detail.y >= table.bottom and detail.width == size[0]
        else:
            assert detail.x >= table.right and detail.height > 20
        assert table.height >= 5  # rows to work with even at 80x24
        await pilot.press("i")  # the pane can be hidden for more rows
        await settle(pilot)
        assert app.screen.query_one("#child-detail").display is False


async def test_ten_thousand_rows_load_and_scroll_to_the_end(tui_ctx):
    with tui_ctx.tx() as tx:
        tx.db["children"].insert_all(
            ({"child_id": f"B{i:05d}", "name": None, "cohort": "cin", "tier": 3, "worker": f"bw{i % 97}",
              "worker_login": None, "team": f"Bulk {i % 7}", "is_open": 1, "key_dates": "{}",
              "updated_at": tx.at} for i in range(10_000)), batch_size=500)
        sample = tx.execute("INSERT INTO samples (seed, params, created_at, created_by) VALUES (1, '{}', ?, 'x')",
                            [tx.at]).lastrowid
        tx.db.conn.executemany(
            "INSERT INTO queue_items (sample_id, child_id, worker, team, tier, cohort, status, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, 3, 'cin', 'queued', ?, ?)",
            [(sample, f"B{i:05d}", f"bw{i % 97}", f"Bulk {i % 7}", tx.at, tx.at) for i in range(10_000)])
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#queue-table", RowTable)
        assert table.row_count == 10_000
        await pilot.press("pagedown", "ctrl+end")
        await settle(pilot)
        assert table.cursor_row == 9_999
        assert "B" in text_of(app.screen, "#child-detail-body")
        await pilot.press("home")  # first child, as in a spreadsheet
        await settle(pilot)
        assert table.cursor_row == 0
        await pilot.press("end")
        await settle(pilot)
        assert table.cursor_row == 9_999


async def test_palette_offers_the_screens_commands(tui_ctx):
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [t for t, _help, _cb in app.screen.palette_commands()]
        assert "Draw a sample" in titles and "Sort queue by team" in titles
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Draw a sample")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DrawScreen)


async def test_help_lists_the_queue_keys(tui_ctx):
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        from textual.widgets import Markdown

        source = app.screen.query_one(Markdown).source
        assert "Draw sample" in source and "Claim" in source and "Open audit" in source
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, HelpScreen)


def test_seeded_data_matches_what_the_tests_assume(tui_ctx):
    kd = json.loads(tui_ctx.store.scalar("SELECT key_dates FROM children WHERE child_id='C001'"))
    assert kd == {"cp_plan_start": "2019-11-04"}


async def test_enter_starts_the_audit_and_opens_the_checklist(tui_ctx):
    checklist = pytest.importorskip("tui.screens.checklist")
    seed_queue(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, checklist.ChecklistScreen)
        audit = tui_ctx.store.one("SELECT audit_id, child_id, auditor FROM audits")
        assert (audit["child_id"], audit["auditor"]) == ("C001", "auditor1")
        assert app.screen.audit_id == audit["audit_id"]
        assert queue_row(tui_ctx, "C001")["claimed_by"] == "auditor1"


async def test_after_a_draw_the_form_comes_back_for_another(tui_ctx):
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE_SMALL) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        draw = app.screen
        draw.query_one("#dry-run").value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert draw.query_one("#draw-form").display is False
        assert draw.query_one("#close").region.bottom <= 24  # buttons stay on screen at 80x24
        await pilot.press("ctrl+s")  # no second draw while the result is shown
        await settle(pilot)
        await pilot.click("#again")
        await settle(pilot)
        assert draw.query_one("#draw-form").display is True
        assert text_of(draw, "#draw-result") == ""
        draw.query_one("#dry-run").value = False
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert tui_ctx.store.scalar("SELECT COUNT(*) FROM samples") == 1


async def test_detail_pane_ends_on_the_row_where_the_cursor_stops(tui_ctx):
    seed_queue(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "down", "down", "up")  # faster than the reads
        await settle(pilot)
        assert text_of(app.screen, "#child-detail-body").startswith("C013")


async def test_detail_reads_are_paced_while_the_cursor_keeps_moving(tui_ctx, monkeypatch):
    """A read right after the last one came back waits out ``DETAIL_EVERY_SECONDS`` in
    its worker (holding an arrow key redraws the pane a few times a second, not on
    every row); the first move after a pause reads at once; the pane ends on the child
    the cursor stopped on."""
    import tui.screens.queue as queue_screen

    waits: list[float] = []

    def recorded(ctx, wait, child_id):  # the real read, without waiting out the pause
        waits.append(wait)
        return queue_screen.child_detail(ctx, child_id)

    monkeypatch.setattr(queue_screen, "detail_after", recorded)
    monkeypatch.setattr(queue_screen, "DETAIL_EVERY_SECONDS", 60.0)
    seed_queue(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert waits == [0.0]  # the first child, at once
        await pilot.press("down")
        await settle(pilot)
        assert len(waits) == 2 and 0 < waits[1] <= 60  # right after a read: paced
        assert text_of(app.screen, "#child-detail-body").startswith("C005")
        app.screen._detail_read_at -= 120  # a pause in the typing
        await pilot.press("down")
        await settle(pilot)
        assert waits[2] == 0.0
        assert text_of(app.screen, "#child-detail-body").startswith("C009")


async def test_done_items_show_only_when_asked(tui_ctx):
    ids = seed_queue(tui_ctx)
    with tui_ctx.tx() as tx:
        tx.execute("UPDATE queue_items SET status = 'done' WHERE queue_id = ?", [ids[0]])
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "C001" not in column(app, "child_id")
        await pilot.press("a")
        await settle(pilot)
        assert column(app, "child_id")[0] == "C001" and column(app, "status")[0] == "done"
        assert "1 done" in text_of(app.screen, "#queue-status")


async def test_a_hang_up_closes_the_app_and_ends_it_if_closing_wedges(tui_ctx, monkeypatch):
    """SIGHUP (the SSH line dropped) closes the app as a quit does; closing writes to a
    terminal that is gone, which can wedge it, so after a grace time the process ends."""
    from tmux_driver import eventually

    import tui.app

    ended: list[int] = []
    monkeypatch.setattr(tui.app.os, "_exit", ended.append)
    monkeypatch.setattr(tui.app, "HANGUP_GRACE_SECONDS", 0.0)
    monkeypatch.setattr(tui_ctx.store, "busy_timeout_ms", 0)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.return_code is None
        app._hang_up()
        assert app.return_code == 0  # closing, as on quit (screens unmount: drafts saved)
    assert eventually(lambda: ended) == [129]  # 128 + SIGHUP
