"""Dialling a callback through the softphone, and callbacks the PBX attests
(policy v2, "Callback route"): the workstation records a dial intent (synced
to the hub) before handing the number on file over as a tel:/sip: URI; an
attestation fed back by the hub makes the answered callback verify by
possession, and nothing else does."""

import json
from datetime import date

import pytest

from console.core import attest
from console.core.policy import CallerClaim
from console.store import sync_state
from console.store.cache import Cache
from console.store.callbacks import CallbackError
from tests.store.test_policy_v2 import accounts, signed_in  # noqa: F401 (fixtures: one cache for the module)

POTAE = CallerClaim(family_name="Pōtae", given_name="Wiremu", date_of_birth=date(1944, 12, 24))  # 09 401 7777
OCONNOR = CallerClaim(family_name="O'Connor", given_name="Paddy", date_of_birth=date(1952, 11, 3))  # two numbers


def assigned(signed_in, claim=POTAE, to="op-1") -> tuple[Cache, str]:
    op, sup = signed_in(to), signed_in("sup-1")
    callback_id = op.book_callback(claim)["callback_id"]
    sup.assign_callback(callback_id, to)
    return op, callback_id


def outbox(cache, kind: str, callback_id: str) -> list[dict]:
    bodies = [json.loads(body) for (body,) in cache.db.execute("SELECT body FROM outbox WHERE kind = ?", [kind])]
    return [body for body in bodies if body["callback_id"] == callback_id]


def test_dialling_records_the_intent_then_gives_the_uri_of_the_number_on_file(signed_in):
    op, callback_id = assigned(signed_in)
    (listed,) = [row for row in op.callbacks_to_dial() if row["callback_id"] == callback_id]
    assert listed["callback_id"] == callback_id and listed["numbers"] == ["…777"]  # masked as missed callers are
    assert not any("401" in number for number in listed["numbers"]) and set(listed) == {
        "callback_id", "due_at", "overdue", "numbers"}
    dialled = op.dial_callback(callback_id, 0)
    assert dialled["uri"] == "tel:+6494017777"
    (intent,) = outbox(op, "dial_intent", callback_id)
    assert intent == {"intent_id": dialled["intent_id"], "callback_id": callback_id, "operator": "op-1",
                      "workstation": op.workstation, "at": intent["at"],
                      "number_digest": attest.number_digest(callback_id, "09 401 7777")}
    (entry,) = [e for e in (json.loads(d) for (d,) in op.db.execute(
        "SELECT detail FROM audit WHERE kind = 'callback_dialled'")) if e["callback_id"] == callback_id]
    assert entry == {"callback_id": callback_id, "intent_id": dialled["intent_id"], "number": 1}
    assert not {"+6494017777", "09 401 7777", "094017777"} & set(map(str, entry.values()))


def test_the_second_number_on_file_and_a_sip_uri_when_set(signed_in):
    op, callback_id = assigned(signed_in, OCONNOR)
    assert [row["numbers"] for row in op.callbacks_to_dial() if row["callback_id"] == callback_id] == [
        ["…234", "…192"]]
    admin = signed_in("admin-1")
    admin.set_setting("dial_scheme", "sip")
    with pytest.raises(CallbackError, match="sip_domain"):
        op.dial_callback(callback_id, 1)
    assert outbox(op, "dial_intent", callback_id) == []  # nothing recorded when it cannot be dialled
    admin.set_setting("sip_domain", "pbx.helpline.example")
    assert op.dial_callback(callback_id, 1)["uri"] == "sip:+64275550192@pbx.helpline.example;user=phone"
    with pytest.raises(Exception, match="dial_scheme must be"):
        admin.set_setting("dial_scheme", "callto")
    admin.set_setting("dial_scheme", "tel")


def test_only_an_open_callback_assigned_to_you_is_dialled_and_every_refusal_reads_alike(signed_in):
    op, callback_id = assigned(signed_in)
    other = signed_in("op-2")
    unmatched = other.book_callback(CallerClaim(family_name="Nobody", given_name="Ataahua",
                                                date_of_birth=date(1970, 7, 7)))["callback_id"]
    refusals = set()
    for cache, which, index in ((other, callback_id, 0), (other, unmatched, 0), (op, "no-such", 0)):
        with pytest.raises(CallbackError) as refused:
            cache.dial_callback(which, index)
        refusals.add(str(refused.value).replace(which, "ID"))
    assert len(refusals) == 1 and "not an open callback assigned to you" in refusals.pop()
    with pytest.raises(CallbackError, match="number 3 on file"):
        op.dial_callback(callback_id, 2)
    op.complete_callback(callback_id, "no_answer")
    with pytest.raises(CallbackError, match="not an open callback assigned to you"):
        op.dial_callback(callback_id, 0)
    assert outbox(op, "dial_intent", callback_id) == [] and outbox(other, "dial_intent", unmatched) == []


def feed(cache, change: dict) -> None:
    """The hub's feed brings one change, the next after the cursor."""
    seq = sync_state.change_cursor(cache.db) + 1
    assert sync_state.apply_changes(cache.db, [dict(change, seq=seq)], seq) == {"attestation": 1}


def attestation(callback_id, operator="op-1", call_id="pbx-call-1") -> dict:
    return {"seq": 1, "kind": "attestation", "id": callback_id,
            "body": {"callback_id": callback_id, "pbx": "pbx-1", "call_id": call_id, "operator": operator,
                     "answered_at": "2026-12-04T01:00:31.000000+00:00"}}


def test_an_answered_callback_the_pbx_attests_verifies_by_possession_and_one_it_does_not_never(signed_in):
    op, callback_id = assigned(signed_in)
    op.dial_callback(callback_id, 0)
    op.complete_callback(callback_id, "answered")
    assert op.answered_callback_persons(callback_id) == frozenset()  # the operator's word alone
    feed(op, attestation(callback_id, operator="op-2", call_id="pbx-call-2"))
    assert op.answered_callback_persons(callback_id) == frozenset()  # another operator's call
    feed(op, attestation(callback_id))
    feed(op, attestation(callback_id))  # fed again: kept once
    assert op.db.execute("SELECT count(*) FROM callback_attestations WHERE callback_id = ?",
                         [callback_id]).fetchone()[0] == 2
    persons = op.answered_callback_persons(callback_id)
    assert persons == frozenset({"S0008"})
    verified = op.verify_caller(POTAE, callback_person_ids=persons)
    assert verified.decision.verified and verified.decision.assurance == "possession"


def test_an_attestation_before_the_completion_waits_for_the_operators_answered(signed_in):
    op, callback_id = assigned(signed_in)
    feed(op, attestation(callback_id))
    assert op.answered_callback_persons(callback_id) == frozenset()  # still open
    op.complete_callback(callback_id, "declined")
    assert op.answered_callback_persons(callback_id) == frozenset()
