"""POST /v1/push: each kind stored, duplicate, stale or conflict; the audit
chain's checks; attempts and unlocks; what supervisors then read."""

import json

import pytest

from console.hub.changes import changes_after
from console.sync.protocol import MAX_PUSH_ITEMS, canonical

from tests.hub.bodies import Chain, attempt_item, audit_item, call_item, callback_item, unlock_item
from tests.hub.conftest import WORKSTATION


@pytest.fixture
def operator(hub):
    return hub.token("op-17", "operator")


@pytest.fixture
def supervisor(hub):
    """A supervisor signed in on the same workstation: the one who may push unlocks."""
    return hub.token("sup-1", "supervisor")


def statuses(reply) -> list[str]:
    assert reply.status_code == 200, reply.text
    return [r["status"] for r in reply.json()["results"]]


def changes_of(hub, kind: str) -> list[dict]:
    return [c for c in changes_after(hub.db, 0, 1000)["changes"] if c["kind"] == kind]


def test_a_call_is_stored_once_and_a_different_body_under_its_id_is_a_conflict(hub, operator):
    item = call_item("call-1", person_id=None)
    assert statuses(hub.push(operator, [item])) == ["stored"]
    assert statuses(hub.push(operator, [item])) == ["duplicate"]
    changed = call_item("call-1", outcome="escalated")
    reply = hub.push(operator, [changed])
    assert statuses(reply) == ["conflict"]
    assert "call-1" in reply.json()["results"][0]["message"]
    with hub.db.read() as tx:
        row = tx.one("SELECT started_utc, handle_seconds, workstation, outcome, record FROM calls WHERE call_id = ?",
                     ["call-1"])
    assert row[:4] == ("2026-01-05T20:12:00.000000+00:00", 450.0, WORKSTATION, "resolved")  # the hub's copy kept
    with hub.db.read() as tx:
        assert tx.open("calls", "call-1", "record", row[4]) == canonical(item["body"])  # sealed at rest


def test_every_item_of_a_batch_gets_its_result_in_order(hub, operator, supervisor):
    items = [call_item(), attempt_item(), callback_item(), unlock_item(), call_item()]
    reply = hub.push(operator, items, audit_head=None)
    assert [(r["kind"], r["id"]) for r in reply.json()["results"]] == [(i["kind"], i["id"]) for i in items]
    assert statuses(reply) == ["stored", "stored", "stored", "refused", "stored"]  # an unlock needs a supervisor
    assert reply.json()["audit_alert"] is None


def test_callback_revisions_newer_replace_older_are_stale(hub, operator):
    assert statuses(hub.push(operator, [callback_item("cb-1", 1)])) == ["stored"]
    assert statuses(hub.push(operator, [callback_item("cb-1", 1)])) == ["duplicate"]
    assert statuses(hub.push(operator, [callback_item("cb-1", 1, notes="other")])) == ["conflict"]
    done = callback_item("cb-1", 2, status="closed", outcome="answered", completed_by="op-3",
                         completed_at="2026-01-06T10:05:00.000000+00:00")
    assert statuses(hub.push(operator, [done])) == ["stored"]
    reply = hub.push(operator, [callback_item("cb-1", 1)])
    assert statuses(reply) == ["stale"]
    assert "revision 2" in reply.json()["results"][0]["message"]
    feed = changes_of(hub, "callback")
    assert [c["body"]["revision"] for c in feed] == [1, 2]
    assert feed[-1]["id"] == "cb-1" and feed[-1]["body"] == done["body"]


def test_a_callback_revised_on_another_workstation_is_accepted(hub):
    """Whoever calls back completes the callback; its workstation field stays where it was booked."""
    elsewhere = hub.token("op-3", workstation="ws-south-2")
    item = callback_item("cb-9", 2, status="closed", outcome="no_answer")
    assert statuses(hub.push(elsewhere, [item], workstation="ws-south-2")) == ["stored"]


