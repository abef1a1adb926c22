"""Policy version 2 through the cache: checks that could not verify lock
nobody, a lock never stops a matching code, back-dating never lifts a lock,
call times are bounded, a self-answered callback never verifies, and a call
log is accepted only from who may attest it."""

import json
import uuid
from contextlib import ExitStack, closing
from datetime import date, timedelta
from pathlib import Path

import pytest

from console.core.attest import NotAttested
from console.core.calls import validate_call_record
from console.core.policy import CallerClaim
from console.core.records import POSSESSION_UNLOCK
from console.core.timeutil import now
from console.store.cache import Cache

PASSWORD = "correct horse battery"
POTAE = dict(family_name="Pōtae", given_name="Wiremu", date_of_birth=date(1944, 12, 24))
GUESSING = dict(phone="021 999 8888", email="guess@example.com")  # valid forms, not his: could verify, fails
KNOWLEDGE = dict(nhi="ZAC5361", phone="09 401 7777")
CODE = dict(code="BILL-2024")


def check(cache, at=None, **given):
    return cache.verify_caller(CallerClaim(**(POTAE | given)), at)


def attempts(cache) -> int:
    return cache.db.execute("SELECT count(*) FROM failed_attempts WHERE cleared_by IS NULL").fetchone()[0]


def lock(cache, at=None):
    for _ in range(3):
        assert check(cache, at, **GUESSING).decision.reason == "insufficient"


# could verify


@pytest.mark.parametrize("partial", [
    {}, {"nhi": "ZAC5361"}, {"phone": "09 401 7777"}, {"nhi": "ZAC5362", "phone": "09 401 7777"},
    {"phone": "021 12", "email": "guess@example.com"}, {"email": " ", "nhi": "ZAC5361"},
])
def test_three_partial_checks_never_lock_anyone(sample_cache, partial):
    for _ in range(3):
        assert check(sample_cache, **partial).decision.reason == "insufficient"
    assert attempts(sample_cache) == 0
    assert sample_cache.db.execute("SELECT count(*) FROM outbox WHERE kind = 'attempt'").fetchone()[0] == 0
    assert check(sample_cache, **KNOWLEDGE).decision.verified
    audit = [json.loads(d) for (d,) in sample_cache.db.execute(
        "SELECT detail FROM audit WHERE kind = 'verification' ORDER BY seq")]
    assert [(a["could_verify"], a["failed_attempt"]) for a in audit[:3]] == [(False, False)] * 3


def test_three_checks_that_could_verify_and_fail_lock(sample_cache):
    lock(sample_cache)
    assert attempts(sample_cache) == 3
    assert check(sample_cache, **KNOWLEDGE).decision.reason == "locked"


# a lock and the code


def test_a_lock_stops_knowledge_but_never_a_matching_code_which_clears_the_attempts(sample_cache):
    lock(sample_cache)
    assert check(sample_cache, **KNOWLEDGE).decision.reason == "locked"
    verified = check(sample_cache, **CODE)
    assert verified.decision.verified and verified.as_json()["assurance"] == "possession"
    assert attempts(sample_cache) == 0
    (unlock,) = sample_cache.db.execute("SELECT person_id, operator, reason FROM unlocks").fetchall()
    assert unlock == ("S0008", "op-test", POSSESSION_UNLOCK)
    queued = json.loads(sample_cache.db.execute("SELECT body FROM outbox WHERE kind = 'unlock'").fetchone()[0])
    assert queued["reason"] == POSSESSION_UNLOCK and queued["person_id"] == "S0008"  # it syncs like an unlock
    assert check(sample_cache, **KNOWLEDGE).decision.verified
    # a code with nothing to clear records no unlock
    check(sample_cache, **CODE)
    assert sample_cache.db.execute("SELECT count(*) FROM unlocks").fetchone()[0] == 1


# back-dating and call times


def test_back_dating_a_check_never_lifts_a_lock(sample_cache):
    lock(sample_cache)
    two_days_ago = now() - timedelta(days=2)
    assert check(sample_cache, two_days_ago, **KNOWLEDGE).decision.reason == "locked"
    assert check(sample_cache, now() - timedelta(minutes=30), **KNOWLEDGE).decision.reason == "locked"


