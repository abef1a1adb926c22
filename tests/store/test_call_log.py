"""The durable call log: one transaction for call, tallies, outbox and audit."""

import json
import uuid

import pytest

from console.core.calls import validate_call_record
from console.store.audit import verify_chain
from console.store.calls import calls_of_person, outbox_count
from console.store.connection import connect


def make(n=1, **changes):
    out = []
    for i in range(n):
        rec = {
            "call_id": str(uuid.uuid4()),
            "started_at": f"2026-01-06T09:{i % 60:02d}:00+13:00",
            "ended_at": f"2026-01-06T10:{i % 60:02d}:30+13:00",
            "caller_type": "patient",
            "verification": "not_verified",
            "outcome": "resolved",
            "region": "Northland",
        }
        rec.update(changes)
        out.append(validate_call_record(rec, operator="op-rec"))
    return out


def counts(db) -> dict:
    return {
        "calls": db.execute("SELECT count(*) FROM calls").fetchone()[0],
        "outbox": db.execute("SELECT count(*) FROM outbox").fetchone()[0],
        "outbox_calls": outbox_count(db, "call"),
        "audit_call_saved": db.execute("SELECT count(*) FROM audit WHERE kind='call_saved'").fetchone()[0],
        "audit": db.execute("SELECT count(*) FROM audit").fetchone()[0],
        "day_counts": db.execute("SELECT coalesce(sum(n), 0) FROM call_day_counts WHERE dimension='outcome'").fetchone()[0],
        "day_handle": db.execute("SELECT coalesce(sum(n), 0) FROM call_day_handle").fetchone()[0],
    }


def test_save_stores_everything_once(cache):
    records = make(5)
    assert cache.log_calls(records) == [True] * 5
    assert counts(cache.db) == {"calls": 5, "outbox": 5, "outbox_calls": 5, "audit_call_saved": 5, "audit": 5,
                                "day_counts": 5, "day_handle": 5}
    stored = {r[0]: json.loads(r[1]) for r in cache.db.execute("SELECT call_id, record FROM calls")}
    for rec in records:
        got = stored[rec["call_id"]]
        assert {k: got[k] for k in rec} == rec
    assert verify_chain(cache.db).ok


def test_resend_is_idempotent(cache):
    records = make(4)
    cache.log_calls(records)
    before = counts(cache.db)
    outbox_before = cache.db.execute("SELECT seq, entity_id, body FROM outbox ORDER BY seq").fetchall()
    assert cache.log_calls(records) == [False] * 4
    assert counts(cache.db) == before
    assert cache.db.execute("SELECT seq, entity_id, body FROM outbox ORDER BY seq").fetchall() == outbox_before
    # a batch mixing old and new stores only the new
    fresh = make(2)
    assert cache.log_calls([records[0], fresh[0], records[3], fresh[1]]) == [False, True, False, True]
    after = counts(cache.db)
    assert after["calls"] == 6 and after["outbox_calls"] == 6 and after["audit_call_saved"] == 6
    assert after["day_counts"] == 6 and after["day_handle"] == 6


def test_resend_with_changed_content_keeps_first(cache):
    (rec,) = make(1, outcome="resolved")
    cache.log_calls([rec])
    changed = dict(rec, outcome="escalated")
    assert cache.log_calls([changed]) == [False]
    assert cache.db.execute("SELECT outcome FROM calls").fetchall() == [("resolved",)]
    assert cache.db.execute(
        "SELECT n FROM call_day_counts WHERE dimension='outcome' AND value='escalated'").fetchall() == []


def test_same_id_twice_in_one_batch(cache):
    (rec,) = make(1)
    assert cache.log_calls([rec, rec]) == [True, False]
    assert counts(cache.db)["calls"] == 1 and counts(cache.db)["day_handle"] == 1


class Boom(Exception):
    pass


def test_fault_after_call_insert_leaves_nothing(cache):
    cache.log_calls(make(2))
    before = counts(cache.db)
    head_before = cache.meta("audit_head")
    seen = []

    def fault(point):
        seen.append(point)
        if point == "after_call_insert" and len(seen) == 3:
            raise Boom(point)

    batch = make(5)
    with pytest.raises(Boom):
        cache.log_calls(batch, fault=fault)
    assert seen == ["after_call_insert"] * 3
    assert counts(cache.db) == before
    assert cache.meta("audit_head") == head_before
    assert not cache.db.conn.in_transaction
    ids = {r[0] for r in cache.db.execute("SELECT call_id FROM calls")}
    assert not ids & {r["call_id"] for r in batch}
    assert verify_chain(cache.db).ok
    # the same batch saves cleanly afterwards, and the chain continues
    assert cache.log_calls(batch) == [True] * 5
    assert counts(cache.db)["calls"] == 7
    assert verify_chain(cache.db).ok


