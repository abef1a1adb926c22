"""Issue 13: the hub keeps every person of every register it has held
(register_persons), so a pushed record's person is judged against the
registers workstations got, even once a newer register dropped them."""

from tests.support.canary import CANARY, canary_register, write_register


def test_every_person_of_every_register_held_stays_known(hub_db, tmp_path):
    from console.hub.registers import import_register, persons_known

    import_register(hub_db, canary_register(tmp_path / "r1", "v1"))
    other = dict(CANARY, person_id="OTHER-2", nhi="ZZZ0016")
    import_register(hub_db, write_register(tmp_path / "r2", [other], "v2"))
    with hub_db.read() as tx:
        assert persons_known(tx, ["CANARY-1", "OTHER-2", "NOBODY-3", "CANARY-1"]) == {"CANARY-1", "OTHER-2"}
        assert tx.value("SELECT first_seq FROM register_persons WHERE person_id = 'OTHER-2'") == 2


def test_the_upgrade_keeps_the_persons_of_the_registers_held_and_skips_retired_snapshots(database_location, tmp_path):
    from console.hub.registers import snapshot_bytes
    from console.hub.storage import open_database
    from tests.hub.test_hub_migrations import migrated_before, raw_transaction

    given = snapshot_bytes(canary_register(tmp_path / "r1", "v1"))
    with raw_transaction(database_location) as tx:
        migrated_before(tx, "m013_register_persons")
        for version, snapshot in (("v0", b""), ("v1", given)):  # v0's snapshot was retired (its bytes deleted)
            tx.execute("INSERT INTO registers (register_version, sha256, size, digest, persons, documents, "
                       "imported_at, snapshot) VALUES (?, 'x', ?, 'x', 9, 7, '2026-12-01T00:00:00+00:00', ?)",
                       [version, len(snapshot), snapshot])
    db = open_database(**database_location)
    try:
        with db.read() as tx:
            kept = tx.all("SELECT person_id, first_seq FROM register_persons")
    finally:
        db.close()
    assert (CANARY["person_id"], 2) in kept and {seq for _, seq in kept} == {2} and len(kept) == 9
