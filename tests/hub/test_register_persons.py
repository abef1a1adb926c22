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
