"""Callbacks and the policy's callback route to possession."""

import json
from datetime import date, datetime, timedelta, timezone

import pytest

from console.core.policy import CallerClaim
from console.store import callbacks
from console.store.audit import list_audit, verify_chain
from console.store.callbacks import CallbackError, answered_callback_persons

NZ = timezone(timedelta(hours=13))
POTAE = CallerClaim(family_name="Pōtae", given_name="Wiremu", date_of_birth=date(1944, 12, 24))
NOBODY = CallerClaim(family_name="Nobody", given_name="Ataahua", date_of_birth=date(1970, 7, 7))


def book(cache, claim, **kw):
    return callbacks.book_callback(cache.db, claim, operator=cache.operator, workstation=cache.workstation, **kw)


def actor(cache, operator=None):
    return {"operator": operator or cache.operator, "workstation": cache.workstation}


def test_booking_with_a_name_match_is_open_with_numbers(sample_cache):
    booked = book(sample_cache, POTAE)
    assert set(booked) == {"callback_id", "due_at", "status"} and booked["status"] == "booked"
    (row,) = callbacks.list_callbacks(sample_cache.db)
    assert row["callback_id"] == booked["callback_id"] and row["status"] == "open"
    assert row["numbers"] == ["09 401 7777"]
    assert "person_ids" not in row
    assert "S0008" not in json.dumps(row)
    stored = callbacks.get_callback(sample_cache.db, booked["callback_id"])
    assert stored["person_ids"] == ["S0008"] and stored["outcome"] is None
    outbox = json.loads(sample_cache.db.execute(
        "SELECT body FROM outbox WHERE kind='callback' AND entity_id=?", [booked["callback_id"] + "@1"]).fetchone()[0])
    assert outbox["person_ids"] == ["S0008"]


def test_name_match_is_tolerant(sample_cache):
    book(sample_cache, CallerClaim(family_name="POTAE", given_name="bill", date_of_birth=date(1944, 12, 24)))
    (row,) = callbacks.list_callbacks(sample_cache.db)
    assert row["numbers"] == ["09 401 7777"]


def test_two_numbers_on_file(sample_cache):
    book(sample_cache, CallerClaim(family_name="O'Connor", given_name="Paddy", date_of_birth=date(1952, 11, 3)))
    (row,) = callbacks.list_callbacks(sample_cache.db)
    assert row["numbers"] == ["09 438 1234", "027 555 0192"]


def test_booking_without_a_match_looks_the_same_but_closes(sample_cache):
    matched = book(sample_cache, POTAE)
    unmatched = book(sample_cache, NOBODY)
    assert set(matched) == set(unmatched)
    assert matched["status"] == unmatched["status"] == "booked"
    assert matched["callback_id"] != unmatched["callback_id"]
    open_ids = [r["callback_id"] for r in callbacks.list_callbacks(sample_cache.db)]
    assert open_ids == [matched["callback_id"]]
    (closed,) = callbacks.list_callbacks(sample_cache.db, which="closed")
    assert closed["callback_id"] == unmatched["callback_id"]
    assert closed["outcome"] == "no_number_on_file" and closed["numbers"] == [] and not closed["overdue"]
    stored = callbacks.get_callback(sample_cache.db, unmatched["callback_id"])
    assert stored["person_ids"] == []
    # the supervisor sees why in the audit log; the entries of both bookings have the same keys
    booked = [e for e in list_audit(sample_cache.db, kind="callback_booked")]
    assert [e["detail"]["closed_no_number"] for e in booked] == [False, True]
    assert set(booked[0]["detail"]) == set(booked[1]["detail"])
    assert booked[0]["person_id"] is None and booked[1]["person_id"] is None


def test_no_date_of_birth_no_match(sample_cache):
    book(sample_cache, CallerClaim(family_name="Pōtae", given_name="Wiremu"))
    assert callbacks.list_callbacks(sample_cache.db) == []
    assert callbacks.list_callbacks(sample_cache.db, which="closed")[0]["outcome"] == "no_number_on_file"


def test_invalid_number_is_no_number_on_file(sample_cache):
    # S0006 Jane Smith 1979-04-01 has only "not a number" on file
    book(sample_cache, CallerClaim(family_name="Smith", given_name="Jane", date_of_birth=date(1979, 4, 1)))
    assert callbacks.list_callbacks(sample_cache.db) == []
    (closed,) = callbacks.list_callbacks(sample_cache.db, which="all")
    assert closed["outcome"] == "no_number_on_file"


