"""The audit checklist screen, driven by keys (Pilot) against a real SQLite file.

The seeded child C001 (worker w1, manager m1) has notes dated 02/03 (COVID-19),
30/03 (management oversight), 02/04 (communication) and 20/04 (virtual contact);
the audit is started on Monday 27 April 2020, so the pre-checks suggest Not met,
Partly met, Met, Met for the four standards they can judge.
"""

from __future__ import annotations

import json

from factories import full_audit_data
from tui_helpers import SIZE, SIZE_SMALL, make_app, seed_queue, settle, toasts, tui_ctx, wait_until  # noqa: F401

from core.audit import fill_audit, get_audit, start_audit, submit_audit
from tui.dialogs.submit import ConflictDialog, GapsDialog, SubmitConfirm
from tui.screens.checklist import ChecklistScreen
from tui.widgets.actions_editor import ActionsEditor
from tui.widgets.standards_list import StandardsList


class Keys:
    """Presses keys through the pilot and counts them: commands apart from typed text."""

    def __init__(self, pilot):
        self.pilot = pilot
        self.commands = 0
        self.typed = 0

    async def press(self, *keys: str) -> None:
        self.commands += len(keys)
        await self.pilot.press(*keys)

    async def type(self, text: str) -> None:
        self.typed += len(text)
        await self.pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


def started(ctx) -> int:
    """An audit of C001, started by auditor1 from the seeded queue."""
    queue_ids = seed_queue(ctx)
    return start_audit(ctx, str(queue_ids[0])).audit_id


async def open_checklist(pilot, audit_id: int) -> ChecklistScreen:
    await settle(pilot)
    screen = ChecklistScreen(audit_id)
    pilot.app.push_screen(screen)
    await settle(pilot)
    assert screen.loaded
    return screen


def rating(ctx, audit_id: int, standard: str) -> dict:
    return ctx.store.one("SELECT rating, evidence FROM ratings WHERE audit_id = ? AND standard_id = ?",
                         [audit_id, standard])


async def test_whole_audit_filled_and_submitted_by_keys_only(tui_ctx):
    audit_id = started(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE_SMALL) as pilot:
        screen = await open_checklist(pilot, audit_id)
        keys = Keys(pilot)
        # Four standards the notes can judge: accept each suggestion (the cursor moves on).
        await keys.press("a", "a", "a", "a")
        # Partners: not met, with evidence; contact level: met.
        await keys.press("n")
        await keys.press("up", "e")
        await keys.type("no partners")
        await keys.press("escape", "down", "m")
        # Overview and positive practice.
        await keys.press("o")
        await keys.type("no COVID note")
        await keys.press("tab")
        await keys.type("clear notes")
        await keys.press("escape")
        # One recommended action for the worker; the due date is prefilled.
        await keys.press("ctrl+n")
        await keys.type("add COVID note")
        await keys.press("escape")
        # Submit and confirm.
        await keys.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, SubmitConfirm)
        dialog_text = " ".join(str(s.render()) for s in app.screen.query("Static"))
        assert "Wendy Worker (w1), worker" in dialog_text
        assert "Mia Manager (m1), supervising manager" in dialog_text
        await keys.press("y")
        await settle(pilot)
        print(f"whole audit of the default programme: {keys.commands} command keys"
              f" + {keys.typed} typed characters")

        audit = get_audit(tui_ctx, audit_id)
        assert audit.status == "submitted"
        assert {s: r.rating for s, r in audit.ratings.items()} == {
            "covid_note": "not_met", "virtual_contact": "partly_met", "oversight_current": "met",
            "oversight_virtual": "met", "oversight_partners": "not_met", "oversight_contact_level": "met"}
        assert audit.ratings["covid_note"].evidence.startswith("no COVID-19 case note since")
        assert audit.ratings["oversight_partners"].evidence == "no partners"
        assert audit.overview == "no COVID note"
        assert audit.positive_practice == "clear notes"
        [action] = audit.actions
        assert (action.owner_role, action.owner, action.description) == ("worker", "w1", "add COVID note")
        # Ten working days from Mon 27/04/2020, skipping the weekends and Fri 8 May (bank holiday).
        assert action.due.isoformat() == "2020-05-12"
        alerted = {r["recipient"] for r in tui_ctx.store.query(
            "SELECT recipient FROM outbox WHERE template = 'audit_submitted'")}
        assert alerted == {"w1", "m1"}
        # The screen now shows it read-only.
        assert screen.read_only and screen.query_one("#readonly-banner").display
        assert keys.commands == 17  # everything but the words themselves


