"""Issue 14, "Codes hashed at the door" and "Workstations hold what the rules
and screens use": a canary person imported on a hub and synced to a
workstation is found nowhere in clear, and the code still verifies."""

from datetime import date

import pytest

from console.core.policy import CallerClaim
from console.hub.registers import latest_register
from tests.support.canary import CANARY, canary_register, code_forms, every_value, unzipped
from tests.support.hub import HubProcess, prepare_hub
from tests.support.workstation import Workstation

OPERATORS = (("op-1", "operator"), ("sup-1", "supervisor"))


def canary_claim(code: str) -> CallerClaim:
    return CallerClaim(CANARY["family_name"], "Tui", date.fromisoformat(CANARY["date_of_birth"]), code=code)


@pytest.fixture
def synced(tmp_path):
    """A SQLite hub holding the canary register and a workstation synced from it."""
    location = {"data": str(tmp_path / "hub-data")}
    prepare_hub(location, canary_register(tmp_path / "register"), OPERATORS, content=True)
    hub = HubProcess(location, tmp_path).start()
    ws = Workstation(tmp_path / "ws.db", "op-1", hub.url)
    ws.sync()
    yield hub, ws
    ws.close()
    hub.kill()


def test_the_canary_code_is_in_no_file_of_the_hub_and_not_in_its_decrypted_database(synced, tmp_path):
    hub, _ = synced
    hub.stop()
    files = [p for p in (tmp_path / "hub-data").rglob("*") if p.is_file()]
    assert any(p.name == "hub.db" for p in files)
    for path in files:  # hub.db, its -wal and -shm, whatever else is there
        data = path.read_bytes()
        for form in code_forms(CANARY["notification_code"]):
            assert form not in data, path
    db = hub.database()
    try:
        dumped = every_value(db._connection())
        # and the register's snapshot opened (the hub seals it: console/hub/sealing.py)
        entry = latest_register(db)
        dumped += unzipped(db.snapshot_slice(entry["seq"], 0, entry["size"]))
    finally:
        db.close()
    assert CANARY["person_id"].encode() in dumped  # the dump does read the register
    for form in code_forms(CANARY["notification_code"]):
        assert form not in dumped
    # the hub keeps the register as imported, but the code
    assert CANARY["address"].encode() in dumped


def test_the_decrypted_workstation_cache_holds_no_code_no_street_address_no_postcode(synced):
    _, ws = synced
    ws.cache.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    dumped = every_value(ws.cache.db)
    assert CANARY["person_id"].encode() in dumped and CANARY["nhi"].encode() in dumped
    for form in code_forms(CANARY["notification_code"]):
        assert form not in dumped
    assert CANARY["address"].encode() not in dumped
    columns = {row[1] for row in ws.cache.db.execute("PRAGMA table_info(persons)")}
    assert not columns & {"address", "postcode", "notification_code"}
    assert ws.cache.db.execute("SELECT notification_code_hash FROM persons WHERE person_id = ?",
                               [CANARY["person_id"]]).fetchone()[0].startswith("$argon2id$v=19$m=4096,t=1,p=1$")


def test_the_code_verifies_on_a_workstation_synced_from_the_hub(synced):
    _, ws = synced
    assert ws.cache.verify_caller(canary_claim("qz7x cn4r y9")).decision.verified
    decision = ws.cache.verify_caller(canary_claim("QZ7X-CN4R-Y8")).decision
    assert not decision.verified and decision.reason == "insufficient"


def test_the_snapshot_a_workstation_receives_carries_hashes_never_codes(synced):
    import httpx

    from tests.support.canary import unzipped

    hub, _ = synced
    offer = hub.register()
    data = b""
    while len(data) < offer["size"]:
        answer = httpx.get(f"{hub.url}/v1/register/{offer['seq']}/snapshot", headers=hub.admin_headers(),
                           auth=hub.auth, params={"offset": len(data), "length": 1 << 20}, timeout=10)
        answer.raise_for_status()
        data += answer.content
    body = unzipped(data)
    assert b"notification_code_hash" in body and b"$argon2id$" in body
    for form in code_forms(CANARY["notification_code"]):
        assert form not in body
