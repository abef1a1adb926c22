"""Encryption at rest: the cache, its WAL and temp data hold nothing readable;
the key is only in the keystore; a plain cache from an earlier version is
encrypted once and verified; sqlite-utils and our error handling work the same
on the SQLCipher driver.

In-process tests use the in-memory keystore from conftest.py; the ones that run
the command line as a child process use the Secret Service that
`packaging/dev test` starts.
"""

import csv
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlite_utils

from console.core.calls import validate_call_record
from console.demo.register import write_demo_register
from console.store.cache import Cache
from console.store.connection import CacheError, connect, key_entry, open_cache
from console.store.keystore import SERVICE

REPO = Path(__file__).resolve().parents[2]
CANARIES = ("Canarywhetu", "Canarytama", "canarywhetu@example.co.nz", "Canarynote", "Canaryroad")


def canary_register(folder: Path) -> Path:
    """A tiny generated register whose first person carries the canary strings."""
    write_demo_register(folder, 40, seed=11)
    path = folder / "persons.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    header = rows[0]
    first = dict(zip(header, rows[1]))
    first.update(family_name="Canarywhetu", given_names="Canarytama", email="canarywhetu@example.co.nz",
                 address="7 Canaryroad")
    rows[1] = [first[column] for column in header]
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    manifest = json.loads((folder / "manifest.json").read_text())
    for name in ("persons.csv", "documents.csv", "practices.csv"):
        data = (folder / name).read_bytes()
        manifest["sha256"][name] = hashlib.sha256(data).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def canary_call(n: int = 0) -> dict:
    return {
        "call_id": str(uuid.uuid4()),
        "started_at": f"2026-01-06T09:{n:02d}:00+13:00",
        "ended_at": f"2026-01-06T09:{n:02d}:40+13:00",
        "caller_type": "patient",
        "verification": "not_verified",
        "outcome": "resolved",
        "region": "Northland",
        "notes": f"Canarynote {n}: Canarywhetu asked about Canaryroad; " + "kōrero " * 50,
    }


def files_under(*folders: Path):
    for folder in folders:
        if folder.exists():
            yield from (p for p in folder.rglob("*") if p.is_file())


def found_in(path: Path, needles) -> list[str]:
    data = path.read_bytes().lower()
    return [n for n in needles if n.lower().encode() in data or n.lower().encode("utf-16-le") in data]


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files_under(folder)}


def assert_not_sqlite_readable(path: Path) -> None:
    plain = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
            plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        plain.close()


