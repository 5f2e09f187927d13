"""The report model's figures, exactly, over a hand-built history (tests/report_data.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import report_data as rd
from conftest import as_user

from core.clock import iso
from core.errors import PermissionDenied
from core.reports import build_report, compose_report
from core.reports.periods import Period, previous_slot, slot_period


@pytest.fixture
def history(ctx):
    return rd.build(ctx)


@pytest.fixture
def smt(ctx, history):
    return build_report(as_user(ctx, "smt1"), "smt", rd.PERIOD)


def test_header_period_and_as_at(smt):
    assert (smt.kind, smt.from_, smt.to) == ("smt", "2020-04-28T07:00:00Z", "2020-04-30T07:00:00Z")
    assert smt.generated_at == "2020-05-01T12:00:00Z"  # built after the period ...
    assert smt.counts_at == "2020-04-30T07:00:00Z"  # ... so open and overdue are as at its end
    assert smt.slot == "2020-04-30T07:00:00Z"
    assert smt.council == "Example Council Children's Services"
    assert smt.programmes == ["COVID-19, Virtual Contacts and Management Oversight (version 1)"]


def test_totals(smt):
    t = smt.totals
    # A2 (on the start), A3 and A5; A4 was submitted exactly on the end and is the next report's.
    assert (t.audits, t.all_met, t.all_met_pct) == (3, 1, 33.3)
    # met 4 + 5 + 2 of rated 6 + 5 + 5: the two not applicable ratings are left out
    assert (t.standards_met, t.standards_rated, t.standards_met_pct) == (11, 16, 68.8)
    assert (t.actions_raised, t.actions_completed) == (3, 1)
    # As at Thu 08:00: a1w (closed only on Fri; its due date then was the new one, 5 May),
    # a2w, a0w (overdue), a0bm, a5w (overdue: due 29 Apr until a review on Thu afternoon), a5m.
    assert (t.actions_open, t.actions_overdue) == (6, 2)
    # a0w's review fell due on 28 Apr (overdue), a0bm's at 07:00Z on the day itself (due, not overdue).
    assert (t.reviews_due, t.reviews_overdue) == (2, 1)
    assert (t.escalations_open, t.escalations_overdue) == (3, 1)
    assert (t.escalations_manager, t.escalations_head_of_service, t.escalations_raised) == (2, 1, 2)
    assert t.open_queries == 1  # A2's query (resolved on Fri); A5's was resolved at once


def test_standards_with_not_applicable_left_out_of_the_percentage(smt):
    got = {s.id: (s.met, s.partly_met, s.not_met, s.not_applicable, s.rated, s.met_pct) for s in smt.standards}
    assert list(got) == rd.STANDARDS  # the programme's order
    assert got == {
        "covid_note": (2, 0, 1, 0, 3, 66.7),
        "virtual_contact": (1, 1, 1, 0, 3, 33.3),
        "oversight_current": (1, 1, 0, 1, 2, 50.0),
        "oversight_virtual": (3, 0, 0, 0, 3, 100.0),
        "oversight_partners": (1, 0, 1, 1, 2, 50.0),
        "oversight_contact_level": (3, 0, 0, 0, 3, 100.0),
    }
    assert smt.standards[0].title.startswith("A COVID-19 case note is on the child's record")


def test_themes_are_the_standards_most_often_not_met(smt):
    assert [(th.id, th.not_met, th.partly_met, th.rated, th.not_met_pct) for th in smt.themes] == [
        ("virtual_contact", 1, 1, 3, 33.3),
        ("covid_note", 1, 0, 3, 33.3),
        ("oversight_partners", 1, 0, 2, 50.0),
        ("oversight_current", 0, 1, 2, 0.0),
    ]


def _fig(f):
    return (f.audits, f.all_met, f.standards_met, f.standards_rated, f.standards_met_pct,
            f.actions_open, f.actions_overdue, f.escalations_open)


def test_by_team_and_worker(smt):
    teams = {t.team: t for t in smt.teams}
    assert list(teams) == ["Team A", "Team B"]
    assert _fig(teams["Team A"]) == (2, 1, 9, 11, 81.8, 3, 1, 2)
    assert _fig(teams["Team B"]) == (1, 0, 2, 5, 40.0, 3, 1, 1)
    assert [(w.worker, w.name, _fig(w)) for w in teams["Team A"].workers] == [
        ("w1", "Wendy Worker", (1, 0, 4, 6, 66.7, 2, 0, 2)),
        ("w2", "Will Second", (1, 1, 5, 5, 100.0, 1, 1, 0)),
    ]
    assert [(w.worker, _fig(w)) for w in teams["Team B"].workers] == [("w3", (1, 0, 2, 5, 40.0, 3, 1, 1))]
    assert teams["Team A"].all_met_pct == 50.0 and teams["Team B"].all_met_pct == 0.0


def test_escalations_as_at_the_end_of_the_period(smt, history):
    e = history.escalations
    got = [(x.escalation_id, x.child, x.team, x.level, x.respond_by, x.overdue, x.status, x.raised_in_period)
           for x in smt.escalations]
    assert got == [
        # Referred to the Head of Service only on Fri: with the manager then, past its respond-by.
        (e["E1"], "C1 (A.E.)", "Team A", "manager", "2020-04-28T10:00:00Z", True, "open", False),
        (e["E2"], "C2 (B.S.)", "Team A", "head_of_service", "2020-05-01T09:00:00Z", False, "open", True),
        # Responded on Wed, closed only on Thu afternoon: responded, still open, at Thu 08:00.
        (e["E3"], "C5 (E.P.)", "Team B", "manager", "2020-04-30T13:00:00Z", False, "responded", True),
    ]
    assert e["E4"] not in {x.escalation_id for x in smt.escalations}  # closed before the period


def test_children_by_id_and_initials_unless_full_names(ctx, history):
    report = compose_report(ctx, "smt", rd.PERIOD)
    text = report.model_dump_json()
    assert not any(name in text for name in rd.NAMES.values()) and "C1 (A.E.)" in text
    ctx.settings.notify.full_names = True
    assert compose_report(ctx, "smt", rd.PERIOD).escalations[0].child == "Alex Example (C1)"


def test_sample_progress_counts_audits_by_auditor(smt):
    assert smt.samples.model_dump() == {"drawn": 0, "audited": 3, "outstanding": 0, "by_auditor": [
        {"auditor": "aud1", "name": "Ann Auditor", "drawn": 0, "audited": 3, "outstanding": 0}]}


def test_an_audit_on_a_slot_boundary_is_in_exactly_one_report(ctx, history):
    rs = ctx.settings.reports
    before = compose_report(ctx, "smt", slot_period(rs, "smt", rd.START))
    assert before.from_ == iso(previous_slot(rs, "smt", rd.START)) == "2020-04-23T07:00:00Z"
    after = compose_report(ctx, "smt", Period(rd.END, datetime(2020, 5, 5, 7, 0, tzinfo=UTC)))
    # A1 before; A2 (submitted at the start) in this one only; A4 (at the end) in the next only.
    assert [compose_report(ctx, "smt", p).totals.audits for p in (slot_period(rs, "smt", rd.START), rd.PERIOD)] \
        == [1, 3]
    assert before.totals.audits == 1 and after.totals.audits == 1
    assert {w.worker for t in before.teams for w in t.workers if w.audits} == {"w1"}
    assert {w.worker for t in after.teams for w in t.workers if w.audits} == {"w3"}


def test_weekly_report_trend(ctx, history):
    ctx.clock.set(datetime(2020, 5, 4, 9, 0, tzinfo=UTC))  # Monday: the last complete week is 27 Apr - 3 May
    weekly = build_report(as_user(ctx, "dir1"), "weekly")
    assert (weekly.from_, weekly.to) == ("2020-04-26T23:00:00Z", "2020-05-03T23:00:00Z")
    assert weekly.by_worker is False and all(t.workers == [] for t in weekly.teams)
    assert weekly.samples is None
    t = weekly.totals
    assert (t.audits, t.all_met, t.standards_met, t.standards_rated) == (5, 3, 23, 28)
    weeks = [(w.week_start, w.audits, w.all_met, w.standards_met_pct, w.actions_overdue, w.escalations_raised)
             for w in weekly.weeks]
    assert weeks == [
        ("2020-03-02", 0, 0, None, 0, 0),
        ("2020-03-09", 0, 0, None, 0, 0),
        ("2020-03-16", 0, 0, None, 0, 0),
        ("2020-03-23", 0, 0, None, 0, 0),  # the clocks went forward on Sun 29 Mar: a 167-hour week
        ("2020-03-30", 0, 0, None, 0, 0),
        ("2020-04-06", 0, 0, None, 0, 0),
        ("2020-04-13", 2, 2, 100.0, 0, 0),
        ("2020-04-20", 0, 0, None, 1, 1),  # a0w overdue as at Mon 27 Apr 00:00; E4 raised on the 20th
        ("2020-04-27", 5, 3, 82.1, 2, 4),  # a0w and a0bm; a5w's new due date (7 May) holds
    ]
    assert weekly.weeks[3].from_ == "2020-03-23T00:00:00Z" and weekly.weeks[3].to == "2020-03-29T23:00:00Z"


def test_weekly_by_worker_when_configured(ctx, history):
    ctx.settings.reports.weekly_by_worker = True
    weekly = compose_report(ctx, "weekly", Period(rd.START, rd.END))
    assert [w.worker for w in weekly.teams[0].workers] == ["w1", "w2"]


def test_an_empty_period_has_no_percentages(ctx, history):
    report = compose_report(ctx, "smt", Period(datetime(2019, 1, 1, tzinfo=UTC), datetime(2019, 1, 2, tzinfo=UTC)))
    assert (report.totals.audits, report.totals.standards_met_pct, report.totals.all_met_pct) == (0, None, None)
    assert [s.met_pct for s in report.standards] == [None] * 6  # still listed, from the programme
    assert report.teams == [] and report.escalations == [] and report.themes == []


@pytest.mark.parametrize("login", ["w1", "m1", "nobody"])
def test_workers_and_managers_are_refused(ctx, history, login):
    with pytest.raises(PermissionDenied) as err:
        build_report(as_user(ctx, login), "smt", rd.PERIOD)
    assert "SMT report" in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("login", ["aud1", "pdt1", "admin1", "smt1", "dir1", "hos1"])
def test_who_may_see_reports(ctx, history, login):
    assert build_report(as_user(ctx, login), "weekly").kind == "weekly"


@pytest.mark.parametrize("start", ["2020-01-01T00:00:00Z", "2020-04-29T00:00:00Z"])
def test_the_summaries_give_the_figures_the_ratings_give(ctx, history, start):
    """The figures read from the audits' summaries (m009) and ratings by time are those
    counted from every audit's ratings, period long or short (formerly: a period of most
    audits read in id order gave the figures the period read by time gave)."""
    from test_audit_summaries import groups_from_ratings, standards_from_ratings

    from core.store import reports as q

    end = iso(rd.BUILT)
    by_summary = q.audit_groups(ctx.store, start, end)
    assert sorted(map(_items, by_summary)) == sorted(map(_items, groups_from_ratings(ctx.store, start, end)))
    assert q.standard_counts(ctx.store, start, end) == standards_from_ratings(ctx.store, start, end)
    assert by_summary  # there were audits to count


def _items(row: dict) -> tuple:
    return tuple(sorted(row.items()))
