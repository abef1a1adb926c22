"""The audit hash chain: intact after real operations; every kind of tampering
is found at the right first broken link, by the store and by the CLI."""

import json
import shutil
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from console.core.calls import validate_call_record
from console.core.policy import CallerClaim
from console.store import callbacks
from console.store.audit import GENESIS, list_audit, verify_chain
from console.store.cache import Cache
from console.store.connection import connect
from console.store.search import SearchQuery

NZ = timezone(timedelta(hours=13))


def a_call(i: int) -> dict:
    return validate_call_record({
        "started_at": f"2026-01-06T09:{i:02d}:00+13:00", "ended_at": f"2026-01-06T09:{i:02d}:45+13:00",
        "caller_type": "patient", "verification": "not_verified", "outcome": "callback",
    }, operator="op-a")


def do_real_work(cache: Cache) -> None:
    cache.search(SearchQuery(name="Pōtae"))
    cache.verify_caller(CallerClaim(family_name="Potae", given_name="Wiremu", date_of_birth=date(1944, 12, 24),
                                    code="BILL-2024"), datetime(2026, 1, 6, 9, tzinfo=NZ))
    cache.verify_caller(CallerClaim(family_name="Potae", given_name="Wiremu", date_of_birth=date(1944, 12, 24)),
                        datetime(2026, 1, 6, 9, 5, tzinfo=NZ))
    cache.log_calls([a_call(i) for i in range(3)])
    booked = callbacks.book_callback(cache.db, CallerClaim(family_name="Pōtae", given_name="Wiremu",
                                                           date_of_birth=date(1944, 12, 24)),
                                     operator=cache.operator, workstation=cache.workstation)
    callbacks.assign_callback(cache.db, booked["callback_id"], "op-b", operator=cache.operator,
                              workstation=cache.workstation)
    callbacks.complete_callback(cache.db, booked["callback_id"], "answered", operator="op-b",
                                workstation=cache.workstation)
    cache.unlock("S0008", reason="test")
    cache.record_export("calls", 3, format="csv")


@pytest.fixture
def worked(sample_cache, tmp_path):
    do_real_work(sample_cache)
    report = verify_chain(sample_cache.db)
    assert report.ok, report
    return sample_cache


def tampered_copy(cache: Cache, tmp_path, name: str, *statements) -> Cache:
    """A copy of the cache with raw SQL applied, as someone with the file could."""
    target = tmp_path / f"{name}.db"
    backup = connect(target)  # the cache is encrypted: a keyed connection
    cache.db.conn.backup(backup)
    for sql, params in statements:
        backup.execute(sql, params)
    backup.commit()
    backup.close()
    return Cache.open(target)


def entries(cache: Cache) -> int:
    return cache.db.execute("SELECT count(*) FROM audit").fetchone()[0]


def test_real_operations_chain(worked):
    kinds = [e["kind"] for e in list_audit(worked.db)]
    for kind in ("register_import", "search", "verification", "disclosure", "call_saved", "callback_booked",
                 "callback_assigned", "callback_completed", "unlock", "export"):
        assert kind in kinds
    report = verify_chain(worked.db)
    assert report.ok and report.entries == len(kinds) and report.first_broken_seq is None
    rows = worked.db.execute("SELECT seq, prev_hash, hash FROM audit ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0][1] == GENESIS
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, len(rows)))
    assert worked.meta("audit_head") == f"{len(rows)}:{rows[-1][2]}"


def test_nothing_caller_said_in_audit(worked):
    text = json.dumps(list_audit(worked.db), ensure_ascii=False)
    for said in ("Potae", "Pōtae", "Wiremu", "BILL-2024", "1944-12-24"):
        assert said not in text