async def test_typed_evidence_reaches_the_database_within_two_seconds(tui_ctx):
    audit_id = started(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checklist(pilot, audit_id)
        await pilot.press("e", *"seen", "space", *"alone")
        # No save key pressed: only the autosave timer runs (core/draft.py: due SAVE_DEBOUNCE
        # after the last key, within SAVE_MAX_WAIT of the first; tests/test_draft.py checks
        # the timing without a clock on the wall).
        await wait_until(pilot, lambda: rating(tui_ctx, audit_id, "covid_note")["evidence"] == "seen alone",
                         what="the autosave wrote the evidence")
        assert rating(tui_ctx, audit_id, "covid_note")["evidence"] == "seen alone"
        # Not saved per keystroke: ten keys, far fewer saves (on a loaded machine slow keys
        # may outlast SAVE_MAX_WAIT and split the word over two saves, never ten).
        saves = tui_ctx.store.scalar("SELECT COUNT(*) FROM events WHERE entity = 'audit' AND action = 'saved'")
        assert 1 <= saves < len("seen alone")
        assert screen.version == get_audit(tui_ctx, audit_id).version
        assert "saved" in str(screen.query_one("#save-state").render())


async def test_rating_key_acts_only_in_the_standards_list(tui_ctx):
    audit_id = started(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checklist(pilot, audit_id)
        await pilot.press("m")  # list focused: rates the first standard
        await pilot.press("e", "m", "n", "x", "a", "p")  # in the evidence editor: just text
        await pilot.press("escape", "escape")  # out of the editor, then leave (saving first)
        await settle(pilot)
        assert app.screen is not screen
        assert rating(tui_ctx, audit_id, "covid_note") == {"rating": "met", "evidence": ""}
        assert rating(tui_ctx, audit_id, "virtual_contact") == {"rating": None, "evidence": "mnxap"}


async def test_draft_resumes_after_the_app_closes(tui_ctx):
    audit_id = started(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await open_checklist(pilot, audit_id)
        await pilot.press("p", "e", *"gap", "escape")
        await pilot.press("o", *"draft", "tab", *"kind")
        await pilot.press("ctrl+n", *"call")
        await pilot.press("ctrl+q")  # quit at once: nothing waits for the autosave timer
    # Reopened as the auditor would: start again from the queue resumes the same draft.
    assert start_audit(tui_ctx, "C001").audit_id == audit_id
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checklist(pilot, audit_id)
        assert screen.ratings["covid_note"]["rating"] == "partly_met"
        assert screen.ratings["virtual_contact"]["evidence"] == "gap"
        assert screen.query_one("#overview-text").text == "draft"
        assert screen.query_one("#positive-text").text == "kind"
        [row] = screen.query_one(ActionsEditor).rows
        assert row.value()["description"] == "call" and row.value()["due"] == "2020-05-12"


async def test_conflict_is_shown_and_never_overwrites(tui_ctx):
    audit_id = started(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checklist(pilot, audit_id)
        # The same audit saved elsewhere (another terminal) after this screen loaded it.
        fill_audit(tui_ctx, audit_id, {"overview": "changed in the other session"})
        await pilot.press("e", *"mine")
        # The autosave runs on its own and meets the other change.
        await wait_until(pilot, lambda: isinstance(app.screen, ConflictDialog), what="the conflict dialog")
        assert isinstance(app.screen, ConflictDialog)
        message = str(app.screen.query_one("#conflict-message").render())
        assert "changed by Ada Auditor" in message
        assert get_audit(tui_ctx, audit_id).overview == "changed in the other session"
        assert rating(tui_ctx, audit_id, "covid_note")["evidence"] == ""
        assert "conflict" in str(screen.query_one("#save-state").render())
        await pilot.press("r")  # reload the saved audit
        await settle(pilot)
        assert app.screen is screen and screen.draft.conflict is None
        assert screen.query_one("#overview-text").text == "changed in the other session"
        await pilot.press("m")  # saving works again on the reloaded version
        await pilot.press("escape")
        await settle(pilot)
        assert rating(tui_ctx, audit_id, "covid_note")["rating"] == "met"


async def test_gaps_stop_submission(tui_ctx):
    audit_id = started(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        await open_checklist(pilot, audit_id)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, GapsDialog)
        gaps = str(app.screen.query_one("#gaps").render())
        assert "not rated" in gaps and "overview: not written" in gaps
        await pilot.press("escape")
        await settle(pilot)
    assert get_audit(tui_ctx, audit_id).status == "draft"
    assert not tui_ctx.store.query("SELECT * FROM outbox")


async def test_submitted_audit_opens_read_only(tui_ctx):
    audit_id = started(tui_ctx)
    fill_audit(tui_ctx, audit_id, full_audit_data())
    submit_audit(tui_ctx, audit_id)
    version = get_audit(tui_ctx, audit_id).version
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checklist(pilot, audit_id)
        assert "READ-ONLY" in str(screen.query_one("#readonly-banner").render())
        assert screen.query_one("#evidence").read_only
        assert screen.query_one("#overview-text").read_only
        assert all(i.disabled for i in screen.query_one(ActionsEditor).query("Input"))
        # The editing keys are not offered (the footer drops them) and do nothing.
        assert screen.check_action("rate", ("met",)) is False
        assert screen.check_action("submit", ()) is False
        await pilot.press("n", "ctrl+n", "f9")
        await settle(pilot)
        assert app.screen is screen  # no dialog
        assert not screen.query_one(ActionsEditor).rows[-1].value()["description"] == ""
    assert get_audit(tui_ctx, audit_id).version == version
    assert get_audit(tui_ctx, audit_id).ratings["covid_note"].rating == "met"


async def test_preview_timeline_and_copy(tui_ctx):
    audit_id = started(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checklist(pilot, audit_id)
        await pilot.press("m", "o", *"fine", "escape", "v")
        await settle(pilot)
        preview = str(screen.query_one("#note-preview").render())
        assert "QA Audit" in preview and "Rating: Met" in preview and "fine" in preview
        await pilot.press("y")
        assert app.clipboard == screen.preview_text()
        assert any("copied" in t for t in toasts(app))
        # Timeline: all four notes, then one type at a time.
        await pilot.press("t")
        table = screen.query_one("#timeline-table")
        assert table.row_count == 4
        await pilot.press("f")
        assert table.row_count == 1 and screen.note_filter == "covid"
        assert "COVID-19" in str(screen.query_one("#timeline-filter").render())


async def test_standards_list_shows_ratings_and_suggestions(tui_ctx):
    audit_id = started(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checklist(pilot, audit_id)
        lst = screen.query_one(StandardsList)
        first = str(lst.get_option_at_index(0).prompt)
        assert first.startswith("? Not met")
        detail = str(screen.query_one("#standard-text").render())
        assert detail.startswith("suggested: Not met") and "23/03/2020" in detail
        await pilot.press("x")
        assert str(lst.get_option_at_index(0).prompt).startswith("Not applicable")
        assert lst.highlighted == 1
        await pilot.press("down", "down", "down", "down", "a")  # oversight_partners: no suggestion
        assert any("No suggestion" in t for t in toasts(app))


def test_fill_data_from_the_screen_is_what_core_takes(tui_ctx):
    """The screen's partial-fill shape round-trips through the same JSON the CLI reads."""
    audit_id = started(tui_ctx)
    data = {"ratings": {"covid_note": {"evidence": "only evidence"}}, "actions": []}
    fill_audit(tui_ctx, audit_id, json.loads(json.dumps(data)))
    assert rating(tui_ctx, audit_id, "covid_note") == {"rating": None, "evidence": "only evidence"}


async def test_keys_typed_ahead_of_a_focus_change_land_in_the_editor(tui_ctx):
    """A burst (fast typing, a laggy SSH link) of 'e' then words, and of escape then a
    command: every key goes where the focus is by then, none is dropped or misplaced."""
    from textual import events

    audit_id = started(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checklist(pilot, audit_id)
        burst = ["e", *"Seen alone", "escape", "down", "m"]
        for key in burst:  # all queued before any is handled
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(pilot)
        assert screen.ratings["covid_note"]["evidence"] == "Seen alone"
        assert screen.ratings["virtual_contact"]["rating"] == "met"
        assert isinstance(app.focused, StandardsList)


async def test_enter_on_a_standard_edits_its_evidence_at_once(tui_ctx):
    from textual import events

    audit_id = started(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checklist(pilot, audit_id)
        for key in ["down", "enter", *"no"]:  # 'n' would rate Not met if the list still had the keys
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(pilot)
        assert screen.ratings["virtual_contact"] == {**screen.ratings["virtual_contact"],
                                                     "rating": None, "evidence": "no"}


async def test_what_is_typed_is_saved_on_quit_before_the_screen_hears_of_it(tui_ctx):
    """Keys the boxes took whose Changed messages had not reached the screen when the app
    closed (a quit or a dropped line straight after typing): the save on unmount reads
    the boxes themselves."""
    audit_id = started(tui_ctx)
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checklist(pilot, audit_id)
        await pilot.press("ctrl+n")
        await settle(pilot)
        [row] = screen.query_one(ActionsEditor).rows
        row.description_box.value = "call"  # typed: the Changed message is still queued
        screen.query_one("#positive-text").insert("kind")
        app.exit()
    audit = get_audit(tui_ctx, audit_id)
    assert [a.description for a in audit.actions] == ["call"]
    assert audit.positive_practice == "kind"


async def test_a_draft_the_database_was_too_busy_for_is_saved_once_it_is_free(tui_ctx):
    """Another process held the database past the busy timeout while the auditor typed: the
    header said NOT SAVED ... try again, and nothing saved it until another key was pressed
    (a session then killed, not hung up, lost the text). The save goes again by itself."""
    import sqlite3

    from core.context import Context
    from core.store import Store

    audit_id = started(tui_ctx)
    store = Store(tui_ctx.store.path, busy_timeout_ms=100)  # the same file, a short busy wait
    ctx = Context(store=store, clock=tui_ctx.clock, settings=tui_ctx.settings, user=tui_ctx.user,
                  os_login=tui_ctx.os_login)
    holder = sqlite3.connect(tui_ctx.store.path, isolation_level=None)  # another process's writer
    app = make_app(ctx)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_checklist(pilot, audit_id)
            holder.execute("BEGIN IMMEDIATE")
            await pilot.press("e", *"seen")
            await wait_until(pilot, lambda: screen.draft.failure is not None, what="the save failed: busy")
            assert "busy" in screen.draft.failure
            holder.execute("ROLLBACK")
            await wait_until(pilot, lambda: rating(tui_ctx, audit_id, "covid_note")["evidence"] == "seen",
                             what="the draft saved again with no key pressed")
            assert screen.draft.failure is None
            assert "saved" in str(screen.query_one("#save-state").render())
    finally:
        holder.close()
        store.close()


async def test_a_case_note_is_shown_as_imported_never_read_as_markup(tui_ctx):
    """A case note's summary comes from the council's extract: "[/x]" read as markup
    raised in the timeline (the app stopped); "[b]" would turn bold."""
    audit_id = started(tui_ctx)
    text = "Spoke to mum [b]by phone[/b] re [/x] plan"
    with tui_ctx.tx() as tx:
        tx.execute("UPDATE case_notes SET summary = ?", [text])
    app = make_app(tui_ctx)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_checklist(pilot, audit_id)
        await pilot.press("t")
        await settle(pilot)
        table = screen.query_one("#timeline-table")
        assert table.row_count == 4
        drawn = "".join(s.text for y in range(table.size.height) for s in table.render_line(y))
        assert "[b]by phone[/b]" in drawn or "[b]by phon" in drawn  # as it reads (cut at the pane's edge)
        assert app.is_running
