"""The workstation's side of sync without a hub: what is queued, what an
acknowledgement removes, and how pulled changes apply with their cursor."""

import json
import random
from datetime import datetime, timedelta, timezone

import pytest

from console.core.policy import CallerClaim
from console.store import attempts, callbacks, sync_state
from console.store.connection import write_transaction
from console.store.outbox import outbox_count
from console.sync.loop import Backoff
from console.sync.protocol import callback_item_id

AT = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


def test_attempts_and_unlocks_are_queued_with_what_they_record(sample_cache):
    with write_transaction(sample_cache.db):
        attempts.record_failed_attempts(sample_cache.db, ["S0001", "S0002"], AT, operator="op", workstation="ws")
    sample_cache.unlock("S0001", reason="caller verified by the practice")
    kinds = dict(sample_cache.db.execute("SELECT kind, count(*) FROM outbox GROUP BY kind").fetchall())
    assert kinds["attempt"] == 2 and kinds["unlock"] == 1
    body = json.loads(sample_cache.db.execute("SELECT body FROM outbox WHERE kind='unlock'").fetchone()[0])
    assert body["person_id"] == "S0001" and body["reason"] == "caller verified by the practice"
    assert "cleared_attempts" not in body


def test_an_acknowledged_item_leaves_the_outbox_and_a_conflict_is_kept_aside(sample_cache):
    db = sample_cache.db
    with write_transaction(db):
        attempts.record_failed_attempts(db, ["S0001", "S0002", "S0003"], AT, operator="op", workstation="ws")
    batch = sync_state.outbox_batch(db, 10)
    results = [{"kind": batch[0]["kind"], "id": batch[0]["id"], "status": "stored"},
               {"kind": batch[1]["kind"], "id": batch[1]["id"], "status": "conflict", "message": "Different body."}]
    counts = sync_state.acknowledge(db, batch, results)
    assert counts == {"stored": 1, "conflict": 1}
    left = [item["id"] for item in sync_state.outbox_batch(db, 10)]
    assert left == [batch[2]["id"]]  # not answered: stays queued
    assert sync_state.conflicts(db)[0]["id"] == batch[1]["id"]


def test_audit_is_pushed_from_a_cursor_that_stops_at_the_first_unanswered_entry(sample_cache):
    db = sample_cache.db
    for _ in range(3):
        sample_cache.unlock("S0001")
    batch = sync_state.audit_batch(db, 100)
    assert [e["body"]["seq"] for e in batch] == list(range(1, len(batch) + 1))
    answered = [{"kind": "audit", "id": e["id"], "status": "stored"} for e in batch[:2]]
    sync_state.acknowledge(db, batch, answered + [])
    assert [e["body"]["seq"] for e in sync_state.audit_batch(db, 100)] == [e["body"]["seq"] for e in batch[2:]]


def test_an_unlock_clears_only_attempts_made_before_it_whatever_the_order_they_arrive(cache):
    db = cache.db
    unlock = {"unlock_id": "u1", "person_id": "P1", "at": "2026-11-20T10:00:00.000000+00:00",
              "operator": "sup", "workstation": "ws-b", "reason": "checked"}
    before = {"attempt_id": "a1", "person_id": "P1", "at": "2026-11-20T09:00:00.000000+00:00",
              "operator": "op", "workstation": "ws-a"}
    after = dict(before, attempt_id="a2", at="2026-11-20T11:00:00.000000+00:00")
    changes = [{"seq": 1, "kind": "unlock", "id": "u1", "body": unlock},
               {"seq": 2, "kind": "attempt", "id": "a1", "body": before},
               {"seq": 3, "kind": "attempt", "id": "a2", "body": after}]
    sync_state.apply_changes(db, changes, 3)
    cleared = dict(db.execute("SELECT attempt_id, cleared_by FROM failed_attempts").fetchall())
    assert cleared == {"a1": "u1", "a2": None}
    assert sync_state.change_cursor(db) == 3
    # a page applied again (a kill after COMMIT, before the answer was read) changes nothing
    sync_state.apply_changes(db, changes, 3)
    assert db.execute("SELECT count(*) FROM failed_attempts").fetchone()[0] == 2