def test_assign_and_list_by_operator(sample_cache):
    a = book(sample_cache, POTAE)
    b = book(sample_cache, POTAE)
    row = callbacks.assign_callback(sample_cache.db, a["callback_id"], "op-9", **actor(sample_cache))
    assert row["assigned_to"] == "op-9"
    mine = callbacks.list_callbacks(sample_cache.db, operator="op-9")
    assert [r["callback_id"] for r in mine] == [a["callback_id"]]
    assert callbacks.list_callbacks(sample_cache.db, operator="op-10") == []
    assert {r["callback_id"] for r in callbacks.list_callbacks(sample_cache.db)} == {a["callback_id"], b["callback_id"]}
    # reassigning replaces; every revision is queued for the hub, which keeps the newest
    callbacks.assign_callback(sample_cache.db, a["callback_id"], "op-10", **actor(sample_cache))
    assert callbacks.list_callbacks(sample_cache.db, operator="op-9") == []
    bodies = sample_cache.db.execute("SELECT entity_id, body FROM outbox WHERE kind='callback' AND entity_id LIKE ? "
                                     "ORDER BY seq", [a["callback_id"] + "@%"]).fetchall()
    assert [entity for entity, _ in bodies] == [f"{a['callback_id']}@{n}" for n in (1, 2, 3)]
    assert [json.loads(body)["revision"] for _, body in bodies] == [1, 2, 3]
    assert json.loads(bodies[-1][1])["assigned_to"] == "op-10"
    with pytest.raises(CallbackError, match="no callback"):
        callbacks.assign_callback(sample_cache.db, "nope", "op-9", **actor(sample_cache))


def test_due_and_overdue(sample_cache):
    now = datetime.now(timezone.utc)
    past = book(sample_cache, POTAE, due_at=now - timedelta(hours=2))
    soon = book(sample_cache, POTAE, due_at=now - timedelta(minutes=5))
    later = book(sample_cache, POTAE, due_at=now + timedelta(hours=3))
    ids = lambda rows: [r["callback_id"] for r in rows]  # noqa: E731
    assert ids(callbacks.list_callbacks(sample_cache.db)) == [past["callback_id"], soon["callback_id"], later["callback_id"]]
    assert ids(callbacks.list_callbacks(sample_cache.db, which="due")) == [past["callback_id"], soon["callback_id"]]
    overdue = callbacks.list_callbacks(sample_cache.db, which="overdue")
    assert ids(overdue) == [past["callback_id"]] and overdue[0]["overdue"]
    flags = {r["callback_id"]: r["overdue"] for r in callbacks.list_callbacks(sample_cache.db)}
    assert flags == {past["callback_id"]: True, soon["callback_id"]: False, later["callback_id"]: False}
    # at a later time, everything is due
    at = now + timedelta(hours=4)
    assert len(callbacks.list_callbacks(sample_cache.db, which="overdue", at=at)) == 3
    # closed ones are never due
    callbacks.complete_callback(sample_cache.db, past["callback_id"], "no_answer", **actor(sample_cache))
    assert ids(callbacks.list_callbacks(sample_cache.db, which="overdue")) == []
    with pytest.raises(CallbackError):
        callbacks.list_callbacks(sample_cache.db, which="soonish")


def test_complete(sample_cache):
    booked = book(sample_cache, POTAE)
    row = callbacks.complete_callback(sample_cache.db, booked["callback_id"], "answered", notes="rang back",
                                      **actor(sample_cache, "op-b"))
    assert (row["status"], row["outcome"], row["completed_by"], row["notes"]) == ("closed", "answered", "op-b", "rang back")
    assert row["completed_at"]
    with pytest.raises(CallbackError, match="already closed"):
        callbacks.complete_callback(sample_cache.db, booked["callback_id"], "no_answer", **actor(sample_cache))
    assert callbacks.get_callback(sample_cache.db, booked["callback_id"])["outcome"] == "answered"
    with pytest.raises(CallbackError):
        callbacks.complete_callback(sample_cache.db, booked["callback_id"], "shrug", **actor(sample_cache))
    with pytest.raises(CallbackError, match="no callback"):
        callbacks.complete_callback(sample_cache.db, "missing-id", "answered", **actor(sample_cache))
    kinds = [e["kind"] for e in list_audit(sample_cache.db) if e["kind"].startswith("callback")]
    assert kinds == ["callback_booked", "callback_completed"]
    assert verify_chain(sample_cache.db).ok


def countersign(cache, callback_id, operator="sup-1", role="supervisor"):
    return callbacks.countersign_callback(cache.db, callback_id, role=role, **actor(cache, operator))