def test_attempts_and_unlocks_are_stored_once_and_fed_to_every_workstation(hub, operator, supervisor):
    attempt, unlock = attempt_item("a-1"), unlock_item("u-1")
    assert statuses(hub.push(operator, [attempt])) == ["stored"]
    assert statuses(hub.push(supervisor, [unlock])) == ["stored"]
    assert statuses(hub.push(operator, [attempt])) == ["duplicate"]
    assert statuses(hub.push(supervisor, [unlock])) == ["duplicate"]
    other = attempt_item("a-1", person_id="P0002")
    assert statuses(hub.push(operator, [other])) == ["conflict"]
    other_unlock = dict(unlock, body=dict(unlock["body"], reason="another reason"))
    assert statuses(hub.push(supervisor, [other_unlock])) == ["conflict"]
    assert changes_of(hub, "attempt") == []  # fed as the person's lock state (tests/hub/test_feed.py)
    assert [(c["id"], c["body"]) for c in changes_of(hub, "unlock")] == [
        ("u-1", {key: unlock["body"][key] for key in ("unlock_id", "person_id", "at")})]


def test_an_unlock_clears_attempts_at_or_before_it_even_those_arriving_later(hub, operator, supervisor):
    before = [attempt_item(f"a-{i}", at=f"2026-01-06T0{i}:00:00.000000+00:00") for i in range(1, 4)]
    statuses(hub.push(operator, before[:2]))
    unlock = unlock_item("u-1", at="2026-01-06T05:00:00.000000+00:00")
    assert statuses(hub.push(supervisor, [unlock])) == ["stored"]
    # pushed after the unlock by a workstation that was offline: made before it, so already cleared
    late = before[2]
    at_the_unlock = attempt_item("a-at", at="2026-01-06T05:00:00.000000+00:00")
    after = attempt_item("a-after", at="2026-01-06T06:00:00.000000+00:00")
    other_person = attempt_item("a-other", person_id="P0002", at="2026-01-06T01:00:00.000000+00:00")
    statuses(hub.push(operator, [late, at_the_unlock, after, other_person]))
    with hub.db.read() as tx:
        cleared = dict(tx.all("SELECT attempt_id, cleared_by FROM attempts"))
    assert cleared == {"a-1": "u-1", "a-2": "u-1", "a-3": "u-1", "a-at": "u-1", "a-after": None, "a-other": None}


def test_two_unlocks_at_one_instant_clear_an_attempt_by_the_same_unlock_on_the_hub_and_a_workstation(hub, operator,
                                                                                                      supervisor, cache):
    """The unlock that clears a late attempt is the earliest at or after it,
    two at the same instant told apart by unlock_id: the same on both sides,
    whatever order the unlocks arrived in (issue 12: the two had drifted)."""
    from console.store import attempts
    from console.store.connection import write_transaction

    same_instant = "2026-01-06T05:00:00.000000+00:00"
    unlocks = [unlock_item(unlock_id, at=same_instant) for unlock_id in ("u-b", "u-c", "u-a")]
    attempt = attempt_item("a-late", at="2026-01-06T04:00:00.000000+00:00")
    assert statuses(hub.push(supervisor, unlocks)) == ["stored"] * 3
    statuses(hub.push(operator, [attempt]))
    with hub.db.read() as tx:
        on_the_hub = tx.value("SELECT cleared_by FROM attempts WHERE attempt_id = ?", ["a-late"])
    with write_transaction(cache.db):
        for unlock in unlocks:
            attempts.store_unlock(cache.db, unlock["body"])
        attempts.apply_attempt(cache.db, attempt["body"])
    on_the_workstation = cache.db.execute("SELECT cleared_by FROM failed_attempts WHERE attempt_id = ?",
                                          ["a-late"]).fetchone()[0]
    assert on_the_hub == on_the_workstation == "u-a"


