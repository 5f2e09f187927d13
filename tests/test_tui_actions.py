"""Action review screen (PDT), driven by keys against a real database."""

from __future__ import annotations

from datetime import date

from conftest import as_user
from factories import submitted_audit
from rich.text import Text
from textual.widgets import Input
from tui_helpers import SIZE, busy_database, make_app, settle, toasts

from core.actions import suggest_new_due
from tui.dialogs.date_prompt import DatePrompt
from tui.widgets.row_table import RowTable


def audit_under_review(ctx, *, days: int = 15):
    """A submitted audit (two actions) and the clock ``days`` later: its review is due at 14."""
    audit = submitted_audit(ctx, child_id="C1")
    ctx.clock.advance(days=days)
    return audit


async def open_actions(pilot) -> RowTable:
    await settle(pilot)
    await pilot.press("4")
    await settle(pilot)
    return pilot.app.screen.query_one("#actions_table", RowTable)


async def test_reviews_due_listed_and_completed_by_key(ctx):
    audit = audit_under_review(ctx)
    first, second = [a.action_id for a in audit.actions]
    app = make_app(as_user(ctx, "pdt1"))
    async with app.run_test(size=SIZE) as pilot:
        table = await open_actions(pilot)
        assert table.row_count == 2
        assert "review due" in str(table.get_row_at(0)[1])
        await pilot.press("c", *"Notes re-recorded", "enter")
        await settle(pilot)
        review = ctx.store.one("SELECT action_id, by, outcome, new_due, note FROM action_reviews")
        assert review == {"action_id": first, "by": "pdt1", "outcome": "completed", "new_due": None,
                          "note": "Notes re-recorded"}
        assert ctx.store.scalar("SELECT status FROM actions WHERE action_id=?", [first]) == "completed"
        assert [table.get_row_at(i)[0] for i in range(table.row_count)] == [str(second)]
        await pilot.press("x", "enter")  # no longer needed, no note
        await settle(pilot)
        assert ctx.store.one("SELECT outcome, note FROM action_reviews WHERE action_id=?", [second]) == {
            "outcome": "not_needed", "note": None}
        assert table.row_count == 0


async def test_not_completed_takes_the_suggested_working_day(ctx):
    audit = audit_under_review(ctx)
    action_id = audit.actions[0].action_id
    suggestion = suggest_new_due(ctx)
    assert suggestion.weekday() < 5
    app = make_app(as_user(ctx, "pdt1"))
    async with app.run_test(size=SIZE) as pilot:
        await open_actions(pilot)
        await pilot.press("n")
        await settle(pilot)
        prompt = app.screen
        assert isinstance(prompt, DatePrompt) and prompt.suggestion == suggestion
        await pilot.press("enter", *"Chased the worker", "enter")
        await settle(pilot)
        assert ctx.store.one("SELECT outcome, new_due, note FROM action_reviews") == {
            "outcome": "not_completed", "new_due": suggestion.isoformat(), "note": "Chased the worker"}
        assert ctx.store.scalar("SELECT due FROM actions WHERE action_id=?", [action_id]) == suggestion.isoformat()


async def test_date_prompt_refuses_a_bad_date_and_escape_records_nothing(ctx):
    audit_under_review(ctx)
    app = make_app(as_user(ctx, "pdt1"))
    async with app.run_test(size=SIZE) as pilot:
        await open_actions(pilot)
        await pilot.press("n", "ctrl+u", *"31/02/2020", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DatePrompt)
        assert "not a date" in str(app.screen.query_one("#date_error").render())
        await pilot.press("escape")
        await settle(pilot)
        assert ctx.store.scalar("SELECT COUNT(*) FROM action_reviews") == 0


async def test_overdue_action_is_highlighted(ctx):
    audit = audit_under_review(ctx, days=30)  # both actions are past their due date
    app = make_app(as_user(ctx, "pdt1"))
    async with app.run_test(size=SIZE) as pilot:
        table = await open_actions(pilot)
        due, flags = table.get_row_at(0)[4], table.get_row_at(0)[1]
        assert isinstance(flags, Text) and "OVERDUE" in flags.plain
        assert app.get_css_variables()["error"] in str(flags.style)
        assert isinstance(due, Text) and date.fromisoformat(due.plain) == audit.actions[0].due


async def test_only_pdt_records_reviews_refusal_is_a_toast(ctx):
    audit_under_review(ctx)
    app = make_app(as_user(ctx, "aud1"))
    async with app.run_test(size=SIZE) as pilot:
        await open_actions(pilot)
        await pilot.press("c", "enter")
        await settle(pilot)
        assert any("may not record an action review" in t for t in toasts(app))
        assert ctx.store.scalar("SELECT COUNT(*) FROM action_reviews") == 0


async def test_each_followup_screen_offers_its_commands_in_the_palette(ctx):
    audit_under_review(ctx)
    app = make_app(as_user(ctx, "pdt1"))
    async with app.run_test(size=SIZE) as pilot:
        for key, prefix in (("2", "Comment:"), ("3", "Escalation:"), ("4", "Action review:")):
            await pilot.press(key)
            await settle(pilot)
            titles = [title for title, _help, _run in app.screen.palette_commands()]
            assert titles and all(t.startswith(prefix) for t in titles)
        toggle = dict((t, run) for t, _h, run in app.screen.palette_commands())["Action review: due only"]
        toggle()
        await settle(pilot)
        assert app.screen.due_only and app.screen.query_one("#actions_table", RowTable).row_count == 2


