"""Verification through the cache: attempts, the persisted lockout, unlock,
--at, and the audit trail that holds the reason nobody else sees."""

import json
from datetime import date, datetime, timedelta, timezone

from console.core.policy import CallerClaim
from console.store.cache import Cache

NZ = timezone(timedelta(hours=13))
AT = datetime(2026, 1, 6, 9, 0, tzinfo=NZ)
POTAE = dict(family_name="Pōtae", given_name="Wiremu", date_of_birth=date(1944, 12, 24))
# two strong factors in a valid form that are not Wiremu's: a check that could verify, and fails
GUESSING = dict(phone="021 999 8888", email="guess@example.com")
KNOWLEDGE = dict(nhi="ZAC5361", phone="09 401 7777")  # what the stolen files hold of him


def attempt(cache, at=AT, **changes):
    return cache.verify_caller(CallerClaim(**(POTAE | changes)), at)


def test_three_insufficient_attempts_lock_the_person_and_persist(tmp_path, sample_register):
    cache = Cache.open(tmp_path / "c.db", operator="op-1")
    cache.import_register(sample_register)
    for minutes in (0, 10, 20):
        assert attempt(cache, AT + timedelta(minutes=minutes), **GUESSING).decision.reason == "insufficient"
    cache.close()
    cache = Cache.open(tmp_path / "c.db", operator="op-2")
    locked = attempt(cache, AT + timedelta(minutes=30), **KNOWLEDGE)
    assert (locked.decision.outcome, locked.decision.reason) == ("not_verified", "locked")
    assert locked.as_json() == {"outcome": "not_verified", "guidance": list(locked.decision.guidance)}
    cache.close()


def test_attempts_older_than_24_hours_do_not_count(sample_cache):
    for hours in (0, 1, 2):
        attempt(sample_cache, AT + timedelta(hours=hours), **GUESSING)
    assert attempt(sample_cache, AT + timedelta(hours=24, minutes=30), **KNOWLEDGE).decision.verified
    assert attempt(sample_cache, AT + timedelta(hours=23), **KNOWLEDGE).decision.reason == "locked"


def test_calls_entered_later_use_their_own_time(sample_cache):
    # three failures today do not lock a call that happened last week
    for minutes in (0, 1, 2):
        attempt(sample_cache, AT + timedelta(minutes=minutes), **GUESSING)
    assert attempt(sample_cache, AT - timedelta(days=7), **KNOWLEDGE).decision.verified


def test_unlock_clears_attempts_and_a_success_by_knowledge_does_not(sample_cache):
    attempt(sample_cache, **GUESSING)
    attempt(sample_cache, **GUESSING)
    assert attempt(sample_cache, **KNOWLEDGE).decision.verified
    attempt(sample_cache, **GUESSING)
    assert attempt(sample_cache, **KNOWLEDGE).decision.reason == "locked"
    unlock = sample_cache.unlock("S0008", reason="caller confirmed by supervisor")
    assert unlock["cleared_attempts"] == 3
    assert attempt(sample_cache, **KNOWLEDGE).decision.verified


def test_insufficient_records_an_attempt_against_every_name_match(sample_cache):
    # two Jane Smiths exist but with different dates of birth: only one matches
    verdict = sample_cache.verify_caller(CallerClaim("Smith", "Jane", date(1979, 4, 1), email="jane.smith@example.com",
                                                     phone="021 999 8888"), AT)
    assert verdict.decision.reason == "insufficient"
    rows = sample_cache.db.execute("SELECT person_id FROM failed_attempts").fetchall()
    assert rows == [("S0006",)]


def test_no_match_and_other_reasons_record_no_attempt(sample_cache):
    attempt(sample_cache, family_name="Brown")
    attempt(sample_cache, caller_type="media")
    assert sample_cache.db.execute("SELECT count(*) FROM failed_attempts").fetchone()[0] == 0


def test_every_attempt_is_audited_with_its_reason_and_no_caller_details(sample_cache):
    attempt(sample_cache)
    attempt(sample_cache, family_name="Brown")
    attempt(sample_cache, code="BILL-2024")
    rows = sample_cache.db.execute(
        "SELECT kind, person_id, detail FROM audit WHERE kind IN ('verification', 'disclosure') ORDER BY seq").fetchall()
    reasons = [(kind, json.loads(detail).get("reason")) for kind, _, detail in rows]
    assert reasons == [("verification", "insufficient"), ("verification", "no_match"),
                       ("verification", "verified"), ("disclosure", None)]
    text = " ".join(detail for _, _, detail in rows)
    for said in ("Pōtae", "Wiremu", "1944-12-24", "BILL"):
        assert said not in text


def test_verified_answer_shapes(sample_cache):
    possession = attempt(sample_cache, code="bill 2024").as_json()
    assert possession == {
        "outcome": "verified", "assurance": "possession", "person_id": "S0008", "affected_status": "affected",
        "documents": [{"category": "referral_letter", "document_date": "2019-10-10", "sensitive": False},
                      {"category": "referral_letter", "document_date": "2019-10-10", "sensitive": True}],
        "guidance": ["opening", "status-affected", "sensitive-support", "identity-protection", "password-2fa",
                     "scam-awareness", "closing"],
    }


def test_documents_with_no_date_sort_last_and_knowledge_hides_them(sample_cache):
    verdict = sample_cache.verify_caller(
        CallerClaim("O'Connor", "Patrick", date(1952, 11, 3), code="K2PX-88RT"), AT).as_json()
    assert verdict["documents"] == [{"category": "user_upload", "document_date": None, "sensitive": False}]
    knowledge = sample_cache.verify_caller(
        CallerClaim("OConnor", "paddy", date(1952, 11, 3), nhi="zzz00ax", phone="+64 27 555 0192"), AT).as_json()
    assert knowledge["assurance"] == "knowledge" and "documents" not in knowledge


def test_not_affected_person(sample_cache):
    verdict = sample_cache.verify_caller(
        CallerClaim("Chen", "Vivian", date(1985, 1, 20), code="hh4d 2z7q"), AT).as_json()
    assert verdict["affected_status"] == "not_affected"
    assert verdict["documents"] == []
    assert verdict["guidance"] == ["opening", "status-not-affected", "password-2fa", "scam-awareness", "closing"]


def test_representative_of_a_child(sample_cache):
    parent = sample_cache.verify_caller(CallerClaim(
        "Smith", "Jane", date(2012, 9, 9), code="Q9W8-E7R6", caller_type="representative", relationship="parent"), AT)
    assert parent.decision.verified
    other = sample_cache.verify_caller(CallerClaim(
        "Smith", "Jane", date(2012, 9, 9), code="Q9W8-E7R6", caller_type="representative", relationship="other"), AT)
    assert other.as_json()["outcome"] == "not_verified"
