"""Every row of verification-policy.md's tables and every guidance rule,
checked on the pure policy with hand-made persons."""

from datetime import date, datetime, timezone

import pytest

from console.core.codes import hash_code
from console.core.policy import CallerClaim, Document, RegisteredPerson, decide, guidance_for

AT = datetime(2026, 1, 6, 9, 0, tzinfo=timezone.utc)

HINE = RegisteredPerson(
    "P1", "Ngāti-Rēhia", "Hine Mārama", None, "1968-02-29", "ZZZ0016", ("021 123 4567",),
    "hine@example.co.nz", hash_code("7QF2-M9DA"),
    (Document("discharge_summary", "2024-01-30", True), Document("referral_letter", "2023-04-11", False)),
)
CHILD = RegisteredPerson("P2", "Smith", "Jane", None, "2012-09-09", "ZAA0130", ("021 222 3333",), None, hash_code("Q9W8-E7R6"),
                         (Document("referral_letter", "2022-08-02", False),))
NOT_AFFECTED = RegisteredPerson("P3", "Tupou", "Sione", None, "1990-06-15", "ZAA0067", ("022 987 6543",),
                                "sione@example.com", hash_code("AB12-CD34"))
NO_DOB = RegisteredPerson("P4", "van der Merwe", "Anika", None, None, "ZHW58CN", ("027 000 1111",), "anika@example.net", hash_code("ZZ11-AA22"))


def claim(person, **changes):
    base = dict(family_name=person.family_name, given_name=person.given_names.split()[0],
                date_of_birth=date.fromisoformat(person.date_of_birth) if person.date_of_birth else None)
    base.update(changes)
    return CallerClaim(**base)


def never_locked(_):
    return False


def test_verified_by_possession_discloses_documents_sorted():
    d = decide(claim(HINE, code="7qf2 m9da"), [HINE], AT, never_locked)
    assert (d.outcome, d.reason, d.assurance) == ("verified", "verified", "possession")
    assert [doc.document_date for doc in d.documents] == ["2023-04-11", "2024-01-30"]
    assert d.affected_status == "affected"


def test_verified_by_knowledge_needs_two_different_strong_factors():
    d = decide(claim(HINE, nhi="zzz 0016", phone="+64 21 123 4567"), [HINE], AT, never_locked)
    assert (d.outcome, d.assurance) == ("verified", "knowledge")
    assert d.documents is None  # knowledge alone earns the status only
    one = decide(claim(HINE, nhi="ZZZ0016"), [HINE], AT, never_locked)
    assert (one.outcome, one.reason) == ("not_verified", "insufficient")
    assert one.name_matches == ("P1",)


def test_a_wrong_factor_does_not_block_when_others_confirm():
    d = decide(claim(HINE, nhi="ZZZ0016", email=" HINE@example.co.nz ", phone="021 999 9999"), [HINE], AT, never_locked)
    assert d.verified and d.assurance == "knowledge"


def test_invalid_nhi_never_matches_even_if_equal():
    person = RegisteredPerson("P9", "Lee", "Ann", None, "1970-01-01", "ZZZ0017", (), "ann@example.com", None)
    d = decide(claim(person, nhi="ZZZ0017", email="ann@example.com"), [person], AT, never_locked)
    assert d.reason == "insufficient"


def test_invalid_phone_numbers_never_match():
    person = RegisteredPerson("P9", "Lee", "Ann", None, "1970-01-01", None, ("not a number", "021 12"), "ann@example.com", None)
    d = decide(claim(person, phone="021 12", email="ann@example.com"), [person], AT, never_locked)
    assert d.reason == "insufficient"


def test_possession_and_knowledge_counts_once_by_possession():
    d = decide(claim(HINE, code="7QF2M9DA", nhi="ZZZ0016", phone="0211234567"), [HINE], AT, never_locked)
    assert d.assurance == "possession"


def test_a_lock_stops_knowledge_and_callback():
    for d in (decide(claim(HINE, nhi="ZZZ0016", phone="021 123 4567"), [HINE], AT, lambda pid: pid == "P1"),
              decide(claim(HINE), [HINE], AT, lambda pid: pid == "P1", callback_person_ids=frozenset({"P1"}))):
        assert (d.outcome, d.reason) == ("not_verified", "locked")
        assert d.affected_status is None and d.documents is None
        assert not d.records_attempt and not d.clears_attempts


def test_a_lock_never_stops_a_matching_code_and_possession_clears_the_attempts():
    d = decide(claim(HINE, code="7QF2-M9DA"), [HINE], AT, lambda pid: pid == "P1")
    assert (d.outcome, d.assurance, d.route) == ("verified", "possession", "code")
    assert d.clears_attempts
    by_callback = decide(claim(HINE), [HINE], AT, never_locked, callback_person_ids=frozenset({"P1"}))
    assert by_callback.verified and by_callback.route == "callback" and not by_callback.clears_attempts
    knowledge = decide(claim(HINE, nhi="ZZZ0016", phone="021 123 4567"), [HINE], AT, never_locked)
    assert knowledge.verified and not knowledge.clears_attempts


