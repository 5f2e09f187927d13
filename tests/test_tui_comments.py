"""Comment review screen, driven by keys against a real database."""

from __future__ import annotations

from conftest import as_user
from factories import submitted_audit
from textual.widgets import Checkbox, Input
from tui_helpers import SIZE, busy_database, make_app, settle, toasts

from core.comments import add_comment
from tui.widgets.row_table import RowTable


def two_audits(ctx):
    """Audit 1 (C1) submitted Mon 09:00, audit 2 (C2) an hour later: audit 1 closes first."""
    a1 = submitted_audit(ctx, child_id="C1")
    ctx.clock.advance(hours=1)
    a2 = submitted_audit(ctx, child_id="C2", child_name="Blake Example")
    ctx.clock.advance(hours=2)
    return a1.audit_id, a2.audit_id


async def open_review(pilot) -> RowTable:
    await settle(pilot)
    await pilot.press("2")
    await settle(pilot)
    return pilot.app.screen.query_one("#window_table", RowTable)


def order(table: RowTable) -> list[str]:
    return [table.get_row_at(i)[0] for i in range(table.row_count)]


async def test_window_lists_time_left_and_a_query_sorts_first(ctx):
    a1, a2 = two_audits(ctx)
    app = make_app(as_user(ctx, "aud1"))
    async with app.run_test(size=SIZE) as pilot:
        table = await open_review(pilot)
        assert order(table) == [str(a1), str(a2)]  # soonest to close first
        row = table.get_row_at(0)
        assert row[4] == "Thu 30 Apr 10:00"  # 72 h after 09:00 UTC, shown in London (BST)
        assert row[5] == "2d 21h"
        # Highlight audit 2 and record a query from the worker (an emailed reply).
        await pilot.press("down")
        await settle(pilot)
        await pilot.press("k")
        await pilot.press(*"Visits were virtual", "tab", "w", "1", "enter")
        await settle(pilot)
        comment = ctx.store.one("SELECT * FROM comments")
        assert (comment["audit_id"], comment["author"], comment["recorded_by"], comment["is_query"],
                comment["status"]) == (a2, "w1", "aud1", 1, "open")
        assert ctx.store.scalar("SELECT status FROM audits WHERE audit_id=?", [a2]) == "queried"
        assert order(table) == [str(a2), str(a1)]  # the open query now sorts first
        assert str(table.get_row_at(0)[6]) == "1 open"
        notes = app.screen.query_one("#comments_table", RowTable)
        assert notes.row_count == 1 and str(notes.get_row_at(0)[2]) == "QUERY open"
        assert "w1 (via aud1)" == notes.get_row_at(0)[1]


async def test_plain_comment_as_yourself_and_refusal_for_outsiders(ctx):
    a1, _ = two_audits(ctx)
    app = make_app(as_user(ctx, "m1"))  # the supervising manager comments for themself
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        await pilot.press("c", *"Agree with the findings", "enter")
        await settle(pilot)
        assert ctx.store.one("SELECT author, recorded_by, is_query FROM comments") == {
            "author": "m1", "recorded_by": "m1", "is_query": 0}
        await pilot.press("r")  # nothing to resolve, and m1 is not the auditor anyway
        await settle(pilot)
        assert any("no open query" in t for t in toasts(app))
    outsider = make_app(as_user(ctx, "pdt1"))
    async with outsider.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        await pilot.press("c", *"Not mine to say", "enter")
        await settle(pilot)
        assert any("may not comment" in t for t in toasts(outsider))
        assert ctx.store.scalar("SELECT COUNT(*) FROM comments") == 1


async def test_resolve_query_then_finalise_after_late_resolution(ctx):
    a1, _ = two_audits(ctx)
    cid = add_comment(as_user(ctx, "w1"), a1, "Why partly met?", query=True).comment_id
    ctx.clock.advance(hours=80)  # past the deadline: the open query holds the audit
    app = make_app(as_user(ctx, "aud1"))
    async with app.run_test(size=SIZE) as pilot:
        table = await open_review(pilot)
        assert order(table)[0] == str(a1) and str(table.get_row_at(0)[5]) == "held"
        await pilot.press("f")  # refused while the query is open
        await settle(pilot)
        assert any("resolve them first" in t for t in toasts(app))
        await pilot.press("r", *"Two visits were by video; re-rated", "enter")
        await settle(pilot)
        row = ctx.store.one("SELECT status, resolution, resolved_by FROM comments WHERE comment_id=?", [cid])
        assert row == {"status": "resolved", "resolution": "Two visits were by video; re-rated",
                       "resolved_by": "aud1"}
        assert ctx.store.scalar("SELECT status FROM audits WHERE audit_id=?", [a1]) == "submitted"
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        audit = ctx.store.one("SELECT status, finalised_by FROM audits WHERE audit_id=?", [a1])
        assert audit == {"status": "finalised", "finalised_by": "aud1"}  # resolved late: the auditor finalises
        assert str(a1) not in order(app.screen.query_one("#window_table", RowTable))