def test_locked_lists_persons_with_three_uncleared_attempts_in_24_hours(hub, operator, supervisor):
    from datetime import timedelta

    from console.core.timeutil import now, utc_text

    moment = now()
    recent = [attempt_item(person_id="P0001", at=utc_text(moment - timedelta(hours=h))) for h in (1, 2, 3)]
    old = [attempt_item(person_id="P0002", at=utc_text(moment - timedelta(hours=h))) for h in (1, 2, 30)]
    other_ws = [attempt_item(person_id="P0003", at=utc_text(moment - timedelta(minutes=m)), workstation="ws-2")
                for m in (1, 2)]
    other_ws = [dict(item, body=dict(item["body"], operator="op-2")) for item in other_ws]
    statuses(hub.push(operator, recent + old))
    statuses(hub.push(hub.token("op-2", workstation="ws-2"), other_ws, workstation="ws-2"))
    statuses(hub.push(operator, [attempt_item(person_id="P0003", at=utc_text(moment - timedelta(minutes=3)))]))
    locked = hub.client.get("/v1/locked", headers=supervisor).json()["locked"]
    assert {(p["person_id"], p["failed_attempts"]) for p in locked} == {("P0001", 3), ("P0003", 3)}
    assert statuses(hub.push(supervisor, [unlock_item(person_id="P0001", at=utc_text(moment))])) == ["stored"]
    locked = hub.client.get("/v1/locked", headers=supervisor).json()["locked"]
    assert [p["person_id"] for p in locked] == ["P0003"]


# the audit chain


def test_an_audit_chain_is_stored_link_by_link_across_pushes(hub, operator, supervisor):
    chain = Chain()
    for _ in range(5):
        chain.append()
    first = hub.push(operator, [audit_item(e) for e in chain.entries[:3]], audit_head=chain.head)
    assert statuses(first) == ["stored"] * 3 and first.json()["audit_alert"] is None
    second = hub.push(operator, [audit_item(e) for e in chain.entries[2:]], audit_head=chain.head)
    assert statuses(second) == ["duplicate", "stored", "stored"]
    assert second.json()["audit_alert"] is None
    chains = hub.client.get("/v1/audit/chains", headers=supervisor).json()["chains"]
    assert chains == [{"workstation": WORKSTATION, "head_seq": 5, "head_hash": chain.head["hash"],
                       "updated_at": chains[0]["updated_at"], "alerts": []}]


@pytest.mark.parametrize("damage, expected", [
    ("hash", "does not match its own hash"),
    ("prev_hash", "does not link to entry 1"),
    ("gap", "entries 2 to 2 are missing"),
])
def test_a_broken_link_is_a_conflict_and_an_alert(hub, operator, supervisor, damage, expected):
    chain = Chain()
    for _ in range(3):
        chain.append()
    statuses(hub.push(operator, [audit_item(chain.entries[0])]))
    entry = dict(chain.entries[1])
    if damage == "hash":
        entry["detail"] = json.dumps({"results": 99})
    elif damage == "prev_hash":
        entry["prev_hash"] = "f" * 64
    else:
        entry = dict(chain.entries[2])
    reply = hub.push(operator, [audit_item(entry)])
    assert statuses(reply) == ["conflict"]
    assert expected in reply.json()["results"][0]["message"]
    assert expected in reply.json()["audit_alert"]
    alerts = hub.client.get("/v1/audit/chains", headers=supervisor).json()["chains"][0]["alerts"]
    assert len(alerts) == 1 and expected in alerts[0]["message"]
    with hub.db.read() as tx:
        assert tx.value("SELECT seq FROM audit_heads") == 1  # the hub's copy is unchanged


def test_a_truncated_chain_is_detected_centrally(hub, operator, supervisor):
    chain = Chain()
    for _ in range(4):
        chain.append()
    statuses(hub.push(operator, [audit_item(e) for e in chain.entries], audit_head=chain.head))
    chain.truncate(2)  # someone cut entries 3 and 4 off the workstation's trail
    reply = hub.push(operator, [], audit_head=chain.head)
    assert "ends at entry 2" in reply.json()["audit_alert"]
    assert "up to 4" in reply.json()["audit_alert"]
    # ... and carried on writing: the new entry 3 is not the one the hub holds
    chain.append()
    reply = hub.push(operator, [audit_item(chain.entries[-1])], audit_head=chain.head)
    assert statuses(reply) == ["conflict"]
    assert "rewritten" in reply.json()["audit_alert"]
    hub.push(operator, [], audit_head=chain.head)  # the same alert again is kept once
    alerts = hub.client.get("/v1/audit/chains", headers=supervisor).json()["chains"][0]["alerts"]
    assert [("ends at entry 2" in a["message"], "entry 3 is already on the hub" in a["message"],
             "ends at entry 3" in a["message"]) for a in alerts] == [(True, False, False), (False, True, False),
                                                                   (False, False, True)]