@pytest.fixture
def temp_folder(tmp_path, monkeypatch):
    """This test's own temp folder, for Python and for SQLite."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    for var in ("TMPDIR", "TEMP", "TMP", "SQLITE_TMPDIR"):
        monkeypatch.setenv(var, str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    return folder


# the canary: nothing readable anywhere on disk


def test_canaries_are_nowhere_on_disk_and_sqlite3_cannot_open_the_cache(tmp_path, user_folders, temp_folder):
    import logging

    from console.logs import setup_logging

    setup_logging(logging.DEBUG)  # a log file in this test's folders
    register = canary_register(tmp_path / "register")
    db_path = user_folders / ".local/share/helpline-console/cache.db"
    cache = Cache.open(db_path, operator="op-canary")
    cache.import_register(register)
    cache.log_calls([validate_call_record(canary_call(n), operator="op-canary") for n in range(20)])
    person = cache.db.execute("SELECT person_id FROM persons WHERE family_name = 'Canarywhetu'").fetchone()
    assert person is not None  # it is in there, readable through the key
    assert cache.db.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
    # a big sort that would spill to a temp file, were temp files on disk
    cache.db.execute("SELECT * FROM calls ORDER BY record DESC").fetchall()

    def check_disk():
        wal, shm = Path(f"{db_path}-wal"), Path(f"{db_path}-shm")
        checked = [db_path] + [p for p in (wal, shm) if p.exists()]
        checked += [p for p in files_under(user_folders, temp_folder) if p not in checked]
        leaks = {str(p): found_in(p, CANARIES) for p in checked}
        assert not any(leaks.values()), {p: hit for p, hit in leaks.items() if hit}
        return checked

    for handler in logging.getLogger("console").handlers:
        handler.flush()
    assert [p for p in files_under(user_folders) if p.suffix == ".log" and p.stat().st_size], "the log was written"
    checked = check_disk()  # while open: the WAL holds the latest writes
    assert Path(f"{db_path}-wal").stat().st_size > 0
    cache.close()
    check_disk()  # and after the last connection checkpointed and closed
    assert len(checked) >= 3
    assert_not_sqlite_readable(db_path)
    assert db_path.stat().st_mode & 0o777 == 0o600


def test_the_key_is_only_in_the_keystore(tmp_path, user_folders, memory_keyring, temp_folder):
    db_path = user_folders / ".local/share/helpline-console/cache.db"
    cache = Cache.open(db_path, operator="op-key")
    cache.import_register(canary_register(tmp_path / "register"))
    cache.log_calls([validate_call_record(canary_call(), operator="op-key")])
    cache.close()
    stored = memory_keyring.get_password(SERVICE, key_entry(db_path))
    assert stored is not None and len(stored) == 64 and int(stored, 16) >= 0
    key = bytes.fromhex(stored)
    needles = (stored.lower().encode(), stored.upper().encode(), key)
    for path in files_under(user_folders, temp_folder, tmp_path):
        data = path.read_bytes()
        assert not any(n in data or n in data.lower() for n in needles), path
    assert not any(stored.lower() in value.lower() for value in os.environ.values())
    # exactly one entry, for this cache, in the keystore
    assert list(memory_keyring.secrets) == [(SERVICE, key_entry(db_path))]


def test_each_cache_file_has_its_own_key(tmp_path, memory_keyring):
    for name in ("a.db", "b.db"):
        Cache.open(tmp_path / name).close()
    a = memory_keyring.get_password(SERVICE, key_entry(tmp_path / "a.db"))
    b = memory_keyring.get_password(SERVICE, key_entry(tmp_path / "b.db"))
    assert a and b and a != b


def test_cli_child_process_keeps_nothing_readable(tmp_path, cli, system_keyring, temp_folder, user_folders):
    """The command line in a child process, keyed through the real Secret Service."""
    register = canary_register(tmp_path / "register")
    db = tmp_path / "cli.db"
    env = {"TMPDIR": str(temp_folder), "SQLITE_TMPDIR": str(temp_folder)}
    imported = cli("--db", db, "--json", "import-register", register, env=env)
    assert imported.returncode == 0, imported.stderr
    logged = cli("--db", db, "--operator", "op-cli", "--json", "log-call", input_text=json.dumps(canary_call(1)), env=env)
    assert logged.returncode == 0, logged.stderr
    for path in [db, *files_under(temp_folder, user_folders)]:
        assert not found_in(path, CANARIES), path
    assert_not_sqlite_readable(db)
    stored = system_keyring.get_password(SERVICE, key_entry(db))
    assert stored and len(stored) == 64
    for path in files_under(tmp_path):
        assert stored.encode() not in path.read_bytes().lower(), path
    # and this process, keyed the same way, reads it
    conn = connect(db)
    try:
        assert conn.execute("SELECT count(*) FROM persons WHERE family_name = 'Canarywhetu'").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM calls").fetchone()[0] == 1
    finally:
        conn.close()


# a missing or wrong key: refused, nothing changed


def make_cache(path: Path, sample_register) -> None:
    cache = Cache.open(path, operator="op-setup")
    cache.import_register(sample_register)
    cache.log_calls([validate_call_record(canary_call(), operator="op-setup")])
    cache.close()


def test_missing_key_refuses_and_changes_nothing(tmp_path, sample_register, memory_keyring):
    folder = tmp_path / "data"
    make_cache(folder / "cache.db", sample_register)
    memory_keyring.secrets.clear()
    before = snapshot(folder)
    with pytest.raises(CacheError) as refused:
        Cache.open(folder / "cache.db")
    message = str(refused.value)
    assert "encrypted" in message and "key is not in" in message and "nothing was changed" in message
    assert "re-import the register" in message and "not yet synced" in message
    assert snapshot(folder) == before
    assert not memory_keyring.secrets  # and no new key was made for it


def test_missing_key_refusal_from_the_command_line(tmp_path, sample_register, memory_keyring, capsys):
    from console.cli import EXIT_FAILED, main

    db = tmp_path / "cache.db"
    make_cache(db, sample_register)
    memory_keyring.secrets.clear()
    before = snapshot(tmp_path)
    assert main(["--db", str(db), "--json", "audit", "verify"]) == EXIT_FAILED
    err = capsys.readouterr()
    assert "key is not in" in err.err and json.loads(err.out)["errors"]
    assert snapshot(tmp_path) == before


def test_wrong_key_refuses_and_changes_nothing(tmp_path, sample_register, memory_keyring):
    db = tmp_path / "cache.db"
    make_cache(db, sample_register)
    memory_keyring.secrets[(SERVICE, key_entry(db))] = "ab" * 32
    before = snapshot(tmp_path)
    with pytest.raises(CacheError, match="does not open it"):
        connect(db)
    assert snapshot(tmp_path) == before
    assert memory_keyring.secrets[(SERVICE, key_entry(db))] == "ab" * 32


def test_a_malformed_stored_key_is_refused_not_replaced(tmp_path, sample_register, memory_keyring):
    db = tmp_path / "cache.db"
    make_cache(db, sample_register)
    memory_keyring.secrets[(SERVICE, key_entry(db))] = "not a key"
    before = snapshot(tmp_path)
    with pytest.raises(CacheError, match="is not a cache key"):
        Cache.open(db)
    assert snapshot(tmp_path) == before
    assert memory_keyring.secrets[(SERVICE, key_entry(db))] == "not a key"


def test_a_moved_cache_needs_its_key_and_says_so(tmp_path, sample_register):
    make_cache(tmp_path / "cache.db", sample_register)
    (tmp_path / "cache.db").rename(tmp_path / "moved.db")
    with pytest.raises(CacheError, match="if the file was moved, put it back"):
        Cache.open(tmp_path / "moved.db")


def test_a_new_cache_reuses_the_key_kept_for_its_place(tmp_path, memory_keyring):
    db = tmp_path / "cache.db"
    Cache.open(db).close()
    key = memory_keyring.get_password(SERVICE, key_entry(db))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    Cache.open(db).close()
    assert memory_keyring.get_password(SERVICE, key_entry(db)) == key


def test_damage_is_reported_as_damage(tmp_path, sample_register, capsys):
    from console.cli import EXIT_FAILED, main

    db = tmp_path / "cache.db"
    make_cache(db, sample_register)
    with open(db, "r+b") as f:  # scribble over a page past the header
        f.seek(3 * 4096 + 100)
        f.write(b"\x00" * 64)
    with pytest.raises(CacheError, match="is damaged"):
        Cache.open(db)
    # the unchecked path raises the standard library's class, which the command line catches
    conn = connect(db)
    with pytest.raises(sqlite3.DatabaseError):
        for table in [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]:
            conn.execute(f'SELECT * FROM "{table}"').fetchall()
    conn.close()
    assert main(["--db", str(db), "audit", "verify"]) == EXIT_FAILED
    assert "damaged" in capsys.readouterr().err


# plain caches made by earlier versions


def make_plain_cache(path: Path, sample_register, calls: int = 5) -> dict:
    """A cache as an earlier version left it: plain SQLite in WAL mode; the
    last calls still only in the WAL (as after a crash). Returns row counts."""
    from console.store import schema
    from console.store.register.tables import REGISTER_TABLES

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    db = sqlite_utils.Database(conn)
    # the schema as it was before the register moved to a file of its own, holding the register
    ledger = schema.ledger(db)
    for step in schema.migrations.steps[:schema.migrations.names.index("m015_register_in_its_own_file")]:
        with ledger.transaction() as handle:
            step(handle)
            ledger.record(handle, step.__name__)
    source = Cache.open(path.parent / "source" / "cache.db", operator="op-old")
    result = source.import_register(sample_register)
    with conn:
        for table in REGISTER_TABLES:
            rows = source.db.execute(f"SELECT * FROM {table}").fetchall()
            if rows:
                conn.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('register_version', ?)", [result.register_version])
    source.close()
    for leftover in (path.parent / "source").iterdir():
        leftover.unlink()
    (path.parent / "source").rmdir()
    cache = Cache(db, operator="op-old")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cache.log_calls([validate_call_record(canary_call(n), operator="op-old") for n in range(calls)])
    counts = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
              for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()}
    # copy the files while the connection is open: the copy's WAL holds the calls
    copy = path.with_name("old-" + path.name)
    for suffix in ("", "-wal"):
        Path(f"{copy}{suffix}").write_bytes(Path(f"{path}{suffix}").read_bytes())
    conn.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    for suffix in ("", "-wal"):
        Path(f"{copy}{suffix}").rename(f"{path}{suffix}")
    Path(path).chmod(0o600)
    assert counts["calls"] == calls
    return counts


def test_a_plain_cache_is_encrypted_once_and_verified(tmp_path, sample_register, memory_keyring):
    from console.store.audit import verify_chain

    db = tmp_path / "data" / "cache.db"
    counts = make_plain_cache(db, sample_register)
    assert db.read_bytes()[:16] == b"SQLite format 3\x00"
    assert Path(f"{db}-wal").stat().st_size > 0
    cache = Cache.open(db, operator="op-new")
    try:
        after = {name: cache.db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in counts}
        # every row is there (the register's now in its own file), and the settings' upgrade and the
        # register's move, recorded the first time a cache made before them opens
        assert after == {**counts, "_sqlite_migrations": counts["_sqlite_migrations"] + 2}
        assert cache.db.execute("SELECT 1 FROM _sqlite_migrations WHERE migration_set = 'helpline-console.settings'"
                                ).fetchone() is not None
        assert cache.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert verify_chain(cache.db).ok
        assert cache.register_version == "sample-2026-01-05.1"
        assert cache.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        cache.close()
    assert db.read_bytes()[:16] != b"SQLite format 3\x00"
    assert_not_sqlite_readable(db)
    for path in files_under(tmp_path):
        assert not found_in(path, CANARIES), path
    # the backup was kept only until verified; the staging file is gone too
    assert sorted(p.name for p in db.parent.iterdir()) == ["cache.db", "cache.db.register-1"]
    assert_not_sqlite_readable(db.parent / "cache.db.register-1")
    assert db.stat().st_mode & 0o777 == 0o600
    assert memory_keyring.get_password(SERVICE, key_entry(db))
    # and it opens normally from then on
    Cache.open(db).close()


def test_the_backup_is_kept_owner_only_while_migrating(tmp_path, sample_register, monkeypatch):
    from console.store import connection

    db = tmp_path / "data" / "cache.db"
    make_plain_cache(db, sample_register)
    seen = {}
    real_replace = os.replace

    def watching_replace(src, dst):
        if Path(dst) != db:  # the register's own file, moved out of the cache after it
            return real_replace(src, dst)
        backup = db.parent / "cache.db.plain-backup"
        seen["backup"] = (backup.exists(), backup.stat().st_mode & 0o777, backup.read_bytes()[:16])
        seen["staging"] = Path(src).name
        return real_replace(src, dst)

    monkeypatch.setattr(connection.os, "replace", watching_replace)
    Cache.open(db).close()
    assert seen == {"backup": (True, 0o600, b"SQLite format 3\x00"), "staging": "cache.db.encrypting"}
    assert not (db.parent / "cache.db.plain-backup").exists()


def test_a_migration_that_does_not_verify_leaves_the_plain_cache(tmp_path, sample_register, monkeypatch):
    from console.store import connection

    db = tmp_path / "data" / "cache.db"
    make_plain_cache(db, sample_register)
    with sqlite3.connect(db) as c:  # fold the WAL in so the bytes compared are the whole cache
        c.execute("PRAGMA journal_mode=DELETE")
    c.close()
    before = db.read_bytes()
    real_counts = connection._row_counts
    calls = []

    def lying_counts(conn, schema="main"):
        calls.append(1)
        counts = real_counts(conn, schema)
        return counts if len(calls) == 1 else {**counts, "calls": -1}

    monkeypatch.setattr(connection, "_row_counts", lying_counts)
    with pytest.raises(CacheError, match="could not be encrypted"):
        Cache.open(db)
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["cache.db"]


@pytest.mark.parametrize("leftovers", [("plain-backup", "encrypting"), ("encrypting",)])
def test_a_killed_migration_is_finished_next_time(tmp_path, sample_register, leftovers):
    db = tmp_path / "data" / "cache.db"
    counts = make_plain_cache(db, sample_register)
    for suffix in leftovers:  # as a run killed before its swap leaves them
        Path(f"{db}.{suffix}").write_bytes(b"half-written")
    cache = Cache.open(db)
    assert cache.db.execute("SELECT count(*) FROM calls").fetchone()[0] == counts["calls"]
    cache.close()
    assert sorted(p.name for p in db.parent.iterdir()) == ["cache.db", "cache.db.register-1"]


def test_a_backup_left_after_the_swap_is_removed(tmp_path, sample_register):
    db = tmp_path / "cache.db"
    make_cache(db, sample_register)  # encrypted
    (tmp_path / "cache.db.plain-backup").write_bytes(b"SQLite format 3\x00 left by a run killed after its swap")
    Cache.open(db).close()
    assert not (tmp_path / "cache.db.plain-backup").exists()


# sqlite-utils and error handling on the SQLCipher driver


@pytest.fixture
def db(tmp_path):
    database = open_cache(tmp_path / "su.db", migrate=False)
    yield database
    database.close()


def test_errors_are_the_standard_librarys_classes_and_sqlciphers(db):
    from sqlcipher3 import dbapi2 as sqlcipher

    with pytest.raises(sqlite3.OperationalError, match="no such table: nowhere") as missing:
        db.execute("SELECT * FROM nowhere")
    assert isinstance(missing.value, sqlcipher.OperationalError)
    assert isinstance(missing.value, sqlite3.DatabaseError) and isinstance(missing.value, sqlite3.Error)
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    db.execute("INSERT INTO t VALUES (1, 'a')")
    with pytest.raises(sqlite3.IntegrityError) as duplicate:
        db.execute("INSERT INTO t VALUES (1, 'b')")
    assert isinstance(duplicate.value, sqlcipher.IntegrityError)
    with pytest.raises(sqlite3.ProgrammingError):
        db.execute("SELECT ?", [1, 2])
    # an error met while stepping through rows, not at execute()
    cursor = db.conn.execute("SELECT abs(x) FROM (SELECT 1 AS x UNION ALL SELECT -9223372036854775808)")
    with pytest.raises(sqlite3.OperationalError, match="integer overflow"):
        list(cursor)
    with pytest.raises(sqlite3.OperationalError):
        db.conn.executescript("CREATE TABLE u (a); SELECT * FROM nowhere;")
    with pytest.raises(sqlite3.OperationalError):
        db.conn.executemany("INSERT INTO nowhere VALUES (?)", [(1,), (2,)])


def test_sqlite_utils_insert_alter_adds_columns(db):
    table = db["people"]
    table.insert({"id": 1, "name": "Hine"}, pk="id")
    table.insert({"id": 2, "name": "Wiremu", "suburb": "Kerikeri"}, alter=True)
    assert table.columns_dict == {"id": int, "name": str, "suburb": str}
    table.insert_all([{"id": 3, "name": "Aroha", "city": "Whangārei"}], alter=True)
    assert "city" in table.columns_dict
    table.update(1, {"postcode": "0230"}, alter=True)  # update's own alter path
    assert table.get(1)["postcode"] == "0230"
    with pytest.raises(sqlite3.OperationalError, match="has no column named"):
        table.insert({"id": 4, "region": "Northland"})  # without alter: the error passes through


def test_sqlite_utils_upsert_ignore_replace_and_integrity_errors(db):
    table = db["people"]
    table.insert({"id": 1, "name": "Hine"}, pk="id")
    with pytest.raises(sqlite3.IntegrityError):
        table.insert({"id": 1, "name": "Again"})
    table.insert({"id": 1, "name": "Ignored"}, ignore=True)
    assert table.get(1)["name"] == "Hine"
    table.upsert({"id": 1, "name": "Hine Mārama"}, pk="id")
    table.upsert({"id": 2, "name": "New"}, pk="id")
    table.insert({"id": 2, "name": "Replaced"}, replace=True)
    assert [r["name"] for r in table.rows_where(order_by="id")] == ["Hine Mārama", "Replaced"]


def test_sqlite_utils_transform_and_table_checks(db):
    db["calls"].insert({"id": 1, "mins": "12", "who": "a"}, pk="id")
    db["calls"].transform(types={"mins": int}, rename={"who": "operator"})
    assert db["calls"].columns_dict == {"id": int, "mins": int, "operator": str}
    assert db["calls"].get(1)["mins"] == 12
    assert db["missing"].exists() is False and "calls" in db.table_names()
    db["missing"].drop(ignore=True)  # sqlite-utils catches sqlite3.OperationalError here
    with pytest.raises(sqlite3.OperationalError):
        db["missing"].drop()
    db["calls"].create_index(["mins"], index_name="idx_mins")
    db["calls"].create_index(["mins"], index_name="idx_mins", find_unique_name=True)
    assert len(db["calls"].indexes) == 2
    assert db.supports_strict in (True, False)
    assert db.cached_counts() == {}  # no counts table: its OperationalError is caught
    with db.atomic():  # savepoints through the wrapped connection
        db["calls"].insert({"id": 2, "mins": 3, "operator": "b"})
    with pytest.raises(ZeroDivisionError), db.atomic():
        db["calls"].insert({"id": 3, "mins": 4, "operator": "c"})
        1 / 0
    assert db["calls"].count == 2


def test_the_command_lines_database_error_handler_catches_sqlcipher_errors(tmp_path, monkeypatch, capsys):
    from console import cli

    def broken(args, out):
        connect(tmp_path / "c.db").execute("SELECT * FROM nowhere")

    monkeypatch.setitem(cli.COMMANDS, "unlock", broken)
    assert cli.main(["--db", str(tmp_path / "c.db"), "unlock", "S0001"]) == cli.EXIT_FAILED
    assert "The cache could not be read (no such table: nowhere)" in capsys.readouterr().err


def test_connection_settings(tmp_path):
    db = open_cache(tmp_path / "c.db")
    try:
        assert db.execute("PRAGMA cipher_version").fetchone()[0]
        assert db.execute("PRAGMA temp_store").fetchone()[0] == 2
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA cipher_memory_security").fetchone()[0] in ("0", 0)
    finally:
        db.close()


def test_processes_creating_one_cache_agree_on_its_key(tmp_path, system_keyring):
    """Whoever creates the file makes the key; the others wait for it (and for its schema)."""
    db = tmp_path / "race.db"
    script = ("import sys\nfrom console.store.cache import Cache\n"
              "Cache.open(sys.argv[1], operator=sys.argv[2]).close()\n")
    children = [subprocess.Popen([sys.executable, "-c", script, str(db), f"op-{i}"], cwd=REPO,
                                 stderr=subprocess.PIPE, text=True) for i in range(3)]
    for child in children:
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
    Cache.open(db).close()