def test_a_lock_at_the_time_of_the_call_holds_when_it_is_entered_later(sample_cache):
    call_time = now() - timedelta(days=3)
    lock(sample_cache, call_time)
    assert check(sample_cache, call_time + timedelta(minutes=5), **KNOWLEDGE).decision.reason == "locked"
    assert check(sample_cache, **KNOWLEDGE).decision.verified  # three days later the window has passed


def test_a_call_later_than_the_clock_by_more_than_five_minutes_is_refused(sample_cache):
    assert check(sample_cache, now() + timedelta(minutes=4), **KNOWLEDGE).decision.verified
    with pytest.raises(NotAttested, match="in the future"):
        check(sample_cache, now() + timedelta(minutes=6), **KNOWLEDGE)


# with accounts


@pytest.fixture(scope="module")
def accounts(tmp_path_factory, module_keystore):
    """One cache with an admin, two operators and two supervisors (argon2 is slow on purpose)."""
    path = tmp_path_factory.mktemp("policy-v2") / "c.db"
    with closing(Cache.open(path)) as cache:
        cache.import_register(Path(__file__).resolve().parents[2] / "resources" / "sample-register")
        for who, role in (("admin-1", "admin"), ("op-1", "operator"), ("op-2", "operator"),
                          ("sup-1", "supervisor"), ("sup-2", "supervisor")):
            cache.add_operator(who, role, PASSWORD)
    return path


@pytest.fixture
def signed_in(accounts):
    """sign_in(who): the cache opened and signed in as `who`, closed after the test."""
    with ExitStack() as opened:
        def sign_in(who):
            cache = opened.enter_context(closing(Cache.open(accounts)))
            cache.sign_in(who, PASSWORD)
            return cache

        yield sign_in


def test_a_check_more_than_12_hours_past_needs_a_supervisor(signed_in):
    yesterday = now() - timedelta(hours=13)
    with pytest.raises(NotAttested, match="only a supervisor"):
        check(signed_in("op-1"), yesterday, family_name="Nobody")
    assert check(signed_in("op-1"), now() - timedelta(hours=11), family_name="Nobody").decision.reason == "no_match"
    assert check(signed_in("sup-1"), yesterday, family_name="Nobody").decision.reason == "no_match"


def test_a_self_answered_callback_never_verifies_until_another_supervisor_countersigns(signed_in):
    from console.store.callbacks import CallbackError

    op, sup = signed_in("op-1"), signed_in("sup-1")
    booked = op.book_callback(CallerClaim(**POTAE))
    with pytest.raises(CallbackError, match="not an open callback assigned to you"):
        op.complete_callback(booked["callback_id"], "answered")
    sup.assign_callback(booked["callback_id"], "op-1")
    op.complete_callback(booked["callback_id"], "answered")
    persons = op.answered_callback_persons(booked["callback_id"])
    assert persons == frozenset()
    assert not check(op).decision.verified
    with pytest.raises(Exception, match="assign callback"):
        op.countersign_callback(booked["callback_id"])
    sup.countersign_callback(booked["callback_id"])
    persons = op.answered_callback_persons(booked["callback_id"])
    verified = op.verify_caller(CallerClaim(**POTAE), callback_person_ids=persons)
    assert verified.decision.verified and verified.decision.assurance == "possession"


def test_a_supervisor_may_not_countersign_a_callback_they_placed(signed_in):
    from console.store.callbacks import CallbackError

    sup = signed_in("sup-1")
    booked = sup.book_callback(CallerClaim(**POTAE))
    sup.complete_callback(booked["callback_id"], "answered")
    with pytest.raises(CallbackError, match="they placed themselves"):
        sup.countersign_callback(booked["callback_id"])
    assert signed_in("sup-2").countersign_callback(booked["callback_id"])["countersigned_by"] == "sup-2"


