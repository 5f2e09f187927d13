"""Working days skip weekends and England bank holidays (Easter 2020, VE Day 8 May 2020)."""

from datetime import UTC, date, datetime

from core.config import Settings
from core.workdays import add_working_days, add_working_time, is_working_day, suggest_due


def test_easter_2020_good_friday_and_easter_monday_are_not_working_days():
    assert not is_working_day(date(2020, 4, 10))  # Good Friday
    assert not is_working_day(date(2020, 4, 13))  # Easter Monday
    assert is_working_day(date(2020, 4, 14))
    # One working day after Maundy Thursday is the Tuesday after Easter.
    assert add_working_days(date(2020, 4, 9), 1) == date(2020, 4, 14)


def test_early_may_bank_holiday_2020_moved_to_friday_8_may():
    assert not is_working_day(date(2020, 5, 8))
    assert is_working_day(date(2020, 5, 4))  # the usual first Monday was a working day in 2020
    assert add_working_days(date(2020, 5, 7), 1) == date(2020, 5, 11)


def test_weekends_are_skipped_and_negative_counts_go_back():
    assert add_working_days(date(2020, 4, 24), 1) == date(2020, 4, 27)  # Fri -> Mon
    assert add_working_days(date(2020, 4, 25), 1) == date(2020, 4, 27)  # Sat -> Mon
    assert add_working_days(date(2020, 4, 14), -1) == date(2020, 4, 9)
    assert add_working_days(date(2020, 4, 27), 0) == date(2020, 4, 27)


def test_region_matters_easter_monday_is_worked_in_scotland():
    assert is_working_day(date(2020, 4, 13), "SCT")
    assert add_working_days(date(2020, 4, 9), 1, "SCT") == date(2020, 4, 13)


def test_working_time_keeps_the_london_clock_time():
    # 16:30 London on Thu 7 May 2020 (BST) is 15:30 UTC; one working day on is Mon 11 May.
    at = datetime(2020, 5, 7, 15, 30, tzinfo=UTC)
    assert add_working_time(at, 1, "ENG") == datetime(2020, 5, 11, 15, 30, tzinfo=UTC)


def test_working_time_across_the_clock_change_keeps_wall_time():
    # Fri 27 Mar 2020 09:00 GMT; clocks went forward on Sun 29 Mar: Mon 09:00 BST is 08:00 UTC.
    at = datetime(2020, 3, 27, 9, 0, tzinfo=UTC)
    assert add_working_time(at, 1, "ENG") == datetime(2020, 3, 30, 8, 0, tzinfo=UTC)


def test_suggested_due_date_is_ten_working_days_on_by_default():
    # Mon 27 Apr 2020 + 10 working days, skipping Fri 8 May: Tue 12 May.
    assert suggest_due(date(2020, 4, 27), Settings()) == date(2020, 5, 12)
    s = Settings(workflow={"action_due_working_days": 5})
    assert suggest_due(date(2020, 4, 27), s) == date(2020, 5, 4)