def test_a_head_rewritten_at_the_same_seq_is_an_alert(hub, operator):
    chain = Chain()
    chain.append()
    statuses(hub.push(operator, [audit_item(chain.entries[0])], audit_head=chain.head))
    reply = hub.push(operator, [], audit_head={"seq": 1, "hash": "e" * 64})
    assert "is not the entry 1 the hub holds" in reply.json()["audit_alert"]
    ahead = hub.push(operator, [], audit_head={"seq": 7, "hash": "e" * 64})  # not pushed yet: no alert
    assert ahead.json()["audit_alert"] is None


def test_an_entry_altered_after_it_reached_the_hub_is_a_conflict(hub, operator):
    chain = Chain()
    chain.append()
    statuses(hub.push(operator, [audit_item(chain.entries[0])]))
    altered = dict(chain.entries[0], person_id="P0009")
    reply = hub.push(operator, [audit_item(altered)])
    assert statuses(reply) == ["conflict"]
    assert "altered" in reply.json()["audit_alert"]


def test_supervisors_read_every_workstations_audit_with_filters(hub, operator, supervisor):
    mine, theirs = Chain(), Chain("ws-2")
    mine.append("search")
    mine.append("verification", person_id="P0001")
    theirs.append("verification", person_id="P0001")
    statuses(hub.push(operator, [audit_item(e) for e in mine.entries]))
    statuses(hub.push(hub.token("op-2", workstation="ws-2"), [audit_item(e) for e in theirs.entries],
                      workstation="ws-2"))
    everything = hub.client.get("/v1/audit", headers=supervisor).json()["entries"]
    assert len(everything) == 3
    assert everything[0]["detail"] == {"results": 1}
    found = hub.client.get("/v1/audit", headers=supervisor, params={"person": "P0001"}).json()["entries"]
    assert {(e["workstation"], e["seq"]) for e in found} == {(WORKSTATION, 2), ("ws-2", 1)}
    found = hub.client.get("/v1/audit", headers=supervisor,
                           params={"workstation": "ws-2", "kind": "verification", "operator": "op-17"}).json()
    assert [e["entry_id"] for e in found["entries"]] == [theirs.entries[0]["entry_id"]]
    assert len(hub.client.get("/v1/audit", headers=supervisor, params={"limit": 1}).json()["entries"]) == 1
    since = hub.client.get("/v1/audit", headers=supervisor, params={"since": "2026-01-06T22:00:30+13:00"}).json()
    assert [e["seq"] for e in since["entries"]] == [2]  # 09:01 UTC


def test_callbacks_list_the_newest_revisions_without_who_matched(hub, operator, supervisor):
    from datetime import timedelta

    from console.core.timeutil import now, utc_text

    soon, long_ago = utc_text(now() + timedelta(hours=1)), utc_text(now() - timedelta(hours=2))
    statuses(hub.push(operator, [callback_item("cb-late", 1, due_at=long_ago), callback_item("cb-soon", 1, due_at=soon),
                                 callback_item("cb-done", 1), callback_item("cb-done", 2, status="closed")]))
    listed = {w: hub.client.get("/v1/callbacks", headers=supervisor, params={"which": w}).json()["callbacks"]
              for w in ("open", "overdue", "all")}
    assert [c["callback_id"] for c in listed["open"]] == ["cb-late", "cb-soon"]
    assert [c["callback_id"] for c in listed["overdue"]] == ["cb-late"]
    assert {c["callback_id"] for c in listed["all"]} == {"cb-late", "cb-soon", "cb-done"}
    assert all("person_ids" not in c for c in listed["all"])
    assert [c["overdue"] for c in listed["open"]] == [True, False]
    reply = hub.client.get("/v1/callbacks", headers=supervisor, params={"which": "someday"})
    assert reply.status_code == 400 and "which" in reply.json()["error"]


