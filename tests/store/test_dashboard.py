"""The dashboard from the local cache: every figure against the seeded records,
the work queues, taking up an escalation, and the role that may do it."""

import json
from datetime import datetime, timedelta

import pytest

from console.core.roles import NotPermitted
from console.store.cache import Cache
from console.store.dashboard import EscalationError
from seed_dashboard import AT, DAY, expected_figures, local_day, seed

PASSWORD = "correct horse battery"


@pytest.fixture
def seeded(sample_cache):
    return seed(sample_cache)


def test_every_figure_equals_the_seeded_records(sample_cache, seeded, sample_register):
    figures = sample_cache.dashboard(DAY, at=AT, in_progress=None)
    want = expected_figures(seeded, sample_register)
    assert want["calls"] > 300 and want["by_practice"] and want["escalations_awaiting"] and want["calls_this_hour"]
    for key, value in want.items():
        assert figures[key] == value, key
    assert figures["in_progress"] is None and figures["source"] == "local"
    assert figures["practice_names"] == {code: name for code, name in (
        ("NP01", "Kerikeri Medical Centre"), ("NP02", "Far North Health"), ("AP07", "Manurewa Family Doctors"),
    ) if code in figures["by_practice"]}
    assert list(figures["by_region"])[0] == "Northland"


def test_yesterday_and_an_empty_day(sample_cache, seeded, sample_register):
    yesterday = DAY - timedelta(days=1)
    figures = sample_cache.dashboard(yesterday, at=AT)
    want = expected_figures(seeded, sample_register, day=yesterday)
    for key in ("calls", "by_outcome", "handle_time_seconds", "calls_per_hour", "verification"):
        assert figures[key] == want[key], key
    assert figures["calls_this_hour"] is None
    empty = sample_cache.dashboard(DAY + timedelta(days=30), at=AT)
    assert empty["calls"] == 0 and empty["handle_time_seconds"] == {"median": None, "p90": None}


def test_calls_stored_before_the_dashboard_get_its_tallies(sample_cache, seeded, sample_register):
    from console.store.connection import write_transaction
    from console.store.schema import add_dashboard_tallies

    dimensions = "('assurance', 'flag', 'scam', 'practice')"
    with write_transaction(sample_cache.db):
        for bucket in ("day", "hour"):
            sample_cache.db.execute(f"DELETE FROM call_{bucket}_counts WHERE dimension IN {dimensions}")
    assert sample_cache.dashboard(DAY, at=AT)["verified_by"] == {"possession": 0, "knowledge": 0}
    with write_transaction(sample_cache.db):
        add_dashboard_tallies(sample_cache.db)
    figures = sample_cache.dashboard(DAY, at=AT)
    want = expected_figures(seeded, sample_register)
    for key in ("verified_by", "by_practice", "extortion_reports", "scam_reports"):
        assert figures[key] == want[key], key


def test_queues_hold_no_caller_s_words(sample_cache, seeded):
    queues = sample_cache.supervisor_queues(at=AT)
    callbacks = queues["open_callbacks"]  # every open one may be assigned; the overdue are marked
    assert [c["callback_id"] for c in callbacks] == [c["callback_id"] for c in seeded["callbacks"][:4]]
    assert [c["overdue"] for c in callbacks] == [True, True, False, False]
    assert queues["overdue_callbacks_total"] == 2 and queues["open_callbacks_total"] == 4
    assert [p["person_id"] for p in queues["locked"]] == ["S0006"]
    awaiting = {r["call_id"] for r in seeded["records"] if r["outcome"] == "escalated"
                and timedelta(0) <= AT.date() - local_day(r) < timedelta(days=7)} - seeded["acknowledged"]
    assert {e["call_id"] for e in queues["escalations"]} == awaiting and queues["escalations_total"] == len(awaiting)
    started = [e["started_at"] for e in queues["escalations"]]
    assert started == sorted(started, key=lambda text: datetime.fromisoformat(text))
    shown = json.dumps(queues, ensure_ascii=False)
    # persons are named as the register names them (a supervisor may search it), never as a caller said
    assert [p["person_name"] for p in queues["locked"]] == ["Jane Smith"]
    for private in ("09 401 7777", "bank details"):
        assert private not in shown


def test_taking_up_an_escalation(sample_cache, seeded):
    queue = sample_cache.supervisor_queues(at=AT)["escalations"]
    call_id = queue[-1]["call_id"]
    sample_cache.acknowledge_escalation(call_id, note="called the caller back")
    assert call_id not in {e["call_id"] for e in sample_cache.supervisor_queues(at=AT)["escalations"]}
    entry = sample_cache.db.execute(
        "SELECT operator, detail FROM audit WHERE kind = 'escalation_acknowledged' ORDER BY seq DESC LIMIT 1").fetchone()
    assert entry[0] == "op-test" and json.loads(entry[1]) == {"call_id": call_id, "note": "called the caller back"}
    with pytest.raises(EscalationError, match="already taken up by op-test"):
        sample_cache.acknowledge_escalation(call_id)
    resolved = next(r for r in seeded["records"] if r["outcome"] == "resolved")
    with pytest.raises(EscalationError, match="was not escalated"):
        sample_cache.acknowledge_escalation(resolved["call_id"])
    with pytest.raises(EscalationError, match="no call"):
        sample_cache.acknowledge_escalation("no-such-call")
    assert sample_cache.verify_audit().ok


def test_only_supervisors_see_the_dashboard(tmp_path, sample_register):
    cache = Cache.open(tmp_path / "roles.db")
    cache.import_register(sample_register)
    cache.add_operator("admin-1", "admin", PASSWORD)
    cache.add_operator("op-1", "operator", PASSWORD)
    cache.add_operator("sup-1", "supervisor", PASSWORD)
    for who, allowed in (("op-1", False), ("sup-1", True), ("admin-1", True)):
        cache.sign_in(who, PASSWORD)
        if allowed:
            assert cache.dashboard(DAY, at=AT)["calls"] == 0
            assert cache.supervisor_queues(at=AT)["locked"] == []
        else:
            for operation in (lambda: cache.dashboard(), lambda: cache.supervisor_queues(),
                              lambda: cache.acknowledge_escalation("x")):
                with pytest.raises(NotPermitted, match="Only a supervisor or above"):
                    operation()
    cache.close()


def test_the_escalation_queue_reads_its_index_alone(sample_cache):
    from console.store.dashboard import AWAITING

    plan = " ".join(row[-1] for row in sample_cache.db.execute(
        f"EXPLAIN QUERY PLAN SELECT call_id, started_at, operator, caller_type, verification, region, workstation "
        f"{AWAITING} ORDER BY started_utc", ["2026", "2027"]))
    assert "USING COVERING INDEX idx_calls_escalated" in plan