async def test_amend_overview_with_reason(ctx):
    a1, _ = two_audits(ctx)
    app = make_app(as_user(ctx, "aud1"))
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("ctrl+u", *"Re-rated after the query", "enter")
        await pilot.press(*"In response to the worker", "enter")
        await settle(pilot)
        assert ctx.store.scalar("SELECT overview FROM audits WHERE audit_id=?", [a1]) == "Re-rated after the query"
        assert ctx.store.scalar("SELECT COUNT(*) FROM events WHERE entity='audit' AND entity_id=? "
                                "AND action='amended'", [str(a1)]) == 1


async def test_app_tick_finalises_and_refreshes_the_open_screen(ctx):
    a1, a2 = two_audits(ctx)
    app = make_app(as_user(ctx, "aud1"))
    async with app.run_test(size=SIZE) as pilot:
        table = await open_review(pilot)
        assert order(table) == [str(a1), str(a2)]
        ctx.clock.advance(hours=69.5)  # Thu 09:30: audit 1 (closes Thu 09:00) is due, audit 2 (10:00) not
        app.run_tick()  # what the app's timer does every tick_seconds
        await settle(pilot)
        assert ctx.store.one("SELECT status, finalised_by FROM audits WHERE audit_id=?", [a1]) == {
            "status": "finalised", "finalised_by": "system"}
        assert order(table) == [str(a2)]


async def test_tick_timer_is_set_only_when_asked(ctx):
    submitted_audit(ctx, child_id="C1")
    for seconds, expected in ((None, False), (3600, True)):
        app = make_app(as_user(ctx, "aud1"), tick_seconds=seconds)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert (app.tick_timer is not None) is expected


async def test_a_comment_is_shown_as_written_never_read_as_markup(ctx):
    """A worker's comment may hold square brackets: "[/x]" read as markup raised in the
    comments table (the app stopped); "[b]" would turn bold."""
    a1, _ = two_audits(ctx)
    add_comment(as_user(ctx, "w1"), a1, "See [b]note[/b] of 3rd [/x]")
    app = make_app(as_user(ctx, "aud1"))
    async with app.run_test(size=SIZE) as pilot:
        await open_review(pilot)
        await settle(pilot)
        notes = app.screen.query_one("#comments_table", RowTable)
        assert notes.row_count == 1 and notes.get_row_at(0)[4] == "See [b]note[/b] of 3rd [/x]"
        drawn = "".join(s.text for y in range(notes.size.height) for s in notes.render_line(y))
        assert "[b]note[/b]" in drawn
        assert app.is_running


async def test_a_comment_resolution_or_amendment_is_asked_again_when_the_database_was_busy(ctx):
    """Another process held the database past the busy timeout: what the auditor typed
    (an emailed reply recorded for the worker, a resolution, an amendment and its reason)
    comes back in its form to send again, not lost with it."""
    a1, a2 = two_audits(ctx)
    with busy_database(ctx, "aud1") as (busy, holder):
        app = make_app(busy)
        async with app.run_test(size=SIZE) as pilot:
            await open_review(pilot)
            holder.execute("BEGIN IMMEDIATE")
            await pilot.press("k", *"Visits were virtual", "tab", "w", "1", "enter")
            await settle(pilot)
            assert any("busy" in t for t in toasts(app))
            assert app.screen.query_one("#comment_text", Input).value == "Visits were virtual"
            assert app.screen.query_one("#comment_from", Input).value == "w1"
            assert app.screen.query_one("#comment_query", Checkbox).value is True
            holder.execute("ROLLBACK")
            await pilot.press("enter")
            await settle(pilot)
            assert ctx.store.one("SELECT audit_id, author, is_query, text FROM comments") == {
                "audit_id": a1, "author": "w1", "is_query": 1, "text": "Visits were virtual"}

            holder.execute("BEGIN IMMEDIATE")
            await pilot.press("r", *"Re-rated", "enter")
            await settle(pilot)
            assert app.screen.query_one("#prompt_input", Input).value == "Re-rated"
            holder.execute("ROLLBACK")
            await pilot.press("enter")
            await settle(pilot)
            assert ctx.store.scalar("SELECT resolution FROM comments") == "Re-rated"

            holder.execute("BEGIN IMMEDIATE")
            await pilot.press("e")
            await settle(pilot)
            await pilot.press("ctrl+u", *"New overview", "enter", *"After the query", "enter")
            await settle(pilot)
            assert app.screen.query_one("#prompt_input", Input).value == "New overview"
            holder.execute("ROLLBACK")
            await pilot.press("enter")
            assert app.screen.query_one("#prompt_input", Input).value == "After the query"
            await pilot.press("enter")
            await settle(pilot)
            assert ctx.store.scalar("SELECT overview FROM audits WHERE audit_id = ?", [a1]) == "New overview"