def test_callback_route_answered_and_countersigned_gives_possession(sample_cache):
    booked = book(sample_cache, POTAE)
    at = datetime(2026, 1, 6, 10, tzinfo=NZ)
    # before the callback: a name match alone is not enough
    assert sample_cache.verify_caller(POTAE, at).decision.outcome == "not_verified"
    assert answered_callback_persons(sample_cache.db, booked["callback_id"]) == frozenset()
    callbacks.complete_callback(sample_cache.db, booked["callback_id"], "answered", **actor(sample_cache))
    # the operator's own word that it was answered confirms nothing
    assert answered_callback_persons(sample_cache.db, booked["callback_id"]) == frozenset()
    countersign(sample_cache, booked["callback_id"])
    persons = answered_callback_persons(sample_cache.db, booked["callback_id"])
    assert persons == {"S0008"}
    result = sample_cache.verify_caller(POTAE, at, callback_person_ids=persons).as_json()
    assert result["outcome"] == "verified" and result["assurance"] == "possession"
    assert result["person_id"] == "S0008" and "documents" in result
    # the callback reaches only its own person: someone else's name match is not confirmed by it
    other = CallerClaim(family_name="Tupou", given_name="Sione", date_of_birth=date(1990, 6, 15))
    assert sample_cache.verify_caller(other, at, callback_person_ids=persons).decision.outcome == "not_verified"


@pytest.mark.parametrize("outcome", ["no_answer", "wrong_number", "declined"])
def test_unanswered_callback_gives_nothing(sample_cache, outcome):
    booked = book(sample_cache, POTAE)
    callbacks.complete_callback(sample_cache.db, booked["callback_id"], outcome, **actor(sample_cache))
    persons = answered_callback_persons(sample_cache.db, booked["callback_id"])
    assert persons == frozenset()
    at = datetime(2026, 1, 6, 10, tzinfo=NZ)
    assert sample_cache.verify_caller(POTAE, at, callback_person_ids=persons).as_json()["outcome"] == "not_verified"


def test_countersigning_needs_a_supervisor_who_did_not_place_the_call_and_an_answered_callback(sample_cache):
    booked = book(sample_cache, POTAE)
    with pytest.raises(CallbackError, match="answered"):
        countersign(sample_cache, booked["callback_id"])
    callbacks.complete_callback(sample_cache.db, booked["callback_id"], "answered", **actor(sample_cache, "sup-1"))
    with pytest.raises(CallbackError, match="a supervisor"):
        countersign(sample_cache, booked["callback_id"], operator="op-b", role="operator")
    with pytest.raises(CallbackError, match="they placed themselves"):
        countersign(sample_cache, booked["callback_id"], operator="sup-1")
    assert answered_callback_persons(sample_cache.db, booked["callback_id"]) == frozenset()
    row = countersign(sample_cache, booked["callback_id"], operator="sup-2")
    assert row["countersigned_by"] == "sup-2" and row["countersigned_at"] and row["revision"] == 3
    with pytest.raises(CallbackError, match="already countersigned"):
        countersign(sample_cache, booked["callback_id"], operator="sup-3")
    audit = [e for e in list_audit(sample_cache.db) if e["kind"] == "callback_countersigned"]
    assert [(e["operator"], e["detail"]["callback_id"]) for e in audit] == [("sup-2", booked["callback_id"])]
    outbox = json.loads(sample_cache.db.execute("SELECT body FROM outbox WHERE entity_id = ?",
                                                [booked["callback_id"] + "@3"]).fetchone()[0])
    assert outbox["countersigned_by"] == "sup-2"  # it syncs like every revision


def test_an_operator_completes_only_open_callbacks_assigned_to_them_and_every_refusal_reads_alike(sample_cache):
    matched, nobody = book(sample_cache, POTAE), book(sample_cache, NOBODY)
    refusals = []
    for callback_id in (matched["callback_id"], nobody["callback_id"], "no-such-callback"):
        with pytest.raises(CallbackError) as refused:
            callbacks.complete_callback(sample_cache.db, callback_id, "answered", assigned_only=True,
                                        **actor(sample_cache, "op-b"))
        refusals.append(str(refused.value).replace(callback_id, "ID"))
    assert len(set(refusals)) == 1 and "no_number_on_file" not in refusals[0]
    callbacks.assign_callback(sample_cache.db, matched["callback_id"], "op-b", **actor(sample_cache))
    row = callbacks.complete_callback(sample_cache.db, matched["callback_id"], "no_answer", assigned_only=True,
                                      **actor(sample_cache, "op-b"))
    assert row["outcome"] == "no_answer"


def test_unknown_or_unmatched_callback_gives_nothing(sample_cache):
    assert answered_callback_persons(sample_cache.db, "no-such-callback") == frozenset()
    booked = book(sample_cache, NOBODY)
    assert answered_callback_persons(sample_cache.db, booked["callback_id"]) == frozenset()
