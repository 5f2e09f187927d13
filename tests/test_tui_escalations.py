"""Escalation tracker screen, driven by keys against a real database."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import as_user
from factories import submitted_audit
from rich.text import Text
from textual.widgets import Input
from tui_helpers import SIZE, busy_database, make_app, settle, toasts

from core.escalation import escalate
from tui.widgets.escalation_timeline import EscalationTimeline
from tui.widgets.row_table import RowTable


def two_escalations(ctx):
    """Escalation 1 raised Mon 09:00 (respond by Tue 09:00); escalation 2 raised Mon 12:00.
    The clock ends Tue 11:20 UTC: escalation 1 is 2h 20m over, escalation 2 (due Tue 12:00) is not."""
    a1 = submitted_audit(ctx, child_id="C1")
    a2 = submitted_audit(ctx, child_id="C2", child_name="Blake Example")
    aud = as_user(ctx, "aud1")
    e1 = escalate(aud, a1.audit_id, "Bruising seen on video call", phoned="no-answer")
    ctx.clock.advance(hours=3)
    e2 = escalate(aud, a2.audit_id, "Parent not engaging", phoned="reached")
    ctx.clock.set(datetime(2020, 4, 28, 11, 20, tzinfo=UTC))
    return e1.escalation_id, e2.escalation_id


async def open_tracker(pilot):
    await settle(pilot)
    await pilot.press("3")
    await settle(pilot)
    return pilot.app.screen.query_one("#escalations_table", RowTable)


async def test_overdue_first_highlighted_with_time_over_and_timeline(ctx):
    e1, e2 = two_escalations(ctx)
    app = make_app(as_user(ctx, "aud1"))
    async with app.run_test(size=SIZE) as pilot:
        table = await open_tracker(pilot)
        assert table.row_count == 2
        first = table.get_row_at(0)
        assert first[0] == str(e1)
        deadline = first[-1]
        assert isinstance(deadline, Text) and deadline.plain == "overdue 2h 20m"
        assert app.get_css_variables()["error"] in str(deadline.style)
        assert table.get_row_at(1)[-1] == "40m left"  # respond-by one working day after raising
        timeline = str(app.screen.query_one(EscalationTimeline).render())
        assert "Bruising seen on video call" in timeline and "Raised" in timeline


async def test_h_refers_to_head_of_service_after_confirmation(ctx):
    e1, _ = two_escalations(ctx)
    app = make_app(as_user(ctx, "aud1"))
    async with app.run_test(size=SIZE) as pilot:
        await open_tracker(pilot)
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("n")  # the confirmation says no: nothing changes
        await settle(pilot)
        assert ctx.store.scalar("SELECT level FROM escalations WHERE escalation_id=?", [e1]) == "manager"
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        row = ctx.store.one("SELECT level, recipient FROM escalations WHERE escalation_id=?", [e1])
        assert row == {"level": "head_of_service", "recipient": "hos1"}
        assert ctx.store.scalar("SELECT COUNT(*) FROM escalation_steps WHERE escalation_id=? AND kind='referred'",
                                [e1]) == 1
        table = app.screen.query_one("#escalations_table", RowTable)
        level = {table.get_row_at(i)[0]: table.get_row_at(i)[3] for i in range(table.row_count)}[str(e1)]
        assert str(level) == "Head of Service"
        assert "Referred to Head of Service" in str(app.screen.query_one(EscalationTimeline).render())


async def test_respond_and_close_by_keys(ctx):
    e1, _ = two_escalations(ctx)
    app = make_app(as_user(ctx, "aud1"))
    async with app.run_test(size=SIZE) as pilot:
        await open_tracker(pilot)
        await pilot.press("r")
        await pilot.press(*"Manager visited today")
        await pilot.press("enter")
        await settle(pilot)
        assert ctx.store.one("SELECT status, response FROM escalations WHERE escalation_id=?", [e1]) == {
            "status": "responded", "response": "Manager visited today"}
        await pilot.press("x")
        await pilot.press(*"Safety plan agreed")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert ctx.store.one("SELECT status, outcome FROM escalations WHERE escalation_id=?", [e1]) == {
            "status": "closed", "outcome": "Safety plan agreed"}
        table = app.screen.query_one("#escalations_table", RowTable)
        assert [table.get_row_at(i)[0] for i in range(table.row_count)] == ["2"]


async def test_raise_from_audit_id_prompt(ctx):
    audit = submitted_audit(ctx, child_id="C1")
    app = make_app(as_user(ctx, "aud1"))
    async with app.run_test(size=SIZE) as pilot:
        await open_tracker(pilot)
        await pilot.press("n", *str(audit.audit_id), "enter")
        await pilot.press(*"Unexplained injury", "enter")
        await pilot.press(*"no-answer", "enter")
        await settle(pilot)
        row = ctx.store.one("SELECT audit_id, concern, phoned, level FROM escalations")
        assert row == {"audit_id": audit.audit_id, "concern": "Unexplained injury", "phoned": "no-answer",
                       "level": "manager"}
        assert app.screen.query_one("#escalations_table", RowTable).row_count == 1


async def test_worker_may_not_refer_refusal_is_a_toast(ctx):
    e1, _ = two_escalations(ctx)
    app = make_app(as_user(ctx, "w1"))
    async with app.run_test(size=SIZE) as pilot:
        await open_tracker(pilot)
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert any("may not refer" in t for t in toasts(app))
        assert ctx.store.scalar("SELECT level FROM escalations WHERE escalation_id=?", [e1]) == "manager"


async def test_what_was_typed_is_asked_again_when_the_database_was_too_busy(ctx):
    """Another process held the database past the busy timeout as the auditor raised an
    escalation: the toast said try again, and the concern was gone with the prompt (a risk
    of significant harm, typed again from memory). Now the prompts come back filled in."""
    audit = submitted_audit(ctx, child_id="C1")
    e1, _ = two_escalations(ctx)
    with busy_database(ctx, "aud1") as (busy, holder):
        app = make_app(busy)
        async with app.run_test(size=SIZE) as pilot:
            await open_tracker(pilot)
            holder.execute("BEGIN IMMEDIATE")
            await pilot.press("n", *str(audit.audit_id), "enter")
            await pilot.press(*"Unexplained injury", "enter")
            await pilot.press(*"no-answer", "enter")
            await settle(pilot)
            assert any("busy" in t for t in toasts(app))
            prompt = app.screen.query_one("#prompt_input", Input)
            assert prompt.value == "Unexplained injury"  # the concern, asked again
            holder.execute("ROLLBACK")
            await pilot.press("enter")  # the concern as it was
            assert app.screen.query_one("#prompt_input", Input).value == "no-answer"
            await pilot.press("enter")
            await settle(pilot)
            assert ctx.store.one("SELECT concern, phoned FROM escalations WHERE audit_id = ?", [audit.audit_id]) == {
                "concern": "Unexplained injury", "phoned": "no-answer"}

            table = app.screen.query_one("#escalations_table", RowTable)
            table.move_cursor(row=table.get_row_index(str(e1)))
            holder.execute("BEGIN IMMEDIATE")
            await pilot.press("r", *"Manager visited", "enter")
            await settle(pilot)
            assert app.screen.query_one("#prompt_input", Input).value == "Manager visited"
            table.move_cursor(row=0)  # the prompt is for the escalation it was typed for, wherever the cursor is
            holder.execute("ROLLBACK")
            await pilot.press("enter")
            await settle(pilot)
            assert ctx.store.scalar("SELECT response FROM escalations WHERE escalation_id = ?", [e1]) == "Manager visited"

            holder.execute("BEGIN IMMEDIATE")
            await pilot.press("x", *"Plan agreed", "enter", "y")
            await settle(pilot)
            assert app.screen.query_one("#prompt_input", Input).value == "Plan agreed"
            holder.execute("ROLLBACK")
            await pilot.press("enter", "y")
            await settle(pilot)
            assert ctx.store.scalar("SELECT outcome FROM escalations WHERE escalation_id = ?", [e1]) == "Plan agreed"