# refusals: the whole push, nothing stored


def test_a_session_pushes_only_for_its_own_workstation(hub, operator):
    reply = hub.push(operator, [call_item()], workstation="ws-other")
    assert reply.status_code == 403
    assert "ws-other" in reply.json()["error"]
    for item in (call_item(workstation="ws-other"), attempt_item(workstation="ws-other"),
                 audit_item(Chain("ws-other").append())):
        reply = hub.push(operator, [item])
        assert statuses(reply) == ["refused"], item["kind"]
        assert "a workstation pushes only its own records" in reply.json()["results"][0]["message"]
    with hub.db.read() as tx:
        assert tx.value("SELECT count(*) FROM calls") + tx.value("SELECT count(*) FROM attempts") == 0
        assert tx.value("SELECT count(*) FROM audit") == 0


@pytest.mark.parametrize("item, problem", [
    (call_item("c-1", outcome="resolved") | {"id": "c-2"}, "call_id must equal the item's id"),
    ({"kind": "call", "id": "c-3", "body": {"call_id": "c-3"}}, "started_at is required"),
    (attempt_item("a-1") | {"id": "a-2"}, "attempt_id must equal"),
    ({"kind": "attempt", "id": "a-3", "body": {"attempt_id": "a-3"}}, "lacks person_id, at, operator, workstation"),
    ({"kind": "attempt", "id": "a-4", "body": attempt_item("a-4")["body"] | {"cleared_by": None}},
     "unknown keys cleared_by"),
    ({"kind": "attempt", "id": "a-5", "body": attempt_item("a-5")["body"] | {"at": "yesterday"}},
     "not an ISO 8601 time"),
    ({"kind": "unlock", "id": "u-1", "body": unlock_item("u-1")["body"] | {"person_id": 7}}, "person_id must be"),
    (callback_item("cb-1", 1) | {"id": "cb-1@2"}, "<callback_id>@<revision>"),
    ({"kind": "callback", "id": "cb-2@0", "body": callback_item("cb-2")["body"] | {"revision": 0}},
     "revision must be a whole number from 1"),
    ({"kind": "callback", "id": "cb-3@1", "body": callback_item("cb-3")["body"] | {"person_ids": "P1"}},
     "person_ids must be a list"),
    ({"kind": "callback", "id": "cb-4@1", "body": callback_item("cb-4")["body"] | {"status": "maybe"}},
     "status must be open or closed"),
    ({"kind": "audit", "id": "e-1", "body": dict(Chain().append(), entry_id="e-1", detail="not json")},
     "detail must be the entry's details as the text of a JSON object"),
    ({"kind": "audit", "id": "e-3", "body": dict(Chain().append(), entry_id="e-3", detail='{"n": NaN}')},
     "detail must be the entry's details"),
    ({"kind": "audit", "id": "e-4", "body": dict(Chain().append(), entry_id="e-4", detail=7)},
     "detail must be the entry's details"),
    ({"kind": "audit", "id": "e-2", "body": dict(Chain().append(), entry_id="e-2", seq=2**70)},
     "seq must be a whole number"),
])
def test_a_malformed_item_refuses_the_whole_push_naming_it(hub, operator, item, problem):
    good = call_item("good-1")
    reply = hub.push(operator, [good, item])
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error.startswith(f"In items[1] ({item['kind']} {item['id']}): ")
    assert problem in error
    with hub.db.read() as tx:
        assert tx.value("SELECT count(*) FROM calls") == 0


def test_more_than_the_most_items_is_413(hub, operator):
    items = [attempt_item(f"a-{i}") for i in range(MAX_PUSH_ITEMS + 1)]
    reply = hub.push(operator, items)
    assert reply.status_code == 413
    assert f"at most {MAX_PUSH_ITEMS} items" in reply.json()["error"]
    assert statuses(hub.push(operator, items[:MAX_PUSH_ITEMS])) == ["stored"] * MAX_PUSH_ITEMS
