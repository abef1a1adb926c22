"""The records' rules both the workstation and the hub apply (console.core.records)."""

from datetime import datetime, timezone

from console.core.records import (
    OVERDUE_AFTER, callback_item_id, canonical, is_lockout, lockout_window, overdue_before, unlock_clearing,
    unlock_clears,
)

AT = datetime(2026, 1, 6, 9, 0, tzinfo=timezone.utc)


def test_an_unlock_clears_attempts_at_or_before_it():
    assert unlock_clears("2026-01-06T05:00:00.000000+00:00", "2026-01-06T05:00:00.000000+00:00")
    assert unlock_clears("2026-01-06T05:00:00.000000+00:00", "2026-01-06T04:59:59.999999+00:00")
    assert not unlock_clears("2026-01-06T05:00:00.000000+00:00", "2026-01-06T05:00:00.000001+00:00")


def test_the_earliest_unlock_after_an_attempt_clears_it_ties_by_unlock_id():
    attempt = "2026-01-06T04:00:00.000000+00:00"
    unlocks = [("2026-01-06T06:00:00.000000+00:00", "u-0"), ("2026-01-06T05:00:00.000000+00:00", "u-b"),
               ("2026-01-06T05:00:00.000000+00:00", "u-a"), ("2026-01-06T03:00:00.000000+00:00", "u-before")]
    assert unlock_clearing(attempt, unlocks) == "u-a"
    assert unlock_clearing(attempt, reversed(unlocks)) == "u-a"
    assert unlock_clearing(attempt, [("2026-01-06T03:00:00.000000+00:00", "u-before")]) is None
    assert unlock_clearing(attempt, []) is None


def test_lockout_window_and_threshold():
    assert lockout_window(AT) == ("2026-01-05T09:00:00.000000+00:00", "2026-01-06T09:00:00.000000+00:00")
    assert [is_lockout(n) for n in (0, 2, 3, 4)] == [False, False, True, True]


def test_a_callback_is_overdue_thirty_minutes_after_it_was_due():
    assert OVERDUE_AFTER.total_seconds() == 30 * 60
    assert overdue_before(AT) == "2026-01-06T08:30:00.000000+00:00"


def test_canonical_text_and_callback_item_ids():
    assert canonical({"b": 1, "a": "ā"}) == '{"a":"ā","b":1}'
    assert callback_item_id("cb-1", 3) == "cb-1@3"