@pytest.mark.parametrize("changes, possible", [
    ({}, False),  # name and date of birth only: what the stolen letters hold
    ({"nhi": "ZZZ0016"}, False),  # one strong factor
    ({"nhi": "ZZZ0017", "phone": "021 123 4567"}, False),  # an NHI whose check character is wrong
    ({"nhi": "ZZZ0016", "phone": "021 12"}, False),  # a phone that does not parse as valid
    ({"nhi": "ZZZ0016", "email": "   "}, False),  # an empty email
    ({"phone": "021 123 4567", "email": "x@example.com"}, True),
    ({"nhi": "ZZZ0016", "phone": "+64 21 999 9999"}, True),  # valid forms, even if they do not match
    ({"code": "ANY-CODE"}, True),
    ({"code": " - "}, False),
])
def test_a_check_could_verify_only_with_a_code_or_two_valid_strong_factors(changes, possible):
    d = decide(claim(HINE, **changes), [HINE], AT, never_locked)
    assert d.could_verify is possible
    if d.reason == "insufficient":
        assert d.records_attempt is possible


def test_an_attested_callback_could_verify():
    other = RegisteredPerson("P7", HINE.family_name, "Hine", None, HINE.date_of_birth, None, (), None, None)
    d = decide(claim(HINE), [HINE], AT, never_locked, callback_person_ids=frozenset({"P7"}))
    assert (d.reason, d.could_verify, d.records_attempt) == ("insufficient", True, True)
    assert not decide(claim(other), [other], AT, never_locked).could_verify


def test_ambiguous_when_two_persons_are_confirmed():
    twin = RegisteredPerson("P5", HINE.family_name, "Hine", None, HINE.date_of_birth, None, HINE.phones,
                            HINE.email, None)
    d = decide(claim(HINE, phone="021 123 4567", email="hine@example.co.nz"), [HINE, twin], AT, never_locked)
    assert (d.outcome, d.reason) == ("not_verified", "ambiguous")
    assert set(d.name_matches) == {"P1", "P5"}


def test_code_singles_out_one_of_two_name_matches():
    twin = RegisteredPerson("P5", HINE.family_name, "Hine", None, HINE.date_of_birth, None, HINE.phones, HINE.email, None)
    d = decide(claim(HINE, code="7QF2M9DA"), [HINE, twin], AT, never_locked)
    assert d.verified and d.person.person_id == "P1"


def test_insufficient_and_no_match():
    assert decide(claim(HINE), [HINE], AT, never_locked).reason == "insufficient"
    assert decide(claim(HINE, family_name="Brown"), [HINE], AT, never_locked).reason == "no_match"
    assert decide(claim(HINE, date_of_birth=date(1968, 3, 1)), [HINE], AT, never_locked).reason == "no_match"
    assert decide(claim(HINE, given_name="Mere"), [HINE], AT, never_locked).reason == "no_match"


def test_names_tolerate_macrons_case_punctuation_and_one_typo():
    for family, given in (("ngati rehia", "HINE"), ("Ngati-Rehai", "Marama"), ("NGĀTIRĒHIA", "hine mārama")):
        d = decide(claim(HINE, family_name=family, given_name=given, code="7QF2M9DA"), [HINE], AT, never_locked)
        assert d.verified, (family, given)


def test_preferred_name_matches():
    paddy = RegisteredPerson("P6", "O'Connor", "Patrick James", "Paddy", "1952-11-03", None, (), None, hash_code("K2PX-88RT"))
    assert decide(claim(paddy, family_name="OConnor", given_name="paddy", code="k2px88rt"), [paddy], AT, never_locked).verified
    assert decide(claim(paddy, given_name="James", code="K2PX88RT"), [paddy], AT, never_locked).verified


def test_no_date_of_birth_on_file_is_never_verified():
    c = CallerClaim(family_name="van der Merwe", given_name="Anika", date_of_birth=None, code="ZZ11-AA22")
    assert decide(c, [NO_DOB], AT, never_locked).reason == "no_match"


