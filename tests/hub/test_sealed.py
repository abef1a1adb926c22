"""Personal data sealed by the hub (console/hub/sealing.py): a canary person
(with a notification code), call, callback, unlock and audit entry, a caller's
number through the CTI endpoint, a blocked number and a live message, sent
through a real hub process, are nowhere in clear in a `pg_dump` of the
PostgreSQL hub nor in any file of the SQLite hub's data folder; an encrypted
dump restores to a fresh database that the hub opens with the same key file
and serves them from."""

import csv
import glob
import hashlib
import json
import os
import shutil
import subprocess
import uuid
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import httpx
import psycopg
import pytest

from console.core import attest
from console.core.audit_chain import entry_hash
from console.core.nhi import check_character
from console.hub import sealing
from console.hub.storage import DatabaseUnavailable, open_database
from tests.hub.bodies import Chain, audit_item, call_item, callback_item, unlock_item
from tests.hub.conftest import WORKSTATION, Hub, HubProcess, enrolled_in
from tests.support.hub import PASSWORD, prepare_hub, serve_persons

CANARY = {
    "name": "Canaryfamilyname",
    "phone": "021 987 6543",
    "address": "77 Canarystreet Lane",
    "note": "canary-note-8d41e2 she read us her bank card",
    "reason": "canary-reason-3b9f70 passport seen at the desk",
    "callback": "canary-callback-c0ffee ring after 5",
    "audit": "canary-audit-5e5e5e",
    "code": "Q7Z3-CN4R",
    "live": "canary-live-9a7c1e texts from 021 334 5873 are the scam",
}
# a caller who rang the line and gave up (through the CTI endpoint), and a blocked number, in the forms
# a database could hold them: as the PBX sent them, E.164, and their digits
MISSED_NUMBER, BLOCKED_NUMBER = "021 334 5871", "021 334 5872"
NUMBER_FORMS = ("021 334 5871", "+64213345871", "0213345871", "213345871",
                "021 334 5872", "+64213345872", "0213345872", "213345872")


def canary_nhi() -> str:
    """A valid NHI no other register or test holds."""
    for digits in range(100, 1000):
        body = f"QZX{digits:03d}"
        check = check_character(body)
        if check is not None:
            return body + check
    raise AssertionError("no NHI")


