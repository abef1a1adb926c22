"""Attested callbacks (policy v2, "Callback route"): the PBX's outbound call to
the number on file from the operator's extension, answered within the window
after the operator's dial intent, attests the callback; one rule decides."""

from datetime import datetime, timedelta, timezone

import pytest

from console.core import attest
from console.core.contact import dial_uri

AT = datetime(2026, 12, 4, 1, 0, tzinfo=timezone.utc)
NUMBER = "+6494017777"


def intent(**changes) -> dict:
    return {"callback_id": "cb-1", "operator": "op-1", "at": AT,
            "number_digest": attest.number_digest("cb-1", "09 401 7777"), **changes}


def call(**changes) -> dict:
    return {"direction": "out", "number": NUMBER, "operators": {"op-1"}, "new_at": AT + timedelta(seconds=20),
            "answer_at": AT + timedelta(seconds=31), **changes}


def test_the_digest_is_of_the_number_however_written_and_keyed_by_the_callback():
    assert attest.number_digest("cb-1", "09 401 7777") == attest.number_digest("cb-1", "+64 9 401 7777")
    assert attest.number_digest("cb-1", "09 401 7777") != attest.number_digest("cb-2", "09 401 7777")
    assert "4017777" not in attest.number_digest("cb-1", "09 401 7777")
    assert attest.number_digest("cb-1", "not a number") is None


def test_an_answered_outbound_call_to_the_number_from_the_operator_within_the_window_attests():
    assert attest.dial_attests(intent(), call())
    assert attest.dial_attests(intent(), call(number="09 401 7777"))
    assert attest.dial_attests(intent(), call(new_at=AT + attest.DIAL_WINDOW))
    assert attest.dial_attests(intent(), call(new_at=AT - attest.CLOCK_SKEW))  # the two clocks disagree a little


@pytest.mark.parametrize("changes", [
    {"direction": "in"},  # the person rang in: not a call the operator placed
    {"number": "+6494017778"},  # another number
    {"number": "anonymous"},
    {"operators": {"op-2"}},  # from another operator's extension
    {"operators": set()},  # from an extension nobody is mapped to
    {"answer_at": None},  # rang out, never answered
    {"new_at": AT + attest.DIAL_WINDOW + timedelta(seconds=1), "answer_at": AT + timedelta(minutes=11)},
    {"new_at": AT - attest.CLOCK_SKEW - timedelta(seconds=1)},
    {"new_at": None},
])
def test_anything_else_attests_nothing(changes):
    assert not attest.dial_attests(intent(), call(**changes))


def test_an_intent_for_another_number_or_with_no_digest_attests_nothing():
    assert not attest.dial_attests(intent(number_digest=attest.number_digest("cb-1", "021 555 0192")), call())
    assert not attest.dial_attests(intent(number_digest=None), call())


def test_one_rule_a_supervisors_countersign_or_the_pbx_and_never_the_operators_word_alone():
    answered = {"callback_id": "cb-1", "outcome": "answered", "completed_by": "op-1"}
    pbx = {"callback_id": "cb-1", "operator": "op-1", "pbx": "pbx-1", "call_id": "c-9",
           "answered_at": "2026-12-04T01:00:31+00:00"}
    assert not attest.callback_attested(answered)
    assert not attest.callback_attested(answered, [])
    assert attest.callback_attested(answered, [pbx])
    assert attest.callback_attested(answered | {"countersigned_by": "sup-1"}, [])
    # the PBX's answer of a call another operator placed, or of another callback, attests nothing here
    assert not attest.callback_attested(answered, [pbx | {"operator": "op-2"}])
    assert not attest.callback_attested(answered, [pbx | {"callback_id": "cb-2"}])
    # the operator said it was not answered: the PBX's answer (a voicemail?) is not a name match reached
    assert not attest.callback_attested(answered | {"outcome": "no_answer"}, [pbx])
    assert not attest.callback_attested(None, [pbx])


def test_the_softphone_gets_a_tel_or_sip_uri_of_the_number_in_e164():
    assert dial_uri("09 401 7777") == "tel:+6494017777"
    assert dial_uri("09 401 7777", "sip", "pbx.helpline.example") == "sip:+6494017777@pbx.helpline.example;user=phone"
    with pytest.raises(ValueError, match="sip_domain"):
        dial_uri("09 401 7777", "sip", "")
    with pytest.raises(ValueError, match="not a valid number"):
        dial_uri("12")