def test_a_pulled_lockout_locks_here(cache):
    at = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
    changes = [{"seq": n, "kind": "attempt", "id": f"a{n}", "body": {
        "attempt_id": f"a{n}", "person_id": "P9", "at": (at - timedelta(hours=n)).isoformat(),
        "operator": "op", "workstation": f"ws-{n}"}} for n in (1, 2, 3)]
    sync_state.apply_changes(cache.db, changes, 3)
    assert attempts.is_locked(cache.db, "P9", at)
    assert outbox_count(cache.db) == 0  # another workstation's attempts are not sent back


def test_accounts_from_the_hub_sign_in_offline(cache):
    from argon2 import PasswordHasher

    body = {"operator_id": "op-7", "role": "supervisor", "password_hash": PasswordHasher().hash("a long password"),
            "disabled": False}
    sync_state.apply_changes(cache.db, [{"seq": 1, "kind": "account", "id": "op-7", "body": body}], 1)
    assert cache.sign_in("op-7", "a long password") == "supervisor"
    sync_state.apply_changes(cache.db, [{"seq": 2, "kind": "account", "id": "op-7", "body": dict(body, disabled=True)}], 2)
    with pytest.raises(Exception, match="Sign-in failed"):
        cache.sign_in("op-7", "a long password")


def test_a_newer_callback_revision_replaces_an_older_one_and_never_the_reverse(sample_cache):
    db = sample_cache.db
    booked = sample_cache.book_callback(CallerClaim("Pōtae", "Wiremu", datetime(1944, 12, 24).date()))
    mine = callbacks.get_callback(db, booked["callback_id"])
    newer = dict(mine, revision=3, assigned_to="op-9")
    sync_state.apply_changes(db, [{"seq": 1, "kind": "callback", "id": mine["callback_id"], "body": newer}], 1)
    assert callbacks.get_callback(db, mine["callback_id"])["assigned_to"] == "op-9"
    older = dict(mine, revision=2, assigned_to="op-1")
    sync_state.apply_changes(db, [{"seq": 2, "kind": "callback", "id": mine["callback_id"], "body": older}], 2)
    assert callbacks.get_callback(db, mine["callback_id"])["assigned_to"] == "op-9"
    assert callbacks.get_callback(db, mine["callback_id"])["person_ids"] == mine["person_ids"]
    # the next local change is revision 4, queued under its own id
    sample_cache.assign_callback(mine["callback_id"], "op-2")
    assert db.execute("SELECT count(*) FROM outbox WHERE entity_id = ?",
                      [callback_item_id(mine["callback_id"], 4)]).fetchone()[0] == 1


def test_unknown_change_kinds_are_skipped_and_the_cursor_still_moves(cache):
    sync_state.apply_changes(cache.db, [{"seq": 5, "kind": "from-the-future", "id": "x", "body": {}}], 5)
    assert sync_state.change_cursor(cache.db) == 5


def test_a_download_of_another_register_is_dropped(cache):
    sync_state.store_chunk(cache.db, 1, 0, b"abc")
    assert sync_state.downloaded(cache.db, 1) == 3
    assert sync_state.downloaded(cache.db, 2) == 0
    assert cache.db.execute("SELECT count(*) FROM register_download").fetchone()[0] == 0


def test_backoff_doubles_to_a_cap_with_jitter_and_resets():
    backoff = Backoff(base=5, cap=300, rng=random.Random(7))
    delays = [backoff.failed() for _ in range(10)]
    for n, delay in enumerate(delays):
        ceiling = min(300, 5 * 2 ** n)
        assert ceiling / 2 <= delay <= ceiling
    assert max(delays) <= 300 and delays[-1] >= 150
    other = Backoff(base=5, cap=300, rng=random.Random(8))
    assert [other.failed() for _ in range(10)] != delays  # workstations do not retry in step
    backoff.succeeded()
    assert backoff.failed() <= 5