def call(operator, **changes):
    at = now().isoformat(timespec="seconds")
    return validate_call_record({
        "call_id": str(uuid.uuid4()), "started_at": at, "ended_at": at, "operator": operator,
        "caller_type": "patient", "person_id": None, "verification": "not_verified", "assurance": None,
        "disclosed_status": None, "guidance_delivered": [], "topics": [], "flags": [], "outcome": "resolved",
        "region": None, "notes": None, **changes})


def test_a_call_credited_to_someone_else_is_refused_except_from_a_supervisor_who_is_recorded(signed_in):
    op = signed_in("op-1")
    with pytest.raises(NotAttested, match="credited to op-2"):
        op.log_calls([call("op-2")])
    sup = signed_in("sup-1")
    record = call("op-2")
    assert sup.log_calls([record]) == [True]
    detail = json.loads(sup.db.execute("SELECT detail FROM audit WHERE kind = 'call_saved' ORDER BY seq DESC").fetchone()[0])
    assert (detail["entered_by"], detail["call_operator"]) == ("sup-1", "op-2")


def test_a_verified_call_needs_a_verification_of_that_person_by_that_operator_during_the_call(signed_in):
    op = signed_in("op-2")
    verified = dict(person_id="S0001", verification="verified", assurance="possession", disclosed_status="affected")
    with pytest.raises(NotAttested, match="no check by op-2 verified S0001"):
        op.log_calls([call("op-2", **verified)])
    shown = op.verify_caller(CallerClaim("Ngāti-Rēhia", "Hine", date(1968, 2, 29), code="7QF2-M9DA"))
    assert shown.decision.verified and shown.decision.person.person_id == "S0001"
    with pytest.raises(NotAttested, match="no check by op-2"):
        op.log_calls([call("op-2", **(verified | {"assurance": "knowledge"}))])  # not what the check gave
    two_hours_ago = (now() - timedelta(hours=2)).isoformat(timespec="seconds")
    with pytest.raises(NotAttested, match="no check by op-2"):  # a call that was over before the check
        op.log_calls([call("op-2", **verified, started_at=two_hours_ago, ended_at=two_hours_ago)])
    assert op.log_calls([call("op-2", **verified)]) == [True]
    # a supervisor entering it for op-2 from paper needs op-2's check too, not their own word
    assert signed_in("sup-2").log_calls([call("op-2", **verified)]) == [True]
    with pytest.raises(NotAttested, match="no check by op-1"):
        signed_in("sup-2").log_calls([call("op-1", **verified)])


def test_a_call_about_nobody_in_the_register_or_in_the_future_is_refused(signed_in):
    op = signed_in("op-1")
    with pytest.raises(NotAttested, match="not in the register"):
        op.log_calls([call("op-1", person_id="NOBODY-1")])
    later = (now() + timedelta(minutes=10)).isoformat(timespec="seconds")
    with pytest.raises(NotAttested, match="in the future"):
        op.log_calls([call("op-1", started_at=later, ended_at=later)])
    old = (now() - timedelta(hours=13)).isoformat(timespec="seconds")
    with pytest.raises(NotAttested, match="only a supervisor"):
        op.log_calls([call("op-1", started_at=old, ended_at=old)])
    assert signed_in("sup-1").log_calls([call("sup-1", started_at=old, ended_at=old)]) == [True]
    assert op.calls_not_synced() >= 0 and op.log_calls([call("op-1")]) == [True]


# what sync --status tells an operator


def test_sync_status_tells_an_operator_nothing_about_who_matched(signed_in):
    op = signed_in("op-1")
    before = op.sync_status()
    check(op, **GUESSING)  # a failed check that could verify: one attempt queued per name match
    after = op.sync_status()
    assert "attempt" not in json.dumps(after)
    assert after["outbox_by_kind"] == before["outbox_by_kind"] and after["other_waiting"]
    assert set(after) >= {"outbox_by_kind", "other_waiting", "conflicts", "other_conflicts"}
    assert "outbox" not in after and "unpushed_audit" not in after
    supervisor = signed_in("sup-1").sync_status()
    assert supervisor["outbox_by_kind"]["attempt"] >= 1 and "unpushed_audit" in supervisor