def test_fault_on_first_call(cache):
    def fault(point):
        raise Boom(point)

    with pytest.raises(Boom):
        cache.log_calls(make(1), fault=fault)
    assert counts(cache.db) == {k: 0 for k in counts(cache.db)}
    assert cache.meta("audit_head") is None


def test_stored_call_records_version_operator_workstation(sample_cache):
    cache = sample_cache
    (rec,) = make(1, operator="op-42")
    cache.log_calls([rec])
    version = cache.register_version
    assert version == "sample-2026-01-05.1"
    row = cache.db.execute("SELECT register_version, operator, workstation, record FROM calls").fetchone()
    assert row[:3] == (version, "op-42", cache.workstation)
    stored = json.loads(row[3])
    assert stored["register_version"] == version and stored["operator"] == "op-42"
    assert stored["workstation"] == cache.workstation and cache.workstation
    body = json.loads(cache.db.execute("SELECT body FROM outbox WHERE kind='call'").fetchone()[0])
    assert body == stored
    audit = cache.db.execute("SELECT operator, workstation, detail FROM audit WHERE kind='call_saved'").fetchone()
    assert audit[0] == "op-test" and audit[1] == cache.workstation
    assert json.loads(audit[2])["call_id"] == rec["call_id"]


def test_register_version_null_before_import(cache):
    cache.log_calls(make(1))
    assert cache.db.execute("SELECT register_version FROM calls").fetchone() == (None,)


def test_outbox_holds_exactly_unsynced_calls(cache):
    records = make(6)
    cache.log_calls(records)
    rows = cache.db.execute("SELECT kind, entity_id, body FROM outbox ORDER BY seq").fetchall()
    assert [r[1] for r in rows] == [r["call_id"] for r in records]
    assert {r[0] for r in rows} == {"call"}
    # sync acknowledges (removes) some; a re-send must not re-queue them
    acked = [r["call_id"] for r in records[:3]]
    with cache.db.conn:
        cache.db.execute(f"DELETE FROM outbox WHERE entity_id IN ({','.join('?' * 3)})", acked)
    assert cache.log_calls(records) == [False] * 6
    assert [r[0] for r in cache.db.execute("SELECT entity_id FROM outbox ORDER BY seq")] == [
        r["call_id"] for r in records[3:]]


def test_calls_of_person_newest_first(cache):
    a = make(1, person_id="S0001", started_at="2026-01-06T09:00:00+13:00", ended_at="2026-01-06T09:05:00+13:00")
    b = make(1, person_id="S0001", started_at="2026-01-06T08:30:00+12:00", ended_at="2026-01-06T08:35:00+12:00")
    c = make(1, person_id="S0002")
    cache.log_calls(a + b + c)
    assert [r["call_id"] for r in calls_of_person(cache.db, "S0001")] == [b[0]["call_id"], a[0]["call_id"]]


def test_saved_means_committed_for_another_connection(cache, tmp_path):
    records = make(3)
    cache.log_calls(records)
    other = connect(tmp_path / "cache.db")  # a second, keyed connection
    try:
        assert other.execute("SELECT count(*) FROM calls").fetchone()[0] == 3
        assert other.execute("SELECT count(*) FROM outbox").fetchone()[0] == 3
    finally:
        other.close()


def test_durability_settings(cache):
    assert cache.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert cache.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_concurrent_writers_keep_one_chain(cache, tmp_path):
    """Several connections saving at once: BEGIN IMMEDIATE serialises them, so
    every call, outbox row and audit entry is there and the chain is whole."""
    import threading

    from console.store.cache import Cache

    errors = []
    batches = {w: [make(1, operator=f"op-{w}") for _ in range(40)] for w in range(4)}

    def writer(w):
        own = Cache.open(tmp_path / "cache.db", operator=f"op-{w}")
        try:
            for batch in batches[w]:
                own.log_calls(batch)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            own.close()

    threads = [threading.Thread(target=writer, args=(w,)) for w in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    c = counts(cache.db)
    assert c["calls"] == c["outbox_calls"] == c["audit_call_saved"] == c["day_counts"] == c["day_handle"] == 160
    report = verify_chain(cache.db)
    assert report.ok and report.entries == 160