def test_edited_detail(worked, tmp_path):
    n = entries(worked)
    for k in (1, n // 2, n):
        copy = tampered_copy(worked, tmp_path, f"edit{k}",
                             ("UPDATE audit SET detail = json_set(detail, '$.forged', 1) WHERE seq = ?", [k]))
        report = verify_chain(copy.db)
        assert not report.ok and report.first_broken_seq == k and report.entries == k - 1
        assert "altered" in report.problem
        copy.close()


def test_edited_other_fields(worked, tmp_path):
    k = entries(worked) // 2
    for column, value in (("operator", "someone-else"), ("person_id", "S0001"), ("at", "2020-01-01T00:00:00"),
                          ("kind", "search"), ("workstation", "elsewhere")):
        copy = tampered_copy(worked, tmp_path, f"edit-{column}", (f"UPDATE audit SET {column} = ? WHERE seq = ?", [value, k]))
        report = verify_chain(copy.db)
        assert (report.ok, report.first_broken_seq) == (False, k), column
        copy.close()


def test_rehashed_edit_breaks_the_next_link(worked, tmp_path):
    """Recomputing the edited entry's own hash moves the break to the next entry."""
    from console.core.audit_chain import entry_hash

    n = entries(worked)
    k = n // 2
    row = worked.db.execute("SELECT entry_id, at, operator, workstation, kind, person_id, prev_hash FROM audit "
                            "WHERE seq = ?", [k]).fetchone()
    detail = json.dumps({"forged": True}, separators=(",", ":"))
    digest = entry_hash(row[6], row[0], row[1], row[2], row[3], row[4], row[5], detail)
    copy = tampered_copy(worked, tmp_path, "rehash", ("UPDATE audit SET detail = ?, hash = ? WHERE seq = ?", [detail, digest, k]))
    report = verify_chain(copy.db)
    assert (report.ok, report.first_broken_seq) == (False, k + 1)
    assert "does not follow" in report.problem
    copy.close()
    # the last entry rehashed: caught by the recorded head
    row = worked.db.execute("SELECT entry_id, at, operator, workstation, kind, person_id, prev_hash FROM audit "
                            "WHERE seq = ?", [n]).fetchone()
    digest = entry_hash(row[6], row[0], row[1], row[2], row[3], row[4], row[5], detail)
    copy = tampered_copy(worked, tmp_path, "rehash-last", ("UPDATE audit SET detail = ?, hash = ? WHERE seq = ?", [detail, digest, n]))
    report = verify_chain(copy.db)
    assert (report.ok, report.first_broken_seq) == (False, n)
    copy.close()


def test_deleted_middle_entry(worked, tmp_path):
    n = entries(worked)
    for k in (1, n // 2):
        copy = tampered_copy(worked, tmp_path, f"del{k}", ("DELETE FROM audit WHERE seq = ?", [k]))
        report = verify_chain(copy.db)
        assert (report.ok, report.first_broken_seq) == (False, k)
        assert "missing" in report.problem
        copy.close()
    # deleted and the rest renumbered to hide the gap
    k = n // 2
    copy = tampered_copy(worked, tmp_path, "del-renumber", ("DELETE FROM audit WHERE seq = ?", [k]),
                         ("UPDATE audit SET seq = -seq WHERE seq > ?", [k]),
                         ("UPDATE audit SET seq = -seq - 1 WHERE seq < 0", []),
                         ("UPDATE meta SET value = ? || substr(value, instr(value, ':')) WHERE key = 'audit_head'", [str(n - 1)]))
    report = verify_chain(copy.db)
    assert (report.ok, report.first_broken_seq) == (False, k)
    copy.close()


@pytest.mark.parametrize("pair", ["adjacent", "apart"])
def test_swapped_entries(worked, tmp_path, pair):
    n = entries(worked)
    i = n // 3
    j = i + 1 if pair == "adjacent" else i + 4
    copy = tampered_copy(worked, tmp_path, f"swap-{pair}",
                         ("UPDATE audit SET seq = -1 WHERE seq = ?", [i]),
                         ("UPDATE audit SET seq = ? WHERE seq = ?", [i, j]),
                         ("UPDATE audit SET seq = ? WHERE seq = -1", [j]))
    report = verify_chain(copy.db)
    assert (report.ok, report.first_broken_seq, report.entries) == (False, i, i - 1)
    assert "does not follow" in report.problem
    copy.close()


@pytest.mark.parametrize("cut", [1, 3])
def test_truncated_end(worked, tmp_path, cut):
    n = entries(worked)
    copy = tampered_copy(worked, tmp_path, f"cut{cut}", ("DELETE FROM audit WHERE seq > ?", [n - cut]))
    report = verify_chain(copy.db)
    assert (report.ok, report.first_broken_seq, report.entries) == (False, n - cut + 1, n - cut)
    assert "cut off" in report.problem
    copy.close()


def test_everything_deleted(worked, tmp_path):
    copy = tampered_copy(worked, tmp_path, "all", ("DELETE FROM audit", []))
    report = verify_chain(copy.db)
    assert (report.ok, report.first_broken_seq) == (False, 1)
    copy.close()


def test_head_record_removed(worked, tmp_path):
    copy = tampered_copy(worked, tmp_path, "nohead", ("DELETE FROM meta WHERE key = 'audit_head'", []))
    report = verify_chain(copy.db)
    assert not report.ok and "missing" in report.problem
    copy.close()


def test_empty_chain_ok(cache):
    assert verify_chain(cache.db).as_json() == {"ok": True, "entries": 0, "first_broken": None, "problem": None}


def test_cli_audit_verify(system_keyring, worked, tmp_path, cli):
    path = tmp_path / "cache.db"
    n = entries(worked)
    ok = cli("--db", path, "audit", "verify", "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"ok": True, "entries": n, "first_broken": None, "problem": None}
    text = cli("--db", path, "audit", "verify")
    assert text.returncode == 0 and f"{n:,} entries" in text.stdout

    k = n // 2
    copy = tampered_copy(worked, tmp_path, "cli-edit", ("UPDATE audit SET detail = '{}' WHERE seq = ?", [k]))
    copy.close()
    bad = cli("--db", tmp_path / "cli-edit.db", "audit", "verify", "--json")
    assert bad.returncode == 1
    got = json.loads(bad.stdout)
    assert got["ok"] is False and got["first_broken"] == k and got["entries"] == k - 1
    bad_text = cli("--db", tmp_path / "cli-edit.db", "audit", "verify")
    assert bad_text.returncode == 1 and f"BROKEN at entry {k}" in bad_text.stdout

    copy = tampered_copy(worked, tmp_path, "cli-cut", ("DELETE FROM audit WHERE seq > ?", [n - 2]))
    copy.close()
    cut = cli("--db", tmp_path / "cli-cut.db", "audit", "verify", "--json")
    assert cut.returncode == 1 and json.loads(cut.stdout)["first_broken"] == n - 1


def test_audit_list_since(system_keyring, sample_cache, tmp_path, cli):
    cache = sample_cache
    cache.log_calls([a_call(1)])
    time.sleep(0.01)
    mark = datetime.now(timezone.utc)
    time.sleep(0.01)
    cache.log_calls([a_call(2), a_call(3)])
    later = [e for e in list_audit(cache.db, since=mark)]
    assert [e["kind"] for e in later] == ["call_saved", "call_saved"]
    assert all(e["at"] >= mark.isoformat() for e in later)
    before = list_audit(cache.db, until=mark)
    assert {e["kind"] for e in before} == {"register_import", "call_saved"}
    assert len(before) + len(later) == entries(cache)
    assert list_audit(cache.db, kind="call_saved", limit=1)[0]["seq"] == 2

    path = tmp_path / "cache.db"
    since = mark.astimezone(NZ).isoformat()
    listed = cli("--db", path, "--operator", "op-sup", "audit", "list", "--since", since, "--json")
    assert listed.returncode == 0, listed.stderr
    got = json.loads(listed.stdout)["entries"]
    assert [e["kind"] for e in got] == ["call_saved", "call_saved"]
    assert {e["detail"]["call_id"] for e in got} == {e["detail"]["call_id"] for e in later}
    # listing is itself audited, and the chain stays whole
    again = Cache.open(path)
    try:
        last = list_audit(again.db)[-1]
        assert last["kind"] == "export" and last["operator"] == "op-sup" and last["detail"]["what"] == "audit"
        assert verify_chain(again.db).ok
    finally:
        again.close()
    bad = cli("--db", path, "audit", "list", "--since", "last tuesday", "--json")
    assert bad.returncode == 2 and json.loads(bad.stdout)["errors"]
