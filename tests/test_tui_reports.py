"""The report preview screen (key 5): the SMT report by default, the weekly one with its
trend, earlier and later slots, export, send now (admins) and the history of sent
reports, over the hand-built history of tests/report_data.py (figures known)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import report_data as rd
from conftest import as_user
from textual.widgets import Input, Select
from tui_helpers import SIZE, SIZE_SMALL, make_app, settle, toasts

from core.config import ReportSettings
from core.outbox import list_outbox
from core.reports import build_report, default_period, render_report, send_report, show_stored
from core.reports.periods import slot_period
from tui.dialogs.confirm import ConfirmScreen
from tui.dialogs.error import ErrorScreen
from tui.dialogs.export import ExportDialog
from tui.dialogs.report_history import ReportHistory
from tui.screens.reports import ReportsScreen, earlier_slot, later_slot
from tui.widgets.report_view import ReportView


@pytest.fixture
def history(ctx):
    return rd.build(ctx)  # the clock left at rd.BUILT (Fri 1 May 2020 12:00Z)


def body(app) -> str:
    return app.screen.query_one(ReportView).text


def heading(app) -> str:
    return str(app.screen.query_one("#report-heading").content)


def report_rows(ctx) -> list:
    return [r for r in list_outbox(ctx, limit=1000) if r.entity == "report"]


async def open_reports(pilot):
    await settle(pilot)
    await pilot.press("5")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReportsScreen)


async def test_key_5_opens_the_smt_report_so_far_with_real_figures(ctx, history):
    aud = as_user(ctx, "aud1")
    async with make_app(aud).run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        # The latest slot (Thu 30 Apr 08:00 BST) up to now: A4, submitted on that boundary.
        assert body(pilot.app) == render_report(build_report(aud, "smt"), "txt")
        assert "SMT report so far" in heading(pilot.app)
        assert "Thu 30 Apr 2020 08:00 to Fri 01 May 2020 13:00" in heading(pilot.app)
        assert "as at Fri 01 May 2020 13:00" in heading(pilot.app)
        assert "Xena Third" in body(pilot.app)  # within Team B, by worker


async def test_brackets_move_through_the_slots_and_back_to_so_far(ctx, history):
    aud = as_user(ctx, "aud1")
    async with make_app(aud).run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        # The slot Tue 28 Apr 08:00 -> Thu 30 Apr 08:00: the three audits of rd.PERIOD.
        assert body(pilot.app) == render_report(build_report(aud, "smt", rd.PERIOD), "txt")
        assert "SMT report due Thu 30 Apr 2020 08:00" in heading(pilot.app)
        assert "Tue 28 Apr 2020 08:00 to Thu 30 Apr 2020 08:00" in heading(pilot.app)
        assert "Audits completed                       3" in body(pilot.app)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "due Tue 28 Apr 2020 08:00" in heading(pilot.app)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert "SMT report so far" in heading(pilot.app)
        await pilot.press("right_square_bracket")  # never into the future
        await settle(pilot)
        assert "SMT report so far" in heading(pilot.app)
        assert any("newest SMT report" in t for t in toasts(pilot.app))


async def test_w_shows_the_weekly_report_with_its_trend_and_s_goes_back(ctx, history):
    aud = as_user(ctx, "aud1")
    async with make_app(aud).run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await pilot.press("w")
        await settle(pilot)
        text = body(pilot.app)
        assert text == render_report(build_report(aud, "weekly"), "txt")
        assert "TREND" in text and "Audits per week" in text and ("▁" in text or "█" in text)
        assert "Weekly report (the last complete week)" in heading(pilot.app)
        assert "Mon 20 Apr 2020 to Sun 26 Apr 2020" in heading(pilot.app)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "Mon 13 Apr 2020 to Sun 19 Apr 2020" in heading(pilot.app)
        await pilot.press("s")
        await settle(pilot)
        assert "SMT report so far" in heading(pilot.app)


async def test_switching_kind_quickly_shows_only_the_last_asked_for(ctx, history):
    aud = as_user(ctx, "aud1")
    async with make_app(aud).run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await pilot.press("w", "s", "w", "s")
        await settle(pilot)
        assert "SMT report so far" in heading(pilot.app)
        assert body(pilot.app) == render_report(build_report(aud, "smt"), "txt")


async def test_the_report_scrolls_both_ways_at_80x24(ctx, history):
    aud = as_user(ctx, "aud1")
    async with make_app(aud).run_test(size=SIZE_SMALL) as pilot:
        await open_reports(pilot)
        await pilot.press("w")
        await settle(pilot)
        view = pilot.app.screen.query_one(ReportView)
        assert view.max_scroll_x > 0 and view.max_scroll_y > 0  # wider and longer than the screen
        await pilot.press("right", "right", "down", "down", "down")
        await settle(pilot)
        assert (view.scroll_x, view.scroll_y) == (16, 3)
        await pilot.press("end")
        await settle(pilot)
        assert view.scroll_y == view.max_scroll_y
        await pilot.press("home")
        await settle(pilot)
        assert (view.scroll_x, view.scroll_y) == (0, 0)


async def export_to(pilot, path: str, fmt: str | None = None) -> None:
    await pilot.press("e")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, ExportDialog)
    assert dialog.query_one("#export-path", Input).value.startswith("~/dipaudit-")
    dialog.query_one("#export-path", Input).value = path
    if fmt:
        dialog.query_one("#export-format", Select).value = fmt
        await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def test_export_writes_the_file_render_report_gives(ctx, history, tmp_path):
    aud = as_user(ctx, "aud1")
    async with make_app(aud).run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await pilot.press("w")
        await settle(pilot)
        out = tmp_path / "weekly.html"
        await export_to(pilot, str(out))
        assert out.read_text(encoding="utf-8") == render_report(build_report(aud, "weekly"), "html")
        assert out.stat().st_mode & 0o077 == 0  # private
        assert any(f"Wrote {out} (html)" in t for t in toasts(pilot.app))
        md = tmp_path / "smt.html"
        await pilot.press("s")
        await settle(pilot)
        await export_to(pilot, str(md), fmt="md")  # choosing a format changes the extension
        assert not md.exists()
        assert (tmp_path / "smt.md").read_text(encoding="utf-8") == render_report(build_report(aud, "smt"), "md")


async def test_export_refusals_are_one_line_toasts_and_write_nothing(ctx, history, tmp_path, db_path):
    aud = as_user(ctx, "aud1")
    before = db_path.read_bytes()
    target = tmp_path / "real.txt"
    target.write_text("keep me", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    async with make_app(aud).run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        shown: list[str] = []
        # Each refusal is read as it shows: an error toast lasts 8 s, and on a loaded
        # machine three exports can outlast the first one's.
        for path, fmt in ((str(db_path), "txt"),  # onto the database
                          (str(link), None),  # through a symbolic link
                          (str(tmp_path / "no-such-folder" / "r.txt"), None)):
            await export_to(pilot, path, fmt=fmt)
            new = [t for t in toasts(pilot.app) if t not in shown]
            assert len(new) == 1, (path, new)
            shown += new
        assert len(shown) == 3 and all("\n" not in t for t in shown), shown
        assert not isinstance(pilot.app.screen, ErrorScreen)
        assert "Wrote" not in " ".join(shown)
    assert target.read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / "no-such-folder").exists()
    assert db_path.read_bytes()[:100] == before[:100]


async def test_export_dialog_says_when_the_extension_names_no_format(ctx, history, tmp_path):
    aud = as_user(ctx, "aud1")
    async with make_app(aud).run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await export_to(pilot, str(tmp_path / "r.xyz"))
        assert isinstance(pilot.app.screen, ExportDialog)  # still open, saying why
        assert "Cannot tell the format from '.xyz'" in str(pilot.app.screen.query_one("#export-error").content)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ReportsScreen)
    assert not (tmp_path / "r.xyz").exists()


async def test_admin_sends_now_after_confirming_to_the_smt_people(ctx, history):
    admin = as_user(ctx, "admin1")
    async with make_app(admin).run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await pilot.press("S")
        await settle(pilot)
        confirm = pilot.app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "Sam Senior (smt1)" in confirm.message and "Sol Senior (smt2)" in confirm.message
        assert "Thu 30 Apr 2020 08:00 up to the moment it is sent" in confirm.message
        assert report_rows(ctx) == []  # nothing before the answer
        await pilot.press("y")
        await settle(pilot)
        rows = report_rows(ctx)
        assert sorted((r.recipient, r.template) for r in rows) == [("smt1", "report_smt"), ("smt2", "report_smt")]
        assert any("queued to 2 (smt1, smt2)" in t for t in toasts(pilot.app))


async def test_admin_cancelling_sends_nothing(ctx, history):
    admin = as_user(ctx, "admin1")
    async with make_app(admin).run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await pilot.press("w", "ctrl+s")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert "Dee Director (dir1)" in pilot.app.screen.message
        await pilot.press("n")
        await settle(pilot)
    assert report_rows(ctx) == []


async def test_send_is_refused_for_an_auditor_with_the_core_message(ctx, history):
    aud = as_user(ctx, "aud1")
    async with make_app(aud).run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await pilot.press("S")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ReportsScreen)  # no confirmation
        assert toasts(pilot.app) == ["aud1 may not send the SMT report: needs the admin role"]
    assert report_rows(ctx) == []


async def test_history_lists_the_sent_reports_and_opens_one_as_sent(ctx, history, tmp_path):
    admin = as_user(ctx, "admin1")
    stored = send_report(admin, "smt", rd.PERIOD)
    aud = as_user(ctx, "aud1")
    async with make_app(aud).run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await pilot.press("h")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ReportHistory)
        assert [r.report_id for r in dialog.rows] == [stored.report_id]
        await pilot.press("enter")
        await settle(pilot)
        assert body(pilot.app) == show_stored(aud, stored.report_id, "txt")
        assert f"Sent report {stored.report_id}: SMT report, sent by admin1 to smt1, smt2" in heading(pilot.app)
        out = tmp_path / "sent.csv"
        await export_to(pilot, str(out))
        assert out.read_bytes().decode("utf-8") == show_stored(aud, stored.report_id, "csv")
        await pilot.press("escape")  # back to the live report
        await settle(pilot)
        assert "SMT report so far" in heading(pilot.app)


@pytest.mark.parametrize("login", ["w1", "m1"])
async def test_a_worker_or_manager_sees_the_refusal_on_the_screen(ctx, history, login):
    someone = as_user(ctx, login)
    async with make_app(someone).run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        assert body(pilot.app) == f"{login} may not see the SMT report: needs the auditor or pdt or admin" \
                                  " or smt or director or head_of_service role"
        assert not isinstance(pilot.app.screen, ErrorScreen)
        await pilot.press("w")
        await settle(pilot)
        assert "may not see the weekly report" in body(pilot.app)
        await pilot.press("e")  # nothing to export
        await settle(pilot)
        assert isinstance(pilot.app.screen, ReportsScreen)


async def test_reports_is_in_the_help_and_the_palette(ctx, history):
    from tui.app import DipauditApp

    assert ("reports", "Reports", "5", "f6") in DipauditApp.SCREENS_NAV
    aud = as_user(ctx, "aud1")
    async with make_app(aud).run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await pilot.press("f1")
        await settle(pilot)
        from textual.widgets import Markdown

        text = pilot.app.screen.query_one(Markdown).source
        assert "`5`/`F6` reports" in text and "Export" in text and "Send now (admins)" in text


# -- the slot arithmetic behind [ and ] ------------------------------------------------
def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("now", [utc(2020, 4, 27, 6, 30), utc(2020, 4, 27, 9, 0), utc(2020, 4, 29, 9, 0)])
def test_weekly_brackets_step_a_week_from_the_default_and_back(now):
    rs = ReportSettings()
    shown = default_period(rs, "weekly", now)
    slot = earlier_slot(rs, "weekly", None, now)
    before = slot_period(rs, "weekly", slot)
    assert before.end == shown.start  # the week before the one shown, whatever the hour
    assert later_slot(rs, "weekly", slot, now) is None  # and ] comes back to the default


def test_smt_brackets_go_to_the_latest_slot_then_back_to_so_far():
    rs = ReportSettings()
    now = utc(2020, 4, 30, 12, 0)  # Thu, after the 08:00 slot
    slot = earlier_slot(rs, "smt", None, now)
    assert slot == utc(2020, 4, 30, 7, 0)
    assert earlier_slot(rs, "smt", slot, now) == utc(2020, 4, 28, 7, 0)
    assert later_slot(rs, "smt", utc(2020, 4, 28, 7, 0), now) == slot
    assert later_slot(rs, "smt", slot, now) is None


async def test_send_with_nobody_to_send_to_says_so_before_asking(ctx):
    from conftest import add_people

    from core.errors import StateError
    from core.reports import send_recipients

    add_people(ctx, [{"login": "admin1", "name": "Ada Admin", "roles": ["admin"]}])
    admin = as_user(ctx, "admin1")
    with pytest.raises(StateError, match="nobody to send the weekly report to"):
        send_recipients(admin, "weekly")
    async with make_app(admin).run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await pilot.press("w", "S")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ReportsScreen)
        assert toasts(pilot.app) == ["nobody to send the weekly report to: no active person has the director"
                                     " role in the people directory"]
    assert report_rows(ctx) == []


async def test_the_apps_tick_builds_the_report_again_as_at_the_new_time(ctx, history):
    from tui.messages import DataChanged

    aud = as_user(ctx, "aud1")
    async with make_app(aud).run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        assert "as at Fri 01 May 2020 13:00" in heading(pilot.app)
        ctx.clock.set(utc(2020, 5, 1, 12, 30))
        pilot.app.screen.post_message(DataChanged())
        await settle(pilot)
        assert "to Fri 01 May 2020 13:30 · as at Fri 01 May 2020 13:30" in heading(pilot.app)
        assert body(pilot.app) == render_report(build_report(aud, "smt"), "txt")
