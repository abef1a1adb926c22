"""Who may attest what (policy v2), on the pure rules the workstation and the hub share."""

from datetime import datetime, timedelta, timezone

import pytest

from console.core import attest
from console.core.records import POSSESSION_UNLOCK, lock_judged_at

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)


def test_nothing_is_dated_before_its_workstation_was_enrolled_beyond_the_clock_skew():
    assert attest.enrolment_problem(NOW - timedelta(minutes=5), NOW) is None
    assert "before its workstation was enrolled" in attest.enrolment_problem(NOW - timedelta(minutes=5, seconds=1),
                                                                             NOW)
    assert attest.enrolment_problem(NOW - timedelta(days=1), None) is None  # not enrolled: nothing to judge by


def test_a_person_of_no_register_is_named_in_the_sentence():
    assert attest.person_problem("P1", True) is None and attest.person_problem("P1", None) is None
    assert attest.person_problem("P1", False, "any register") == "The person P1 is not in any register."


def record(**changes) -> dict:
    base = {"call_id": "c-1", "started_at": "2026-12-04T11:50:00+00:00", "ended_at": "2026-12-04T11:58:00+00:00",
            "operator": "op-1", "person_id": None, "verification": "not_verified", "assurance": None}
    return base | changes


def test_times_allow_five_minutes_of_skew_and_twelve_hours_of_paper_for_a_supervisor():
    assert attest.future_problem(NOW + timedelta(minutes=5), NOW) is None
    assert "in the future" in attest.future_problem(NOW + timedelta(minutes=5, seconds=1), NOW)
    assert attest.call_time_problem(NOW - timedelta(hours=12), NOW, "operator") is None
    assert "only a supervisor" in attest.call_time_problem(NOW - timedelta(hours=12, seconds=1), NOW, "operator")
    for role in ("supervisor", "admin"):
        assert attest.call_time_problem(NOW - timedelta(days=3), NOW, role) is None
        assert "in the future" in attest.call_time_problem(NOW + timedelta(hours=1), NOW, role)


def test_a_record_credited_to_someone_else_only_from_a_supervisor():
    assert attest.author_problem("op-1", "op-1", "operator") is None
    assert "credited to op-2" in attest.author_problem("op-2", "op-1", "operator")
    assert attest.author_problem("op-2", "sup-1", "supervisor") is None
    assert attest.author_problem("op-2", None, None)


def test_a_verified_call_is_backed_only_by_that_operators_check_of_that_person_during_the_call():
    verified = record(person_id="P1", verification="verified", assurance="possession")
    check = {"operator": "op-1", "person_id": "P1", "assurance": "possession", "call_time": "2026-12-04T11:52:00+00:00"}
    assert attest.verification_backs(verified, check)
    assert attest.verification_backs(verified, check | {"call_time": "2026-12-04T11:45:00+00:00"})  # skew
    for other in ({"operator": "op-2"}, {"person_id": "P2"}, {"assurance": "knowledge"},
                  {"call_time": "2026-12-04T11:40:00+00:00"}, {"call_time": "2026-12-04T12:04:00+00:00"},
                  {"call_time": None}):
        assert not attest.verification_backs(verified, check | other)
    problems = attest.call_record_problems(verified, acting="op-1", role="operator", entered_at=NOW,
                                           person_exists=True, verifications=[check | {"person_id": "P2"}])
    assert problems == ["Call c-1: It says verified, but no check by op-1 verified P1 with possession during the "
                        "call on this workstation."]
    assert attest.call_record_problems(verified, acting="op-1", role="operator", entered_at=NOW,
                                       person_exists=True, verifications=[check]) == []
    # left to whoever can look them up
    assert attest.call_record_problems(verified, acting="op-1", role="operator", entered_at=NOW,
                                       person_exists=None, verifications=None) == []


def test_every_problem_of_a_call_is_named():
    problems = attest.call_record_problems(
        record(operator="op-2", person_id="GONE", started_at="2026-12-03T09:00:00+00:00",
               ended_at="2026-12-05T09:00:00+00:00"),
        acting="op-1", role="operator", entered_at=NOW, person_exists=False)
    assert len(problems) == 4 and all(p.startswith("Call c-1: ") for p in problems)
    with pytest.raises(attest.NotAttested) as refused:
        attest.refuse(None, *problems)
    assert refused.value.problems == problems
    attest.refuse(None, None)


def test_unlocks_and_countersignatures():
    assert attest.unlock_problem("supervisor", "anything") is None
    assert attest.unlock_problem("operator", POSSESSION_UNLOCK) is None
    assert "Only a supervisor" in attest.unlock_problem("operator", "I say so")
    assert attest.unlock_problem(None, None)
    answered = {"outcome": "answered", "completed_by": "op-1", "countersigned_by": None}
    assert attest.countersign_problem("supervisor", "sup-1", answered) is None
    assert "Only a supervisor" in attest.countersign_problem("operator", "op-2", answered)
    assert "placed themselves" in attest.countersign_problem("supervisor", "op-1", answered)
    assert "answered" in attest.countersign_problem("supervisor", "sup-1", answered | {"outcome": "no_answer"})
    assert "already" in attest.countersign_problem("supervisor", "sup-2", answered | {"countersigned_by": "sup-1"})
    assert not attest.callback_attested(answered)
    assert not attest.callback_attested(answered | {"countersigned_by": "op-1"})
    assert attest.callback_attested(answered | {"countersigned_by": "sup-1"})
    assert not attest.callback_attested(None)


def test_a_check_is_judged_at_the_time_of_the_call_and_now():
    assert lock_judged_at(NOW - timedelta(days=1), NOW) == (NOW - timedelta(days=1), NOW)
    assert lock_judged_at(NOW, NOW) == (NOW,)
