"""The hub database: schema, files, and the change feed's ordering under concurrent writers."""

import os
import stat
import subprocess
import sys
import threading

import pytest

from console.hub.changes import append_change, changes_after
from console.hub.storage import DatabaseUnavailable, migrations, open_database


def test_schema_is_migrated_by_name_and_opening_again_changes_nothing(hub_db, database_location):
    with hub_db.read() as tx:
        recorded = tx.all("SELECT name, applied_at FROM hub_migrations")
    assert sorted(name for name, _ in recorded) == sorted(migrations.names)
    again = open_database(**database_location)
    with again.read() as tx:
        assert tx.all("SELECT name, applied_at FROM hub_migrations") == recorded
    again.close()


def test_a_newer_schema_is_refused_with_a_sentence(hub_db, database_location):
    with hub_db.write() as tx:
        tx.execute("INSERT INTO hub_migrations VALUES ('m099_from_a_newer_hub', '2030-01-01T00:00:00+00:00')")
    with pytest.raises(DatabaseUnavailable, match="m099_from_a_newer_hub.*newer than this hub understands"):
        open_database(**database_location)


def test_sqlite_file_and_folder_are_owner_only(tmp_path):
    db = open_database(data=tmp_path / "hub")
    db.close()
    assert stat.S_IMODE(os.stat(tmp_path / "hub").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "hub" / "hub.db").st_mode) == 0o600
    with open_database(data=tmp_path / "hub").read() as tx:
        assert tx.value("PRAGMA journal_mode") == "wal"
        assert tx.value("PRAGMA synchronous") == 2  # FULL


def test_an_unreachable_postgresql_is_a_sentence():
    with pytest.raises(DatabaseUnavailable, match="cannot be reached"):
        open_database(database_url="postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_a_database_url_must_be_postgresql(tmp_path):
    with pytest.raises(DatabaseUnavailable, match="postgresql://"):
        open_database(database_url="mysql://somewhere/db")


def test_a_rolled_back_write_leaves_nothing(hub_db):
    with pytest.raises(RuntimeError):
        with hub_db.write() as tx:
            append_change(tx, "content", "1", {"version": 1})
            raise RuntimeError("changed my mind")
    assert changes_after(hub_db, 0, 10)["changes"] == []


def test_readers_never_skip_a_change_committed_late_with_a_lower_seq(hub_db):
    """Writers append concurrently while a reader follows the feed by cursor,
    as a workstation does: it must see every change exactly once."""
    writers, per_writer = 4, 25
    done = threading.Event()
    seen: list[int] = []

    def write(n: int) -> None:
        for i in range(per_writer):
            with hub_db.write() as tx:
                append_change(tx, "content", f"{n}-{i}", {"n": n, "i": i})

    def follow() -> None:
        cursor = 0
        while True:
            finished = done.is_set()
            page = changes_after(hub_db, cursor, 7)
            seen.extend(c["seq"] for c in page["changes"])
            cursor = page["cursor"]
            if finished and not page["more"] and not page["changes"]:
                return

    reader = threading.Thread(target=follow)
    reader.start()
    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    reader.join(timeout=60)
    assert len(seen) == writers * per_writer
    assert seen == sorted(set(seen))


def test_the_hub_never_imports_qt():
    check = """
import sys, importlib, pkgutil
import console.hub
for module in pkgutil.walk_packages(console.hub.__path__, "console.hub."):
    if module.name != "console.hub.__main__":
        importlib.import_module(module.name)
from console.hub.app import make_app
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6") or m.startswith("console.ui"))))
"""
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_a_connection_the_server_dropped_while_idle_is_replaced(postgres_database_url):
    import psycopg

    db = open_database(database_url=postgres_database_url)
    with db.read() as tx:
        first = tx.value("SELECT pg_backend_pid()")
    with psycopg.connect(postgres_database_url, autocommit=True) as admin:  # as a server restart would
        admin.execute("SELECT pg_terminate_backend(%s)", [first])
    with db.write() as tx:
        assert tx.value("SELECT pg_backend_pid()") != first
    db.close()
