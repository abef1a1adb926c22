"""The hub at rest: its SQLite database is SQLCipher keyed from the hub's key
file, nothing it holds is readable without that key, and an encrypted backup
restores to a hub that serves the same calls."""

import os
import sqlite3
import stat

import pytest

from console.hub import storage
from console.hub.crypto import CREDENTIALS_ENV, KeyProblem
from console.hub.storage import DatabaseUnavailable, open_database
from tests.hub.bodies import call_item, unlock_item
from tests.hub.conftest import Hub, run_hub_cli

CANARY_NOTE = "canary-note-7f3a9c Ms Tui Canary said her bank called"
CANARY_REASON = "canary-reason-51be02 verified at the front desk"


def push_canaries(hub: Hub) -> dict:
    headers = hub.token("sup-1", "supervisor")
    call = call_item(notes=CANARY_NOTE)
    unlock = unlock_item()
    unlock["body"]["reason"] = CANARY_REASON
    reply = hub.push(headers, [call, unlock])
    assert reply.status_code == 200, reply.text
    return {"headers": headers, "call_id": call["id"]}


def files_under(folder) -> list:
    return [os.path.join(root, name) for root, _, names in os.walk(folder) for name in names]


def test_the_standard_sqlite3_module_cannot_open_the_hub_database(tmp_path):
    open_database(data=tmp_path / "hub").close()
    conn = sqlite3.connect(tmp_path / "hub" / "hub.db")
    with pytest.raises(sqlite3.DatabaseError, match="not a database"):
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn.close()


def test_no_canary_in_any_file_under_the_sqlite_hubs_data_folder(tmp_path):
    db = open_database(data=tmp_path / "hub")
    hub = Hub(db)
    push_canaries(hub)
    # the pushed rows are in the WAL still (no checkpoint yet): the WAL is read as it is
    assert (tmp_path / "hub" / "hub.db-wal").stat().st_size > 0
    for path in files_under(tmp_path / "hub"):
        with open(path, "rb") as f:
            data = f.read()
        assert b"canary-note-7f3a9c" not in data, path
        assert b"canary-reason-51be02" not in data, path
    with db.read() as tx:  # and the hub itself reads them back
        assert tx.value("SELECT count(*) FROM calls") == 1
    hub.client.close()
    db.close()


def test_another_key_does_not_open_the_database(tmp_path):
    open_database(data=tmp_path / "hub").close()
    other = tmp_path / "other.key"
    assert run_hub_cli("key", "new", other).returncode == 0
    with pytest.raises(DatabaseUnavailable, match="does not open with this key"):
        open_database(data=tmp_path / "hub", key_file=other)


def test_without_its_key_the_hub_refuses_to_start_with_a_sentence(tmp_path, monkeypatch):
    monkeypatch.delenv(CREDENTIALS_ENV)
    with pytest.raises(KeyProblem, match="--key-file"):
        open_database(data=tmp_path / "hub")
    for args in (["serve", "--data", tmp_path / "hub"], ["operators", "list", "--data", tmp_path / "hub"],
                 ["stats", "--data", tmp_path / "hub"]):
        done = run_hub_cli(*args, timeout=60)
        assert done.returncode == 2, (args, done.stderr)
        assert "The hub needs its key: give --key-file PATH" in done.stderr
    assert not (tmp_path / "hub").exists()  # nothing made, no key made either
    assert not any(p.name.endswith(".key") for p in tmp_path.iterdir())


def test_key_new_writes_an_owner_only_key_and_never_overwrites_one(tmp_path):
    path = tmp_path / "hub.key"
    made = run_hub_cli("key", "new", path)
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text()
    assert len(bytes.fromhex(first.strip())) == 32
    again = run_hub_cli("key", "new", path)
    assert again.returncode == 2
    assert "already exists; the hub's key is never overwritten" in again.stderr
    assert path.read_text() == first


def test_the_key_file_option_and_the_systemd_credential_both_work(tmp_path, monkeypatch, hub_credential):
    own = tmp_path / "own.key"
    assert run_hub_cli("key", "new", own).returncode == 0
    where = ["--data", tmp_path / "hub", "--key-file", own]
    assert run_hub_cli("operators", "list", *where).returncode == 0
    monkeypatch.delenv(CREDENTIALS_ENV)
    assert run_hub_cli("operators", "list", *where).returncode == 0
    # the credential is another key: it does not open what --key-file's key wrote
    refused = run_hub_cli("operators", "list", "--data", tmp_path / "hub",
                          env={CREDENTIALS_ENV: str(hub_credential.parent)})
    assert refused.returncode == 1
    assert "does not open with this key" in refused.stderr


def test_a_plain_database_of_an_earlier_hub_is_encrypted_in_place(tmp_path):
    folder = tmp_path / "hub"
    folder.mkdir(mode=0o700)
    plain = sqlite3.connect(folder / "hub.db", isolation_level=None)
    plain.execute("PRAGMA journal_mode = WAL")
    plain.execute("BEGIN")
    for step in storage.migrations.steps[:3]:  # as a hub that counted its migrations left it
        step(storage.Transaction(plain, "sqlite"))
    plain.execute("CREATE TABLE hub_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    plain.execute("INSERT INTO hub_meta (key, value) VALUES ('schema_version', '3')")
    plain.execute("INSERT INTO operators VALUES ('op-1', 'operator', 'hash', 0, '2026-11-25T10:00:00+00:00', NULL)")
    plain.execute("COMMIT")
    plain.close()
    db = open_database(data=folder)
    with db.read() as tx:
        assert tx.value("SELECT operator_id FROM operators") == "op-1"
    db.close()
    with open(folder / "hub.db", "rb") as f:
        assert not f.read(16).startswith(b"SQLite format 3")
    assert not (folder / "hub.db.encrypting").exists()


def test_an_encrypted_backup_restores_to_a_hub_serving_the_same_calls(tmp_path):
    """The README's recipe: `hub backup` (sqlcipher_export with the key) while
    the hub runs, then that file put back as hub.db elsewhere with the same key file."""
    db = open_database(data=tmp_path / "hub")
    hub = Hub(db)
    pushed = push_canaries(hub)
    before = hub.client.get("/v1/stats", headers=pushed["headers"])
    with db.read() as tx:
        calls_before = tx.all("SELECT call_id, record FROM calls")
    hub.client.close()
    backup = tmp_path / "backup" / "hub-backup.db"
    backup.parent.mkdir()
    done = run_hub_cli("backup", backup, "--data", tmp_path / "hub")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert run_hub_cli("backup", backup, "--data", tmp_path / "hub").returncode == 1  # never written over
    db.close()
    with open(backup, "rb") as f:
        assert b"canary-note-7f3a9c" not in f.read()

    restored_folder = tmp_path / "restored"
    restored_folder.mkdir(mode=0o700)
    os.replace(backup, restored_folder / "hub.db")
    restored = open_database(data=restored_folder)
    again = Hub(restored)
    signed_in = again.sign_in("sup-1")
    assert signed_in.status_code == 200, signed_in.text
    after = again.client.get("/v1/stats", headers={"Authorization": f"Bearer {signed_in.json()['token']}"})
    assert after.status_code == before.status_code == 200
    assert after.json() == before.json()
    assert after.json()["calls"] == 1
    with restored.read() as tx:
        assert tx.all("SELECT call_id, record FROM calls") == calls_before
    with restored.read() as tx:
        assert calls_before[0][0] == pushed["call_id"]
        assert CANARY_NOTE in tx.open("calls", pushed["call_id"], "record", calls_before[0][1])
    again.client.close()
    restored.close()
