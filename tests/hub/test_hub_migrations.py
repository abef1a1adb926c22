"""The hub's named migrations, on both backends: a database made by a hub that
counted its migrations (hub_meta's schema_version) upgrades without running
any again; new steps run once, each in a transaction with its record."""

import functools
from contextlib import contextmanager
from pathlib import Path

import pytest

from console.core.migrations import Migrations
from console.hub import storage
from console.hub.crypto import load_key
from console.hub.storage import DatabaseUnavailable, Transaction, open_database

HUB_MIGRATIONS = storage.migrations
SINCE_COUNTED = HUB_MIGRATIONS.names[3:]  # the migrations named after hub_meta's count was frozen


@contextmanager
def raw_transaction(location: dict):
    """A transaction on the database at `location`, opened without the hub's
    storage (which would migrate it)."""
    if "data" in location:
        folder = Path(location["data"])
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        conn = storage._connect_sqlite(folder / storage.DATABASE_FILE, load_key().database_key)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("BEGIN IMMEDIATE")
        yield Transaction(conn, "sqlite")
        conn.execute("COMMIT")
        conn.close()
    else:
        import psycopg

        with psycopg.connect(location["database_url"], autocommit=True) as conn, conn.transaction():
            yield Transaction(conn, "postgresql")


def migrated_before(tx, name: str) -> None:
    """Run and record the hub's migrations before `name` in `tx`, as a hub
    that stopped there left its database."""
    before = HUB_MIGRATIONS.names.index(name)
    for step in HUB_MIGRATIONS.steps[:before]:
        step(tx)
    tx.execute(f"CREATE TABLE {storage.MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    for done in HUB_MIGRATIONS.names[:before]:
        tx.execute(f"INSERT INTO {storage.MIGRATIONS_TABLE} VALUES (?, '2026-12-01T00:00:00+00:00')", [done])


def make_counted_database(location: dict, version: int) -> None:
    """A database as a hub that kept a positional schema_version left it:
    its first `version` migrations run, counted in hub_meta, and an account."""
    with raw_transaction(location) as tx:
        for step in HUB_MIGRATIONS.steps[:version]:
            step(tx)
        tx.execute("CREATE TABLE hub_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        tx.execute("INSERT INTO hub_meta (key, value) VALUES ('schema_version', ?)", [str(version)])
        tx.execute("INSERT INTO operators VALUES ('op-1', 'operator', 'hash', 0, '2026-11-25T10:00:00+00:00', NULL)")


def counted_steps(monkeypatch, *extra) -> list[str]:
    """Make the hub's migrations (and `extra` after them) note their names when they run."""
    ran: list[str] = []
    spied = Migrations(HUB_MIGRATIONS.name)
    for step in HUB_MIGRATIONS.steps + list(extra):
        @functools.wraps(step)
        def noted(tx, step=step):
            ran.append(step.__name__)
            step(tx)
        spied(noted)
    monkeypatch.setattr(storage, "migrations", spied)
    return ran


def m004_notes(tx) -> None:
    tx.execute("CREATE TABLE notes (note_id TEXT PRIMARY KEY, body TEXT NOT NULL)")


def recorded(db) -> list[str]:
    with db.read() as tx:
        return sorted(name for (name,) in tx.all("SELECT name FROM hub_migrations"))


def test_a_counted_database_runs_nothing_again_and_new_steps_once(database_location, monkeypatch):
    make_counted_database(database_location, 3)
    ran = counted_steps(monkeypatch, m004_notes)
    db = open_database(**database_location)
    assert ran == [*SINCE_COUNTED, "m004_notes"]
    assert recorded(db) == sorted(["m001_initial", "m002_escalation_acks", "m003_register_deltas", *SINCE_COUNTED,
                                   "m004_notes"])
    with db.read() as tx:
        assert tx.value("SELECT operator_id FROM operators") == "op-1"
        assert tx.value("SELECT count(*) FROM notes") == 0
    db.close()
    open_database(**database_location).close()
    assert ran == [*SINCE_COUNTED, "m004_notes"]


def test_a_database_counted_before_a_migration_gets_only_that_one(database_location, monkeypatch):
    make_counted_database(database_location, 2)
    ran = counted_steps(monkeypatch)
    db = open_database(**database_location)
    assert ran == ["m003_register_deltas", *SINCE_COUNTED]
    with db.read() as tx:
        assert tx.value("SELECT count(delta_sha256) FROM registers") == 0
    db.close()


def test_the_count_is_replaced_by_the_names(database_location):
    make_counted_database(database_location, 3)
    open_database(**database_location).close()
    with raw_transaction(database_location) as tx:
        assert not storage._table_exists(tx, "hub_meta")
        assert tx.value("SELECT count(*) FROM hub_migrations") == len(HUB_MIGRATIONS.names)


def test_a_count_beyond_this_hub_is_refused_with_a_sentence(database_location):
    make_counted_database(database_location, 3)
    with raw_transaction(database_location) as tx:
        tx.execute("UPDATE hub_meta SET value = '99'")
    with pytest.raises(DatabaseUnavailable, match="schema version 99, newer than this hub understands"):
        open_database(**database_location)


def test_a_failed_migration_leaves_neither_its_changes_nor_its_record(database_location, monkeypatch):
    open_database(**database_location).close()

    def m004_fails(tx) -> None:
        m004_notes(tx)
        raise RuntimeError("failed half-way")

    counted_steps(monkeypatch, m004_fails)
    with pytest.raises(RuntimeError, match="half-way"):
        open_database(**database_location)
    ran = counted_steps(monkeypatch, m004_notes)
    db = open_database(**database_location)  # "notes" was rolled back, or m004_notes could not create it
    assert ran == ["m004_notes"] and "m004_fails" not in recorded(db)
    db.close()