def canary_register(folder: Path, nhi: str) -> Path:
    """The sample register with one more person: the canary."""
    from tests.conftest import SAMPLE_REGISTER

    shutil.copytree(SAMPLE_REGISTER, folder)
    with open(folder / "persons.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    canary = dict(rows[0], person_id="C0001", nhi=nhi, family_name=CANARY["name"], given_names="Tui",
                  preferred_name="", phones=CANARY["phone"], email="", address=CANARY["address"],
                  notification_code=CANARY["code"])
    with open(folder / "persons.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([*rows, canary])
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["counts"]["persons"] += 1
    manifest["register_version"] = "canary-2026-01-05.1"
    manifest["sha256"]["persons.csv"] = hashlib.sha256((folder / "persons.csv").read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def canaries(nhi: str) -> list[bytes]:
    return [value.encode() for value in (nhi, *CANARY.values(), *NUMBER_FORMS)]


def code_hashes(db) -> dict[str, bytes]:
    """The argon2id hashes of the register's codes by person (sealed in register_codes and in the
    snapshot), opened."""
    with db.read() as tx:
        hashes = {person_id: tx.open("register_codes", person_id, "code_hash", code_hash).encode()
                  for person_id, code_hash in tx.all("SELECT person_id, code_hash FROM register_codes")}
    assert hashes and all(h.startswith(b"$argon2id$") for h in hashes.values())
    return hashes


def cti_event(kind: str, call_id: str, number: str, **extra) -> dict:
    return {"event": kind, "callId": call_id, "from": number, "to": "0800 111 222", "direction": "in",
            "queue": "helpline", **extra}


def push_canaries(server: HubProcess, cti: str) -> dict:
    """Through the real hub: a call with the canary note, a callback with canary notes, an unlock with the
    canary reason and an audit entry naming the canary, pushed by the supervisor who made them; the live
    message; a missed call and a blocked number's call posted by the PBX at `cti`."""
    with httpx.Client(base_url=server.url + "/v1", auth=server.auth, timeout=30) as client:
        signed = client.post("/sessions", json={"operator_id": "sup-1", "password": PASSWORD,
                                                "workstation": WORKSTATION})
        assert signed.status_code == 200, signed.text
        headers = {"Authorization": f"Bearer {signed.json()['token']}"}
        call = call_item(operator="sup-1", notes=CANARY["note"], person_id="C0001")
        callback = callback_item("cb-canary", booked_by="sup-1", assigned_to="sup-1", notes=CANARY["callback"],
                                 person_ids=["C0001"])
        unlock = unlock_item(person_id="C0001")
        unlock["body"]["reason"] = CANARY["reason"]
        chain = Chain()
        entry = chain.append("disclosure", "C0001", {"note": CANARY["audit"]})
        entry["operator"] = "sup-1"  # the supervisor's own entry: its hash again with that author
        entry["hash"] = entry_hash(entry["prev_hash"], entry["entry_id"], entry["at"], "sup-1", WORKSTATION,
                                   entry["kind"], entry["person_id"], entry["detail"])
        reply = client.post("/push", headers=headers, json={
            "workstation": WORKSTATION, "items": [call, callback, unlock, audit_item(entry)],
            "audit_head": {"seq": 1, "hash": entry["hash"]}})
        assert reply.status_code == 200, reply.text
        assert [r["status"] for r in reply.json()["results"]] == ["stored"] * 4, reply.text
        assert client.post("/message", headers=headers, json={"text": CANARY["live"]}).status_code == 200
        for event in (cti_event("newCall", "cti-1", MISSED_NUMBER), cti_event("hangup", "cti-1", MISSED_NUMBER,
                                                                               cause="cancel")):
            assert client.post(cti, json=event).json() == {"stored": True}
        assert client.post(cti, json=cti_event("newCall", "cti-2", BLOCKED_NUMBER)).json()["action"] == "reject"
        served = {
            "callbacks": client.get("/callbacks", headers=headers, params={"which": "all"}).json()["callbacks"],
            "audit": client.get("/audit", headers=headers).json()["entries"],
            "register": client.get("/register", headers=headers).json(),
            "message": client.get("/message", headers=headers).json(),
            "missed": client.get("/missed-callers", headers=headers).json()["missed_callers"],
        }
    return {"call_id": call["id"], "headers": headers, "served": served}


@pytest.fixture
def canary_hub(database_location, tmp_path):
    from console.hub import telephony

    nhi = canary_nhi()
    prepare_hub(database_location, canary_register(tmp_path / "register", nhi), (("sup-1", "supervisor"),))
    db = open_database(**database_location)
    try:  # as `hub telephony add-pbx` and `hub telephony block` do
        token = telephony.add_pbx(db, "pbx-1")
        telephony.block_number(db, BLOCKED_NUMBER)
    finally:
        db.close()
    server = HubProcess(database_location, tmp_path / "logs", device=enrolled_in(database_location, WORKSTATION))
    server.start()
    try:
        pushed = push_canaries(server, f"/cti/{token}")
    finally:
        server.stop()
    return {"nhi": nhi, "log": server.output(), **pushed}


def assert_served(pushed: dict) -> None:
    """The hub served the canaries back in clear to its authorised supervisor, and logged none of them."""
    for canary in canaries(pushed["nhi"]):
        assert canary.decode() not in pushed["log"], canary
    served = pushed["served"]
    assert any(c.get("notes") == CANARY["callback"] for c in served["callbacks"]), served["callbacks"]
    assert any(e["detail"] == {"note": CANARY["audit"]} for e in served["audit"]), served["audit"]
    assert served["register"]["persons"] == 9
    assert served["message"]["text"] == CANARY["live"]
    assert [(m["number"], m["calls"]) for m in served["missed"]] == [("021 334 5871", 1)], served["missed"]


# PostgreSQL: pg_dump holds ciphertext only


def pg_binary(name: str) -> str:
    """The PostgreSQL program beside the server the fixtures start (the newest installed), else on PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3]))
    if found and not os.environ.get("HELPLINE_TEST_DATABASE_URL"):
        return found[-1]
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


def schema_of(url: str) -> str:
    options = parse_qs(urlsplit(url).query)["options"][0]
    return unquote(options).removeprefix("-csearch_path=")


def without_query(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(query=""))


def pg_dump(url: str, *args: str) -> bytes:
    done = subprocess.run([pg_binary("pg_dump"), "--schema", schema_of(url), *args, without_query(url)],
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@pytest.mark.parametrize("backend", ["postgresql"])
def test_pg_dump_of_the_hub_holds_no_canary_in_clear(canary_hub, database_location):
    assert_served(canary_hub)
    dump = pg_dump(database_location["database_url"], "--format=plain")
    assert b"CREATE TABLE" in dump and len(dump) > 10_000  # the dump has the tables and their rows
    for canary in canaries(canary_hub["nhi"]):
        assert canary not in dump, canary
    # and the hub still reads them: the figures, the call's own record
    db = open_database(**database_location)
    try:
        hashes = code_hashes(db)
        assert "C0001" in hashes and all(h not in dump for h in hashes.values())
        with db.read() as tx:
            record = tx.one("SELECT record FROM calls WHERE call_id = ?", [canary_hub["call_id"]])[0]
            assert CANARY["note"] in tx.open("calls", canary_hub["call_id"], "record", record)
            assert tx.value("SELECT outcome FROM calls") == "resolved"  # figures stay plain columns
        assert _in_zip(db, CANARY["address"])
    finally:
        db.close()


def _in_zip(db, text: str) -> bool:
    import io
    import zipfile

    from console.hub.registers import latest_register

    entry = latest_register(db)
    with zipfile.ZipFile(io.BytesIO(db.snapshot_slice(entry["seq"], 0, entry["size"]))) as archive:
        return any(text.encode() in archive.read(name) for name in archive.namelist())


@pytest.mark.parametrize("backend", ["postgresql"])
def test_an_encrypted_pg_dump_restores_to_a_hub_serving_the_canaries(canary_hub, database_location, postgres_server,
                                                                     tmp_path):
    """The README's recipe: pg_dump -Fc | gpg --symmetric, then gpg --decrypt | pg_restore into a fresh
    database, opened by the hub with the same key file."""
    url = database_location["database_url"]
    gnupg = tmp_path / "gnupg"
    gnupg.mkdir(mode=0o700)
    passphrase = tmp_path / "backup.pass"
    passphrase.write_text("a backup passphrase kept apart from the dumps\n")
    gpg = ["gpg", "--homedir", str(gnupg), "--batch", "--pinentry-mode", "loopback", "--passphrase-file",
           str(passphrase)]
    backup = tmp_path / "hub.dump.gpg"
    dump = pg_dump(url, "--format=custom")
    try:
        subprocess.run([*gpg, "--symmetric", "--cipher-algo", "AES256", "--output", str(backup)], input=dump,
                       check=True, capture_output=True, timeout=120)
        clear = subprocess.run([*gpg, "--decrypt", str(backup)], check=True, capture_output=True, timeout=120).stdout
    finally:  # the agent gpg started for this home folder ends with the test, not with the machine
        subprocess.run(["gpgconf", "--homedir", str(gnupg), "--kill", "gpg-agent"], capture_output=True, timeout=60)
    encrypted = backup.read_bytes()
    assert encrypted and dump[:5] not in encrypted[:64]
    for canary in canaries(canary_hub["nhi"]):
        assert canary not in encrypted

    fresh = f"helpline_restored_{schema_of(url).removeprefix('hub_test_')}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{fresh}"')
    restored_url = urlunsplit(urlsplit(url)._replace(path=f"/{fresh}"))
    try:
        done = subprocess.run([pg_binary("pg_restore"), "--no-owner", "--dbname", without_query(restored_url)],
                              input=clear, capture_output=True, timeout=120)
        assert done.returncode == 0, done.stderr.decode()
        db = open_database(database_url=restored_url)
        hub = Hub(db)
        try:
            signed = hub.sign_in("sup-1", PASSWORD)
            assert signed.status_code == 200, signed.text
            headers = {"Authorization": f"Bearer {signed.json()['token']}"}
            callbacks = hub.client.get("/v1/callbacks", headers=headers, params={"which": "all"}).json()["callbacks"]
            assert [c["notes"] for c in callbacks] == [CANARY["callback"]]
            audit = hub.client.get("/v1/audit", headers=headers).json()["entries"]
            assert [e["detail"] for e in audit] == [{"note": CANARY["audit"]}]
            assert hub.client.get("/v1/stats", headers=headers).json()["calls"] == 1
            with db.read() as tx:
                record = tx.value("SELECT record FROM calls WHERE call_id = ?", [canary_hub["call_id"]])
                assert json.loads(tx.open("calls", canary_hub["call_id"], "record", record))["notes"] == CANARY["note"]
            assert _in_zip(db, CANARY["address"])
        finally:
            hub.client.close()
            db.close()
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{fresh}" WITH (FORCE)')


# SQLite: every file of the data folder (SQLCipher, and sealed columns inside)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_canary_in_any_file_of_the_sqlite_hubs_data_folder(canary_hub, database_location):
    assert_served(canary_hub)
    files = [Path(root) / name for root, _, names in os.walk(database_location["data"]) for name in names]
    assert any(f.name == "hub.db" for f in files)
    db = open_database(**database_location)
    try:
        hashes = code_hashes(db)
    finally:
        db.close()
    assert "C0001" in hashes
    for path in files:
        data = path.read_bytes()
        for canary in [*canaries(canary_hub["nhi"]), *hashes.values()]:
            assert canary not in data, (path, canary)


# the sealing itself


def test_a_sealed_value_opens_only_in_its_own_table_row_and_column(hub_db):
    with hub_db.write() as tx:
        sealed = tx.seal("calls", "call-1", "record", '{"notes": "x"}')
        assert sealed.startswith(f"s{sealing.KEY_ID}:") and "notes" not in sealed
        assert tx.open("calls", "call-1", "record", sealed) == '{"notes": "x"}'
        for table, row, column in (("calls", "call-2", "record"), ("callbacks", "call-1", "body")):
            with pytest.raises(DatabaseUnavailable, match="does not open"):
                tx.open(table, row, column, sealed)
        with pytest.raises(DatabaseUnavailable, match="not sealed"):
            tx.open("calls", "call-1", "record", '{"notes": "x"}')


def test_a_sealed_blob_is_read_in_any_slice_and_refuses_truncation(tmp_path):
    from console.hub.crypto import load_key

    sealer = sealing.Sealer.for_hub(load_key())
    data = os.urandom(3 * sealing.SEGMENT + 123)
    stored = sealer.seal_blob("registers", "1", "snapshot", data)
    assert sealer.open_blob("registers", "1", "snapshot", stored) == data
    count = sealer.segment_count(len(stored))
    for offset, length in ((0, 10), (sealing.SEGMENT - 5, 10), (2 * sealing.SEGMENT, sealing.SEGMENT + 500),
                           (len(data) - 1, 100)):
        start, size, first = sealer.stored_range(offset, length)
        clear = sealer.open_segments("registers", "1", "snapshot", sealing.KEY_ID, stored[start:start + size], first,
                                     count)
        skip = offset - first * sealing.SEGMENT
        assert clear[skip:skip + length] == data[offset:offset + length]
    with pytest.raises(sealing.Unsealable):  # the last segment cut off: the count no longer matches
        sealer.open_blob("registers", "1", "snapshot", stored[:sealing.BLOB_HEADER + 3 * sealing.STORED_SEGMENT])
    with pytest.raises(sealing.Unsealable):
        sealer.open_blob("registers", "2", "snapshot", stored)


def test_rows_of_an_earlier_hub_are_sealed_in_place_by_the_migration(database_location, tmp_path):
    """A hub database written before sealing: m012 seals its rows, and the hub reads them as before."""
    from console.core.telephony import number_key
    from console.hub import storage, telephony
    from console.hub.registers import import_register, latest_register
    from tests.conftest import SAMPLE_REGISTER

    db = open_database(**database_location)
    hub = Hub(db)
    headers = hub.token("sup-1", "supervisor")
    call = call_item(operator="sup-1", notes=CANARY["note"])
    assert hub.push(headers, [call]).json()["results"][0]["status"] == "stored"
    # a dial intent (m014): its number's digest is sealed by m015 as well
    op1 = hub.token("op-1")
    serve_persons(db)
    reply = hub.push(headers, [callback_item("cb-dial", booked_by="sup-1", assigned_to="op-1")])
    assert reply.json()["results"][0]["status"] == "stored", reply.text
    intent_id = str(uuid.uuid4())
    digest = attest.number_digest("cb-dial", MISSED_NUMBER)
    intent = {"kind": "dial_intent", "id": intent_id, "body": {
        "intent_id": intent_id, "callback_id": "cb-dial", "operator": "op-1", "workstation": WORKSTATION,
        "at": datetime.now(timezone.utc).isoformat(), "number_digest": digest}}
    assert hub.push(op1, [intent]).json()["results"][0]["status"] == "stored"
    import_register(db, SAMPLE_REGISTER)
    snapshot = db.snapshot_slice(1, 0, latest_register(db)["size"])
    cti = "/v1/cti/" + telephony.add_pbx(db, "pbx-1")
    for event in (cti_event("newCall", "cti-1", MISSED_NUMBER), cti_event("hangup", "cti-1", MISSED_NUMBER,
                                                                           cause="cancel")):
        assert hub.client.post(cti, json=event).json() == {"stored": True}
    telephony.block_number(db, BLOCKED_NUMBER)
    assert hub.client.post("/v1/message", json={"text": CANARY["live"]}, headers=headers).status_code == 200
    code_hashes_before = code_hashes(db)
    seen = {path: hub.client.get(path, headers=headers).json() for path in ("/v1/stats", "/v1/missed-callers",
                                                                            "/v1/message")}
    with db.write() as tx:  # back to what an earlier hub wrote: clear text, and m012 not yet run
        for table, (ids, columns) in sealing.SEALED.items():
            if table == "registers":
                continue
            for row in tx.all(f"SELECT {', '.join(ids + columns)} FROM {table}"):
                rid = sealing.row_id(*row[:len(ids)])
                clear = [tx.open(table, rid, c, v) for c, v in zip(columns, row[len(ids):])]
                tx.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in columns)} WHERE "
                           f"{' AND '.join(f'{i} = ?' for i in ids)}", [*clear, *row[:len(ids)]])
        tx.execute("UPDATE registers SET snapshot = ? WHERE seq = 1", [snapshot])
        for pbx, call_id, number in tx.all("SELECT pbx, call_id, number FROM cti_calls"):
            tx.execute("UPDATE cti_calls SET number_key = ? WHERE pbx = ? AND call_id = ?",
                       [number_key(number), pbx, call_id])
        tx.execute("UPDATE blocked_numbers SET number_key = ?", [number_key(BLOCKED_NUMBER)])
        tx.execute(f"DELETE FROM {storage.MIGRATIONS_TABLE} WHERE name = 'm015_sealed_columns'")
        assert CANARY["note"] in tx.value("SELECT record FROM calls")
        assert MISSED_NUMBER in tx.value("SELECT number FROM cti_calls")
        assert tx.value("SELECT number_digest FROM dial_intents") == digest
    hub.client.close()
    db.close()

    db = open_database(**database_location)
    hub = Hub(db)
    try:
        with db.read() as tx:
            stored = tx.value("SELECT record FROM calls")
            assert CANARY["note"] not in stored
            assert CANARY["note"] in tx.open("calls", call["id"], "record", stored)
            plain = repr([tx.all(f"SELECT * FROM {table}") for table in ("cti_events", "cti_calls",
                                                                          "blocked_numbers", "live_messages")])
            body, sealed_digest = tx.all("SELECT body, number_digest FROM dial_intents")[0]
            assert digest not in repr((body, sealed_digest))
            assert tx.open("dial_intents", intent_id, "number_digest", sealed_digest) == digest
            assert json.loads(tx.open("dial_intents", intent_id, "body", body)) == intent["body"]
        for canary in (CANARY["live"], *NUMBER_FORMS):
            assert canary not in plain
        assert db.snapshot_slice(1, 0, len(snapshot)) == snapshot
        assert code_hashes(db) == code_hashes_before
        signed = hub.sign_in("sup-1")
        again = {path: hub.client.get(path, headers={"Authorization": f"Bearer {signed.json()['token']}"}).json()
                 for path in seen}
        assert again == seen and again["/v1/missed-callers"]["total"] == 1
        assert hub.client.post(cti, json=cti_event("newCall", "cti-2", BLOCKED_NUMBER)).json()["action"] == "reject"
        # a duplicate is still judged on the clear text
        assert hub.push({"Authorization": f"Bearer {signed.json()['token']}"},
                        [call]).json()["results"][0]["status"] == "duplicate"
    finally:
        hub.client.close()
        db.close()
