"""Report periods and slots in London time: Tue/Thu, the weekly day, the clock changes,
dates (whole London days, inclusive) and ISO instants (exact, half-open)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.clock import LONDON, iso, local
from core.config import ReportSettings, Settings
from core.errors import StateError
from core.reports.periods import (
    default_period,
    latest_slot,
    next_slot,
    parse_period,
    previous_slot,
    slot_period,
    slots_between,
    week_start,
)

RS = ReportSettings()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON).astimezone(UTC)


def test_defaults():
    assert (RS.smt_days, RS.smt_time, RS.weekly_day, RS.weekly_time, RS.week_starts, RS.trend_weeks) == (
        ["tue", "thu"], "08:00", "mon", "08:00", "mon", 8)
    assert RS.weekly_by_worker is False and RS.scheduled is True


def test_config_takes_day_names_and_refuses_nonsense():
    rs = Settings(reports={"smt_days": ["Thursday", "mon"], "smt_time": "7:30", "weekly_day": "FRI"}).reports
    assert (rs.smt_days, rs.smt_time, rs.weekly_day) == (["mon", "thu"], "07:30", "fri")
    for bad in ({"smt_days": ["tues"]}, {"smt_time": "25:00"}, {"smt_time": "8am"}, {"smt_days": []},
                {"trend_weeks": 0}):
        with pytest.raises(ValueError):
            Settings(reports=bad)


def test_smt_slots_are_tuesday_and_thursday_at_eight_london():
    # Wed 29 Apr 2020 (BST): the latest slot is Tue 08:00 BST = 07:00Z
    assert latest_slot(RS, "smt", utc(2020, 4, 29, 12)) == utc(2020, 4, 28, 7)
    assert next_slot(RS, "smt", utc(2020, 4, 28, 7)) == utc(2020, 4, 30, 7)
    assert next_slot(RS, "smt", utc(2020, 4, 30, 7)) == utc(2020, 5, 5, 7)  # Thu -> next Tue
    assert previous_slot(RS, "smt", utc(2020, 4, 28, 7)) == utc(2020, 4, 23, 7)
    # A slot is its own latest slot; a second before it, the one before is.
    assert latest_slot(RS, "smt", utc(2020, 4, 28, 7)) == utc(2020, 4, 28, 7)
    assert latest_slot(RS, "smt", utc(2020, 4, 28, 6, 59, 59)) == utc(2020, 4, 23, 7)


def test_weekly_slot_is_monday_at_eight():
    assert latest_slot(RS, "weekly", utc(2020, 4, 29, 12)) == utc(2020, 4, 27, 7)
    assert previous_slot(RS, "weekly", utc(2020, 4, 27, 7)) == utc(2020, 4, 20, 7)
    rs = ReportSettings(weekly_day="fri", weekly_time="16:30")
    assert latest_slot(rs, "weekly", utc(2020, 4, 29, 12)) == london(2020, 4, 24, 16, 30)


def test_slots_stay_at_eight_london_across_the_clock_changes():
    # Clocks go forward Sun 29 Mar 2020 and back Sun 25 Oct 2020.
    assert previous_slot(RS, "smt", utc(2020, 3, 31, 7)) == utc(2020, 3, 26, 8)  # GMT, then BST
    assert next_slot(RS, "smt", utc(2020, 10, 22, 7)) == utc(2020, 10, 27, 8)  # BST, then GMT
    # The SMT report over the spring change covers 119 real hours (Thu 08:00 -> Tue 08:00).
    p = slot_period(RS, "smt", utc(2020, 3, 31, 7))
    assert (p.start, p.end) == (utc(2020, 3, 26, 8), utc(2020, 3, 31, 7))
    assert p.end - p.start == timedelta(hours=119)
    # The weekly report's week is seven London days: 167 hours in spring, 169 in autumn.
    spring = slot_period(RS, "weekly", utc(2020, 3, 30, 7))
    assert (spring.start, spring.end) == (utc(2020, 3, 23, 0), utc(2020, 3, 29, 23))
    autumn = slot_period(RS, "weekly", utc(2020, 10, 26, 8))
    assert autumn.end - autumn.start == timedelta(hours=169)


def test_a_slot_the_clocks_skip_or_repeat_is_one_instant():
    rs = ReportSettings(smt_days=["sun"], smt_time="01:30")
    # 01:30 does not happen on 29 Mar 2020 (01:00 GMT -> 02:00 BST): read as 01:30 GMT = 02:30 BST.
    assert latest_slot(rs, "smt", utc(2020, 3, 29, 12)) == utc(2020, 3, 29, 1, 30)
    # 01:30 happens twice on 25 Oct 2020: the first (BST, 00:30Z).
    assert latest_slot(rs, "smt", utc(2020, 10, 25, 12)) == utc(2020, 10, 25, 0, 30)


def test_slots_between():
    got = slots_between(RS, "smt", utc(2020, 4, 21, 7), utc(2020, 5, 5, 7))
    assert got == [utc(2020, 4, 23, 7), utc(2020, 4, 28, 7), utc(2020, 4, 30, 7)]
    assert slots_between(RS, "smt", utc(2020, 4, 28, 7), utc(2020, 4, 30, 7)) == []


def test_default_periods():
    now = utc(2020, 4, 29, 12)  # Wed
    smt = default_period(RS, "smt", now)
    assert (smt.start, smt.end, smt.slot) == (utc(2020, 4, 28, 7), now, None)  # the next report so far
    weekly = default_period(RS, "weekly", now)  # the last complete week: Mon 20 - Sun 26 Apr
    assert (weekly.start, weekly.end) == (london(2020, 4, 20), london(2020, 4, 27))
    assert weekly.whole_days
    # On a Monday before the slot the last complete week is still the one just ended.
    assert default_period(RS, "weekly", london(2020, 4, 27, 0, 0, 1)).start == london(2020, 4, 20)
    assert week_start(ReportSettings(week_starts="sun"), now) == london(2020, 4, 26)


def test_scheduled_periods_run_from_the_previous_slot():
    thu = slot_period(RS, "smt", utc(2020, 4, 30, 7))
    assert (thu.start, thu.end, thu.slot) == (utc(2020, 4, 28, 7), utc(2020, 4, 30, 7), utc(2020, 4, 30, 7))
    tue = slot_period(RS, "smt", utc(2020, 5, 5, 7))
    assert tue.start == thu.end  # consecutive reports meet exactly: no gap, no overlap
    wk = slot_period(RS, "weekly", utc(2020, 4, 27, 7))
    assert (wk.start, wk.end) == (london(2020, 4, 20), london(2020, 4, 27))


def test_dates_are_whole_london_days_both_inclusive():
    p = parse_period(RS, "smt", "2020-04-20", "2020-04-26", utc(2020, 5, 1))
    assert (iso(p.start), iso(p.end)) == ("2020-04-19T23:00:00Z", "2020-04-26T23:00:00Z")
    one_day = parse_period(RS, "smt", "2020-01-15", "2020-01-15", utc(2020, 5, 1))
    assert (iso(one_day.start), iso(one_day.end)) == ("2020-01-15T00:00:00Z", "2020-01-16T00:00:00Z")


def test_iso_instants_are_exact_and_half_open():
    p = parse_period(RS, "smt", "2020-04-28T08:00", "2020-04-30T08:00+01:00", utc(2020, 5, 1))
    assert (iso(p.start), iso(p.end)) == ("2020-04-28T07:00:00Z", "2020-04-30T07:00:00Z")  # London wall time
    z = parse_period(RS, "smt", "2020-04-28T07:00:00Z", None, utc(2020, 5, 1))
    assert (iso(z.start), iso(z.end)) == ("2020-04-28T07:00:00Z", "2020-05-01T00:00:00Z")  # from alone: to now


@pytest.mark.parametrize("start,end,message", [
    ("2020-04-30", "2020-04-28", "is not before its end"),
    ("2020-04-28T10:00", "2020-04-28T10:00", "is not before its end"),
    ("yesterday", None, "from 'yesterday' is not a date"),
    ("2020-04-28", "soon", "to 'soon' is not a date"),
    (None, "2020-04-28", "needs its start"),
])
def test_bad_periods_are_one_line_refusals(start, end, message):
    with pytest.raises(StateError) as err:
        parse_period(RS, "smt", start, end, utc(2020, 5, 1))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_unknown_kind():
    with pytest.raises(StateError, match="no report kind 'monthly'"):
        default_period(RS, "monthly", utc(2020, 5, 1))


instants = st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2031, 12, 31),  # noqa: DTZ001
                        timezones=st.just(UTC))
day_sets = st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=1,
                    max_size=7, unique=True)
times = st.tuples(st.integers(0, 23), st.integers(0, 59)).map(lambda hm: f"{hm[0]:02d}:{hm[1]:02d}")


@settings(max_examples=300, deadline=None)
@given(at=instants, days=day_sets, hhmm=times)
def test_slots_partition_time(at, days, hhmm):
    """Every instant is in exactly one SMT period: latest slot <= at < the next slot; slots
    fall on the configured days at the configured London time (or, for a time the clocks
    skip, an hour later); the previous of the next is the slot itself."""
    rs = ReportSettings(smt_days=days, smt_time=hhmm)
    slot = latest_slot(rs, "smt", at)
    following = next_slot(rs, "smt", slot)
    assert slot <= at < following
    assert previous_slot(rs, "smt", following) == slot
    assert local(slot).strftime("%a").lower() in days
    wall = local(slot).strftime("%H:%M")
    hh, mm = (int(x) for x in hhmm.split(":"))
    skipped = f"{(hh + 1) % 24:02d}:{mm:02d}"
    assert wall in (hhmm, skipped)
    p = slot_period(rs, "smt", following)
    assert p.start <= at < p.end


@settings(max_examples=200, deadline=None)
@given(at=instants, first=st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]))
def test_weeks_are_seven_london_days_from_midnight(at, first):
    rs = ReportSettings(week_starts=first)
    start = week_start(rs, at)
    assert start <= at
    assert local(start).strftime("%a").lower() == first and local(start).strftime("%H:%M") == "00:00"
    week = default_period(rs, "weekly", at)
    assert week.end == start and week.end - week.start in (timedelta(hours=167), timedelta(hours=168),
                                                           timedelta(hours=169))
