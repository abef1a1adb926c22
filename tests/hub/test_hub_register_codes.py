"""Issue 14 on the hub: codes hashed on import (on every core, with progress),
and a new register version whose codes did not change keeps their hashes."""

import csv
import hashlib
import io
import zipfile

from console.hub import sealing

from tests.support.canary import CANARY, canary_register, code_forms, write_register


def snapshot_persons(db, seq) -> dict:
    with db.read() as tx:
        size = tx.value("SELECT size FROM registers WHERE seq = ?", [seq])
    with zipfile.ZipFile(io.BytesIO(db.snapshot_slice(seq, 0, size))) as archive:  # opened (it is sealed)
        text = archive.read("persons.csv").decode("utf-8")
    return {row["person_id"]: row for row in csv.DictReader(io.StringIO(text))}


def hashed(progress_calls) -> int:
    return max([done for stage, done, _ in progress_calls if stage == "codes"], default=0)


def test_a_new_version_with_unchanged_codes_hashes_nothing_again(hub_db, tmp_path):
    from console.hub.registers import import_register

    first_calls, second_calls, third_calls = [], [], []
    first, _ = import_register(hub_db, canary_register(tmp_path / "r1", "v1"),
                               progress=lambda *a: first_calls.append(a))
    with open(tmp_path / "r1" / "persons.csv", encoding="utf-8") as f:
        codes = sum(1 for row in csv.DictReader(f) if row["notification_code"])
    assert codes > 1 and hashed(first_calls) == codes
    second, imported = import_register(hub_db, canary_register(tmp_path / "r2", "v2"),
                                       progress=lambda *a: second_calls.append(a))
    assert imported and hashed(second_calls) == 0
    before, after = snapshot_persons(hub_db, first["seq"]), snapshot_persons(hub_db, second["seq"])
    assert {pid: row["notification_code_hash"] for pid, row in before.items()} == \
        {pid: row["notification_code_hash"] for pid, row in after.items()}
    # one changed code is the one hashed again
    changed = write_register(tmp_path / "r3", [dict(CANARY, notification_code="NEWC-0DE2")], "v3")
    third, _ = import_register(hub_db, changed, progress=lambda *a: third_calls.append(a))
    assert hashed(third_calls) == 1
    latest = snapshot_persons(hub_db, third["seq"])
    assert latest[CANARY["person_id"]]["notification_code_hash"] != after[CANARY["person_id"]]["notification_code_hash"]
    assert latest["S0001"]["notification_code_hash"] == after["S0001"]["notification_code_hash"]
    for row in latest.values():
        assert row["notification_code"] == ""
    assert latest[CANARY["person_id"]]["address"] == CANARY["address"]  # kept as imported


def test_importing_the_same_register_again_changes_nothing(hub_db, tmp_path):
    from console.hub.registers import import_register

    folder = canary_register(tmp_path / "r1", "v1")
    entry, imported = import_register(hub_db, folder)
    again, imported_again = import_register(hub_db, folder)
    assert imported and not imported_again and again["seq"] == entry["seq"]


def test_no_code_in_the_hub_database_or_its_log(hub_db, tmp_path, caplog):
    import logging

    from console.hub.registers import import_register
    from tests.support.canary import unzipped

    caplog.set_level(logging.DEBUG)
    import_register(hub_db, canary_register(tmp_path / "r1", "v1"))
    import_register(hub_db, write_register(tmp_path / "r2", [dict(CANARY, notification_code="NEWC-0DE2")], "v2"))
    with hub_db.read() as tx:  # what is stored, and what it holds once opened (console/hub/sealing.py)
        values = b"".join(str(v).encode() for table in ("registers", "register_codes", "changes")
                          for row in tx.all(f"SELECT * FROM {table}") for v in row if v is not None)
        values += b"".join(tx.open("register_codes", person_id, "code_hash", code_hash).encode()
                           for person_id, code_hash in tx.all("SELECT person_id, code_hash FROM register_codes"))
        values += b"".join(tx.open("changes", sealing.row_id(kind, entity_id), "body", body).encode()
                           for kind, entity_id, body in tx.all("SELECT kind, entity_id, body FROM changes"))
        sizes = tx.all("SELECT seq, size, delta_size FROM registers")
    for seq, size, delta_size in sizes:
        values += unzipped(hub_db.snapshot_slice(seq, 0, size))
        if delta_size:
            values += unzipped(hub_db.snapshot_slice(seq, 0, delta_size, "delta"))
    assert CANARY["person_id"].encode() in values and b"$argon2id$" in values
    for code in (CANARY["notification_code"], "NEWC-0DE2", "7QF2-M9DA"):
        for form in code_forms(code):
            assert form not in values
            assert form.decode() not in caplog.text


def test_registers_an_earlier_hub_kept_with_codes_keep_only_hashes_after_the_upgrade(database_location, tmp_path):
    from console.core.codes import verify_code
    from console.core.register_delta import register_digest
    from console.core.register_format import check_register
    from console.hub.registers import snapshot_bytes
    from console.hub.storage import open_database
    from tests.hub.test_hub_migrations import migrated_before, raw_transaction
    from tests.support.canary import unzipped

    given = snapshot_bytes(canary_register(tmp_path / "r1", "v1"))
    with raw_transaction(database_location) as tx:
        migrated_before(tx, "m010_register_code_hashes")
        tx.execute("INSERT INTO registers (register_version, sha256, size, digest, persons, documents, imported_at, "
                   "snapshot) VALUES ('v1', 'old', ?, 'old', 9, 7, '2026-12-01T00:00:00+00:00', ?)",
                   [len(given), given])
    db = open_database(**database_location)
    try:
        with db.read() as tx:
            stored, digest, size, sha256 = tx.one("SELECT snapshot, digest, size, sha256 FROM registers WHERE seq = 1")
        # m012 ran after m011: the rewritten snapshot is the one sealed
        assert bytes(stored).startswith(sealing.BLOB_MAGIC) and CANARY["person_id"].encode() not in bytes(stored)
        snapshot = db.snapshot_slice(1, 0, size)
        assert hashlib.sha256(snapshot).hexdigest() == sha256
        for form in code_forms(CANARY["notification_code"]):
            assert form not in unzipped(snapshot)
        assert size == len(snapshot)
        checked = check_register(snapshot)
        assert digest == register_digest({table: rows.values() for table, rows in checked.rows.items()})
        row = snapshot_persons(db, 1)[CANARY["person_id"]]
        assert verify_code(CANARY["notification_code"], row["notification_code_hash"])
        persons = sorted(snapshot_persons(db, 1))
        with db.read() as tx:  # and its persons are those of a register the hub has held (m013)
            assert sorted(tx.all("SELECT person_id, first_seq FROM register_persons")) == [(p, 1) for p in persons]
    finally:
        db.close()
