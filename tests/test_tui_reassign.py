"""Reassigning from the TUI (issue 9 item 5): R on the queue and on the action review
screen, through core.queue.reassign / core.actions.reassign (admins only; the new holder
still here and holding the role); core's refusals are toasts and nothing changes."""

from __future__ import annotations

from conftest import add_people, as_user
from factories import submitted_audit
from tui_helpers import SIZE, make_app, seed_queue, settle, toasts, tui_ctx  # noqa: F401

from tui.dialogs.text_prompt import TextPrompt


def leave(ctx, login: str) -> None:
    """What a newer people import does to someone missing from it (as tests/test_leavers.py)."""
    with ctx.tx() as tx:
        tx.execute("UPDATE people SET active = 0, roles = '[]', left_at = ? WHERE login = ?", [tx.at, login])


def reassigned_events(ctx, entity: str) -> int:
    return ctx.store.scalar("SELECT COUNT(*) FROM events WHERE entity = ? AND action = 'reassigned'", [entity])


async def test_admin_reassigns_a_queue_item_and_the_row_follows(tui_ctx):
    seed_queue(tui_ctx)
    add_people(tui_ctx, [{"login": "auditor3", "name": "Cy Auditor", "roles": ["auditor"]}])
    leave(tui_ctx, "auditor3")
    app = make_app(as_user(tui_ctx, "admin1"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = app.screen.current_item()
        other = "auditor2" if item.auditor == "auditor1" else "auditor1"
        await pilot.press("R")
        await settle(pilot)
        prompt = app.screen
        assert isinstance(prompt, TextPrompt)
        label = str(prompt.query_one(".field-label").render())
        assert other in label and "auditor3" not in label  # who is still here and an auditor
        await pilot.press(*"auditor3", "enter")  # a leaver, typed anyway: core refuses
        await settle(pilot)
        assert any("auditor3 has left" in t for t in toasts(app))
        assert tui_ctx.store.scalar("SELECT auditor FROM queue_items WHERE queue_id = ?", [item.queue_id]) == item.auditor
        await pilot.press("R")
        await settle(pilot)
        await pilot.press(*other, "enter")
        await settle(pilot)
        assert tui_ctx.store.scalar("SELECT auditor FROM queue_items WHERE queue_id = ?", [item.queue_id]) == other
        assert reassigned_events(tui_ctx, "queue_item") == 1
        shown = next(i for i in app.screen.items if i.queue_id == item.queue_id)
        assert shown.auditor == other  # the row was read again
        assert any(f"now {other}'s" in t for t in toasts(app))


async def test_queue_reassign_is_refused_for_a_non_admin_before_any_prompt(tui_ctx):
    seed_queue(tui_ctx)
    app = make_app(tui_ctx)  # auditor1
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert not isinstance(app.screen, TextPrompt)
        assert any("may not reassign a queue item" in t for t in toasts(app))
        assert reassigned_events(tui_ctx, "queue_item") == 0


async def test_admin_reassigns_an_action_refused_to_a_leaver_and_for_pdt(ctx):
    audit = submitted_audit(ctx, child_id="C1")
    add_people(ctx, [{"login": "admin1", "roles": ["admin"]},
                     {"login": "w2", "name": "Will Worker", "roles": ["worker"], "team": "Team A"},
                     {"login": "w3", "roles": ["worker"], "team": "Team A"}])
    leave(ctx, "w3")
    ctx.clock.advance(days=15)
    action = next(a for a in audit.actions if a.owner_role == "worker")
    app = make_app(as_user(ctx, "admin1"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#actions_table").move_cursor(row=list(screen.rows).index(str(action.action_id)))
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, TextPrompt)
        assert "w2 (Will Worker)" in str(app.screen.query_one(".field-label").render())
        await pilot.press(*"w3", "enter")
        await settle(pilot)
        assert any("w3 has left" in t for t in toasts(app))
        await pilot.press("R")
        await settle(pilot)
        await pilot.press(*"w2", "enter")
        await settle(pilot)
        assert ctx.store.scalar("SELECT owner FROM actions WHERE action_id = ?", [action.action_id]) == "w2"
        assert reassigned_events(ctx, "action") == 1
        assert screen.rows[str(action.action_id)].owner == "w2"
    pdt = make_app(as_user(ctx, "pdt1"))
    async with pdt.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert any("may not reassign an action" in t for t in toasts(pdt))
        assert reassigned_events(ctx, "action") == 1