@pytest.mark.parametrize("relationship, at, expected", [
    ("parent", datetime(2026, 1, 6, tzinfo=timezone.utc), "verified"),       # 13 years old
    ("guardian", datetime(2028, 9, 8, tzinfo=timezone.utc), "verified"),     # the day before 16
    ("parent", datetime(2028, 9, 9, tzinfo=timezone.utc), "representative_not_authorised"),  # 16 today
    ("attorney", datetime(2040, 1, 1, tzinfo=timezone.utc), "verified"),
    ("other", datetime(2026, 1, 6, tzinfo=timezone.utc), "representative_not_authorised"),
    (None, datetime(2026, 1, 6, tzinfo=timezone.utc), "representative_not_authorised"),
])
def test_representatives_by_age_on_the_date_of_the_call(relationship, at, expected):
    c = claim(CHILD, code="Q9W8E7R6", caller_type="representative", relationship=relationship)
    assert decide(c, [CHILD], at, never_locked).reason == expected


def test_age_uses_the_calls_own_local_date():
    # 2028-09-08T12:00Z is already 9 September in New Zealand: 16 there
    from datetime import timedelta

    at = datetime(2028, 9, 9, 0, 30, tzinfo=timezone(timedelta(hours=12)))
    c = claim(CHILD, code="Q9W8E7R6", caller_type="representative", relationship="parent")
    assert decide(c, [CHILD], at, never_locked).reason == "representative_not_authorised"


@pytest.mark.parametrize("caller_type", ["practice", "media", "other"])
def test_other_caller_types_are_never_verified(caller_type):
    d = decide(claim(HINE, code="7QF2M9DA", caller_type=caller_type), [HINE], AT, never_locked)
    assert (d.outcome, d.reason) == ("not_verified", "no_match")
    assert d.name_matches == ()


def test_callback_route_counts_as_possession():
    d = decide(claim(HINE), [HINE], AT, never_locked, callback_person_ids=frozenset({"P1"}))
    assert (d.outcome, d.assurance) == ("verified", "possession")


def test_not_verified_reveals_nothing_whatever_the_reason():
    outcomes = [
        decide(claim(HINE), [HINE], AT, never_locked),
        decide(claim(HINE, family_name="Brown"), [HINE], AT, never_locked),
        decide(claim(HINE, nhi="ZZZ0016", phone="021 123 4567"), [HINE], AT, lambda pid: True),
    ]
    assert {(d.outcome, d.affected_status, d.documents is None, d.guidance) for d in outcomes} == {
        ("not_verified", None, True, ("opening", "not-verified", "password-2fa", "scam-awareness", "closing"))
    }


# guidance


def test_guidance_possession_with_sensitive_file():
    assert guidance_for("verified", "possession", "affected", True) == [
        "opening", "status-affected", "sensitive-support", "identity-protection", "password-2fa", "scam-awareness", "closing"]


def test_guidance_possession_without_sensitive_file():
    assert guidance_for("verified", "possession", "affected", False) == [
        "opening", "status-affected", "identity-protection", "password-2fa", "scam-awareness", "closing"]


def test_guidance_knowledge_offers_details_and_never_sensitive_support():
    assert guidance_for("verified", "knowledge", "affected", False) == [
        "opening", "status-affected", "offer-details", "identity-protection", "password-2fa", "scam-awareness", "closing"]
    d = decide(claim(HINE, nhi="ZZZ0016", email="hine@example.co.nz"), [HINE], AT, never_locked)
    assert "sensitive-support" not in d.guidance


def test_guidance_not_affected_and_not_verified():
    assert guidance_for("verified", "knowledge", "not_affected", False) == [
        "opening", "status-not-affected", "password-2fa", "scam-awareness", "closing"]
    assert guidance_for("not_verified", None, None, False) == [
        "opening", "not-verified", "password-2fa", "scam-awareness", "closing"]


def test_guidance_flags_in_order_with_distress_after_opening():
    assert guidance_for("not_verified", None, None, False, ["complaint", "media", "extortion", "distress"]) == [
        "opening", "wellbeing-support", "not-verified", "password-2fa", "scam-awareness",
        "extortion", "media-referral", "complaint-rights", "closing"]


def test_no_script_twice():
    scripts = guidance_for("verified", "possession", "affected", True, ["distress", "distress", "extortion", "media", "complaint"])
    assert len(scripts) == len(set(scripts))


def test_the_code_is_compared_with_the_hashes_of_the_name_matches_only(monkeypatch):
    """Each comparison is a slow hash: a check costs one per name match, not per person born that day."""
    from console.core import policy

    compared = []
    real = policy.verify_code
    monkeypatch.setattr(policy, "verify_code", lambda code, code_hash: compared.append(code_hash) or real(code, code_hash))
    others = [RegisteredPerson(f"X{i}", f"Other{i}", "Someone", None, HINE.date_of_birth, None, (), None,
                               HINE.notification_code_hash) for i in range(20)]
    d = decide(claim(HINE, code="7QF2-M9DA"), [*others, HINE], AT, never_locked)
    assert d.verified and d.route == "code"
    assert compared == [HINE.notification_code_hash]