async def test_the_detail_follows_the_cursor_and_shows_a_long_description(ctx):
    """The detail pane shows (draws) the highlighted action, whether its text has as many
    lines as the last (drawn without a layout) or not, and a long description wraps."""
    submitted_audit(ctx, child_id="C2")
    audit = audit_under_review(ctx)
    long_id = audit.actions[1].action_id
    long = "See the child alone and record their wishes and feelings in their own words. " * 12
    with ctx.tx() as tx:  # (as the auditor could have written it)
        tx.execute("UPDATE actions SET description = ? WHERE action_id = ?", [long, long_id])

    def shown(detail) -> str:
        return "\n".join(line.text for line in detail.render_lines(detail.size.region))

    app = make_app(as_user(ctx, "pdt1"))
    async with app.run_test(size=SIZE) as pilot:
        table = await open_actions(pilot)
        detail = app.screen.query_one("#action_detail")
        assert table.row_count == 4
        order = [table.get_row_at(i)[0] for i in range(4)]
        for key in ["down"] * 3 + ["up"] * 3:
            action = table.cursor_key
            assert action == order[table.cursor_row]
            assert f"Action {action} (audit" in shown(detail)
            assert ("wishes and feelings in their" in shown(detail)) == (action == str(long_id))
            await pilot.press(key)
            await settle(pilot)
        table.move_cursor(row=order.index(str(long_id)))
        await settle(pilot)
        assert sum("wishes and feelings" in line for line in shown(detail).splitlines()) > 2  # wrapped


async def test_a_description_is_shown_as_typed_never_read_as_markup(ctx):
    """An auditor's words may hold square brackets: "[/x]" read as markup raised in the
    detail pane (the app stopped); "[b]" would turn bold."""
    audit = audit_under_review(ctx)
    typed = "Call mum [b]today[/b] and note [/x] in the record"
    with ctx.tx() as tx:
        tx.execute("UPDATE actions SET description = ?", [typed])
    app = make_app(as_user(ctx, "pdt1"))
    async with app.run_test(size=SIZE) as pilot:
        await open_actions(pilot)
        detail = app.screen.query_one("#action_detail")
        await settle(pilot)
        shown = "".join(line.text for line in detail.render_lines(detail.size.region))
        assert "[b]today[/b]" in shown and "[/x]" in shown
        await pilot.press("down")
        await settle(pilot)
        assert app.is_running and app.screen.query_one("#actions_table", RowTable).row_count == len(audit.actions)


async def test_a_review_note_is_asked_again_when_the_database_was_busy(ctx):
    """Another process held the database past the busy timeout: the PDT member's note comes
    back in its prompt to send again, not lost."""
    audit = audit_under_review(ctx)
    first = audit.actions[0].action_id
    with busy_database(ctx, "pdt1") as (busy, holder):
        app = make_app(busy)
        async with app.run_test(size=SIZE) as pilot:
            await open_actions(pilot)
            holder.execute("BEGIN IMMEDIATE")
            await pilot.press("c", *"Notes re-recorded", "enter")
            await settle(pilot)
            assert any("busy" in t for t in toasts(app))
            assert app.screen.query_one("#prompt_input", Input).value == "Notes re-recorded"
            holder.execute("ROLLBACK")
            await pilot.press("enter")
            await settle(pilot)
            assert ctx.store.one("SELECT action_id, outcome, note FROM action_reviews") == {
                "action_id": first, "outcome": "completed", "note": "Notes re-recorded"}


async def test_the_rows_are_read_once_a_time_and_a_read_asked_for_meanwhile_follows(ctx, monkeypatch):
    """On its first show Textual mounts the screen and resumes it twice: each asked for
    the rows, and three reads of thousands of actions ran at once, sharing the
    interpreter (the switch took 1.2 s at 5,000 actions; one read, 0.7 s). One read runs
    at a time; one asked for meanwhile (the tick found something changed) follows it, the
    latest asked for only."""
    import threading

    import tui.screens.actions as actions_screen

    audit_under_review(ctx)
    reads, gate = [], threading.Event()
    real = actions_screen.read_actions

    def read(c, due_only):
        reads.append(due_only)
        gate.wait(30)  # the first read is under way until the test lets it go
        return real(c, due_only)

    monkeypatch.setattr(actions_screen, "read_actions", read)
    app = make_app(as_user(ctx, "pdt1"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        for _ in range(20):
            await pilot.pause()
        assert reads == [False]  # mounted and resumed twice: one read
        screen = app.screen
        screen.refresh_data()  # the tick: something changed since the read began
        screen.action_toggle_due()  # then "due only": the latest asked for
        for _ in range(10):
            await pilot.pause()
        assert reads == [False]  # still one at a time
        gate.set()
        await settle(pilot)
        assert reads == [False, True]  # the one read after: the latest asked for
        assert screen.query_one("#actions_table", RowTable).row_count == 2
