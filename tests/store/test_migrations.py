"""The cache's named migrations: caches made while the schema used sqlite-utils'
`Migrations` and settings counted their upgrades open with nothing run again;
the shipped steps hold their DDL frozen."""

import ast
import inspect
import re

import pytest
import sqlite_utils
from sqlite_utils.migrations import Migrations as SqliteUtilsMigrations

from console.core.migrations import Migrations
from console.store import schema, settings
from console.store.connection import open_cache, write_transaction
from console.store.register.tables import REGISTER_TABLES, create_register_tables

SCHEMA = schema.migrations
SHIPPED = ("m001_register", "m002_audit_and_attempts", "m003_calls_and_outbox", "m004_operators",
           "m005_hour_tallies", "m006_sync", "m007_dashboard")


def register_schema(db, where: str = "register", indexes: bool = True) -> dict[str, str]:
    """The SQL of the register's tables and (unless not `indexes`) of their
    indexes in schema `where` (the register's file), each index's generation
    left out of its name."""
    names = ", ".join(f"'{table}'" for table in REGISTER_TABLES)
    rows = db.execute(f"SELECT name, sql FROM {where}.sqlite_master WHERE tbl_name IN ({names}) AND sql IS NOT NULL"
                      + ("" if indexes else " AND type = 'table'"))
    return {re.sub(r"_g\d+$", "", name): re.sub(r"_g\d+ ON ", " ON ", sql) for name, sql in rows}


def todays_register_schema(indexes: bool = True) -> dict[str, str]:
    scratch = sqlite_utils.Database(memory=True)
    create_register_tables(scratch, prefix="", generation=0)
    return register_schema(scratch, "main", indexes)


def register_tables_in_the_cache_file(db) -> list[str]:
    names = ", ".join(f"'{table}'" for table in REGISTER_TABLES)
    return [name for (name,) in db.execute(f"SELECT name FROM main.sqlite_master WHERE name IN ({names})")]


def make_cache_as_main_left_it(path, first_m001):
    """An encrypted cache brought up to date by sqlite-utils' Migrations with
    m001..m007 (m001 either as it ran on main, calling the importer's DDL, or
    `first_m001`), and its settings counted in meta's settings_version."""
    db = open_cache(path, migrate=False)
    old = SqliteUtilsMigrations("helpline-console")

    def m001_register(db):
        if first_m001:
            return schema.m001_register(db)
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO meta VALUES ('workstation', 'ws-old-abc123')")
        db.execute("INSERT INTO meta VALUES ('register_generation', '0')")
        create_register_tables(db, prefix="", generation=0)

    old()(m001_register)
    for step in SCHEMA.steps[1:len(SHIPPED)]:
        old()(step)
    old.apply(db)
    with write_transaction(db):
        db.execute("INSERT INTO meta VALUES ('settings_version', '1')")
        # a value settings' m001 would change, so a second run would show
        db.execute("INSERT INTO meta VALUES ('setting.idle_lock_minutes', '999')")
        db.execute("INSERT INTO meta VALUES ('register_version', 'reg-2026-11-25.1')")
        db.execute("UPDATE meta SET value = '7' WHERE key = 'sync.register_seq'")
        db.execute("INSERT INTO persons (person_id, family_name, given_names, family_key, given_key) "
                   "VALUES ('P1', 'Ngata', 'Aroha', 'ngata', 'aroha')")
    db.close()


def meta(db, key):
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def recorded(db) -> list[tuple]:
    return db.execute("SELECT * FROM _sqlite_migrations ORDER BY id").fetchall()


def test_a_cache_made_by_main_runs_nothing_again(tmp_path):
    path = tmp_path / "c.db"
    make_cache_as_main_left_it(path, first_m001=False)
    db = open_cache(path, migrate=False)
    before = recorded(db)
    db.close()
    db = open_cache(path)
    after = recorded(db)
    # what main recorded is untouched, and only the steps new since were added, each once
    assert after[:len(before)] == before
    assert [(migration_set, name) for _, migration_set, name, _ in after[len(before):]] == [
        (SCHEMA.name, "m008_register_search_tables"), (SCHEMA.name, "m009_callback_countersign"),
        (SCHEMA.name, "m010_person_locks"), (SCHEMA.name, "m011_password_change"), (SCHEMA.name, "m012_call_line"),
        (SCHEMA.name, "m013_register_codes_hashed"),
        (SCHEMA.name, "m014_callback_attestations"),
        (SCHEMA.name, "m015_register_in_its_own_file"),
        (settings.upgrades.name, "m001_idle_lock_as_read")]
    assert schema.ledger(db).applied() == set(SCHEMA.names) and meta(db, "settings_version") is None
    assert meta(db, "setting.idle_lock_minutes") == "999"  # settings' m001 did not run again
    # m008 found main's register tables as they are today, and kept them and the register, which
    # then moved to a file of its own, built as an import builds one
    assert register_schema(db) == todays_register_schema()
    assert register_tables_in_the_cache_file(db) == []
    assert (tmp_path / "c.db.register-1").exists() and meta(db, "register_generation") == "1"
    assert meta(db, "register_version") == "reg-2026-11-25.1" and meta(db, "sync.register_seq") == "7"
    assert db.execute("SELECT person_id FROM persons").fetchall() == [("P1",)]
    db.close()
    db = open_cache(path)
    assert recorded(db) == after
    db.close()


