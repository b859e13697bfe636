import datetime as dt

import pytest

from thinkfamily.core.working_days import add_working_days, is_working_day, working_days_between


def test_weekends_and_bank_holidays_are_not_working_days():
    assert is_working_day(dt.date(2026, 11, 26))  # a Thursday
    assert not is_working_day(dt.date(2026, 11, 28))  # a Saturday
    assert not is_working_day(dt.date(2026, 8, 31))  # Late Summer Bank Holiday (England)
    assert not is_working_day(dt.date(2026, 12, 28))  # Boxing Day, substitute day


def test_scottish_only_holidays_are_working_days_in_england_and_wales():
    assert is_working_day(dt.date(2026, 8, 3))  # Scotland's summer bank holiday
    assert is_working_day(dt.date(2026, 11, 30))  # St Andrew's Day


def test_adding_working_days_skips_christmas_and_the_weekend():
    assert add_working_days(dt.date(2026, 12, 24), 1) == dt.date(2026, 12, 29)
    assert add_working_days(dt.date(2026, 12, 24), 2) == dt.date(2026, 12, 30)


def test_adding_working_days_across_easter():
    # Thursday before Good Friday 2027 (26 March), Easter Monday 29 March.
    assert add_working_days(dt.date(2027, 3, 25), 1) == dt.date(2027, 3, 30)


def test_adding_zero_working_days_is_the_same_day_and_negative_is_refused():
    assert add_working_days(dt.date(2026, 11, 28), 0) == dt.date(2026, 11, 28)
    with pytest.raises(ValueError):
        add_working_days(dt.date(2026, 11, 28), -1)


def test_working_days_between_counts_after_the_start_up_to_the_end():
    assert working_days_between(dt.date(2026, 12, 24), dt.date(2026, 12, 30)) == 2
    assert working_days_between(dt.date(2026, 12, 30), dt.date(2026, 12, 24)) == 0
    start = dt.date(2026, 11, 2)
    for days in range(0, 40):
        assert working_days_between(start, add_working_days(start, days)) == days