def test_a_cache_with_the_first_register_tables_gets_todays_and_imports_again(tmp_path):
    path = tmp_path / "c.db"
    make_cache_as_main_left_it(path, first_m001=True)
    db = open_cache(path)
    # m008 made them anew, empty, and m015 dropped them: the register is the importer's, empty
    assert register_tables_in_the_cache_file(db) == []
    assert register_schema(db, indexes=False) == todays_register_schema(indexes=False)
    assert db.execute("SELECT count(*) FROM persons").fetchone()[0] == 0
    assert meta(db, "register_version") is None and meta(db, "sync.register_seq") == "0"
    db.close()
    assert sorted(p.name for p in tmp_path.iterdir() if ".register-" in p.name) == []


def test_a_new_cache_holds_no_register_tables_and_reads_an_empty_register(tmp_path):
    """m001 is frozen and m015 drops what it made: a new cache's register,
    before any import, is the importer's tables, empty."""
    db = open_cache(tmp_path / "c.db")
    assert register_tables_in_the_cache_file(db) == []
    assert register_schema(db, indexes=False) == todays_register_schema(indexes=False)
    assert meta(db, "register_version") is None
    db.close()


def test_the_record_is_the_table_sqlite_utils_keeps(tmp_path):
    db = open_cache(tmp_path / "c.db")
    assert [r[0] for r in db.execute(f"SELECT name FROM {schema.MIGRATIONS_TABLE} WHERE migration_set = ? "
                                     "ORDER BY id", [SCHEMA.name])] == list(SCHEMA.names)
    assert SqliteUtilsMigrations(SCHEMA.name).applied(db)[0].name == "m001_register"
    db.close()


def test_a_failed_step_leaves_neither_its_changes_nor_its_record(tmp_path, monkeypatch):
    path = tmp_path / "c.db"
    open_cache(path).close()
    failing = Migrations(SCHEMA.name)
    for step in SCHEMA.steps:
        failing(step)

    @failing
    def m009_fails(db):
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("failed half-way")

    monkeypatch.setattr(schema, "migrations", failing)
    with pytest.raises(RuntimeError, match="half-way"):
        open_cache(path)
    monkeypatch.undo()
    db = open_cache(path)
    assert db.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchone() is None
    assert "m009_fails" not in schema.ledger(db).applied()
    db.close()


def test_shipped_steps_call_no_living_code_of_ours():
    """The schema's module imports nothing of ours but the migration
    mechanism, so no step can call code that goes on changing."""
    allowed = {"console.core.migrations"}
    tree = ast.parse(inspect.getsource(schema))
    ours = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and node.module.startswith("console")}
    ours |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names if alias.name.startswith("console")}
    assert ours <= allowed


def test_a_cache_holding_codes_keeps_only_their_hashes_and_no_address(tmp_path):
    """m012 (issue 14): the codes a cache held in clear become argon2id hashes;
    street addresses and postcodes go; the register keeps working."""
    from console.core.codes import verify_code

    path = tmp_path / "c.db"
    make_cache_as_main_left_it(path, first_m001=True)
    db = open_cache(path, migrate=False)
    for step in SCHEMA.steps[len(SHIPPED):]:
        if step.__name__ == "m013_register_codes_hashed":
            break
        with write_transaction(db):
            step(db)
            db.execute(f"INSERT INTO {schema.MIGRATIONS_TABLE} (migration_set, name, applied_at) VALUES (?, ?, '')",
                       [SCHEMA.name, step.__name__])
    with write_transaction(db):
        # m008 made the register's tables anew, in the shape of its day
        db.execute("INSERT INTO persons (person_id, family_name, given_names, family_key, given_key, "
                   "notification_code, address, postcode) VALUES ('P1', 'Ngata', 'Aroha', 'ngata', 'aroha', "
                   "'K7QF-2M9D', '77 Canarywharf Crescent', '0612')")
    db.close()
    db = open_cache(path)
    columns = {row[1] for row in db.execute("PRAGMA table_info(persons)")}
    assert not columns & {"notification_code", "address", "postcode"}
    (code_hash,) = db.execute("SELECT notification_code_hash FROM persons WHERE person_id = 'P1'").fetchone()
    assert verify_code("k7qf 2m9d", code_hash)
    assert register_schema(db) == todays_register_schema()
    assert register_tables_in_the_cache_file(db) == []
    db.close()
