"""The register is built in a file of its own and swapped in by one short
write of the cache: a save made at any point of an import goes through at
once; the old register's file is deleted after the swap; a failed or refused
import deletes its file at once, a killed one's on the next open."""

import sqlite3
import threading

import pytest

from console.core.register_format import RegisterRefused
from console.store.connection import write_transaction
from console.store.register.swap import import_register

from test_call_log import make
from test_register_import import copy_register, edit_csv


def leftovers(db) -> list[str]:
    return [t for t in db.table_names() if t.startswith(("import_", "retired_"))]


def register_files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".register-" in p.name)


def test_no_stage_of_an_import_keeps_a_save_waiting(sample_cache, sample_register, tmp_path, monkeypatch):
    """Connections that may not wait at all for the cache's writer lock save
    all through an import (one without pause from another thread, one at
    each stage and once the new register is complete but not yet in
    service): only the swap's one short write finds the lock taken."""
    from console.store.cache import Cache
    from console.store.register import swap

    def impatient():
        cache = Cache.open(tmp_path / "cache.db", operator="op-other")
        cache.db.execute("PRAGMA busy_timeout = 0")  # any lock held on the cache file fails the save at once
        return cache

    other, background = impatient(), impatient()
    turn = threading.Lock()  # the two savers never compete with each other
    swapping, stop = threading.Event(), threading.Event()
    saved, stages, inside, refused = [], [], {}, []

    def save(stage):
        stages.append(stage)
        with turn:
            saved.append(other.log_calls(make(1)))

    def keep_saving():
        while not stop.is_set():
            with turn:
                try:
                    background.log_calls(make(1))
                except sqlite3.OperationalError as exc:
                    refused.append((swapping.is_set(), str(exc)))

    real_swap_in = swap._swap_in

    def swap_in(*args, **kwargs):
        swapping.set()
        try:
            real_swap_in(*args, **kwargs)
        finally:
            swapping.clear()

    def on_swap(db):
        with turn, pytest.raises(sqlite3.OperationalError, match="locked"):
            other.log_calls(make(1))
        inside["files"] = register_files(tmp_path)
        inside["persons"] = other.db.execute("SELECT count(*) FROM persons").fetchone()[0]

    def before_swap(register):
        inside["new persons"] = register.execute("SELECT count(*) FROM persons").fetchone()[0]
        save("built")

    monkeypatch.setattr(swap, "_swap_in", swap_in)
    folder = copy_register(sample_register, tmp_path / "v2")
    edit_csv(folder, "persons.csv", lambda r: [row for row in r if row[0] != "S0004"])
    saver = threading.Thread(target=keep_saving)
    saver.start()
    try:
        import_register(sample_cache.db, folder, progress=lambda stage, done, total: save(stage), on_swap=on_swap,
                        before_swap=before_swap)
        save("after")
    finally:
        stop.set()
        saver.join()
    assert {"persons", "documents", "indexing", "built", "after"} <= set(stages)
    assert saved == [[True]] * len(stages)
    assert all(during_the_swap for during_the_swap, _ in refused), refused
    # inside the swap both registers' files are there, and other readers still read the old one
    assert inside == {"files": ["cache.db.register-1", "cache.db.register-2"], "persons": 8, "new persons": 7}
    assert sample_cache.db.execute("SELECT count(*) FROM persons").fetchone()[0] == 7
    assert other.db.execute("SELECT count(*) FROM persons").fetchone()[0] == 7  # followed at its next read
    assert register_files(tmp_path) == ["cache.db.register-2"]
    other.close()
    background.close()


def test_a_large_table_is_dropped_in_steps(cache, monkeypatch):
    from console.store.register import swap

    statements = []
    monkeypatch.setattr(swap, "DROP_STEP", 10)
    cache.db.execute("CREATE TABLE retired_t (x TEXT)")
    cache.db.execute("CREATE TABLE retired_k (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID")
    cache.db.conn.executemany("INSERT INTO retired_t VALUES (?)", [(str(i),) for i in range(35)])
    cache.db.conn.executemany("INSERT INTO retired_k VALUES (?, '')", [(str(i),) for i in range(25)])
    cache.db.conn.set_trace_callback(statements.append)
    swap.drop_leftovers(cache.db)
    cache.db.conn.set_trace_callback(None)
    assert leftovers(cache.db) == []
    # one short transaction per step of each table, then the drop of the emptied table
    assert sum(s.startswith("DELETE FROM retired_t ") for s in statements) == 4
    assert sum(s.startswith("DELETE FROM retired_k ") for s in statements) == 3


def test_a_failed_import_deletes_its_file_at_once(sample_cache, sample_register, tmp_path):
    folder = copy_register(sample_register, tmp_path / "v2")

    def fail(db):
        raise RuntimeError("the swap failed")

    with pytest.raises(RuntimeError):
        import_register(sample_cache.db, folder, on_swap=fail)
    assert register_files(tmp_path) == ["cache.db.register-1"]
    assert sample_cache.db.execute("SELECT count(*) FROM persons").fetchone()[0] == 8


def test_an_import_refused_for_a_full_disk_deletes_its_file(sample_cache, sample_register, tmp_path, monkeypatch):
    from console.store.connection import CacheDiskFull
    from console.store.register import swap

    folder = copy_register(sample_register, tmp_path / "v2")
    edit_csv(folder, "persons.csv", lambda r: r + [
        [f"S{i}", "", "Filler", "Person", "", "", "", "", "x" * 400, "", "", "", "", "", ""] for i in range(2000, 4000)])
    real_connect = swap.connect_file

    def small_disk(path, key):  # the disk fills while the new register is being written
        conn = real_connect(path, key)
        conn.execute("PRAGMA max_page_count = 40")
        return conn

    monkeypatch.setattr(swap, "connect_file", small_disk)
    with pytest.raises(CacheDiskFull):
        import_register(sample_cache.db, folder)
    assert register_files(tmp_path) == ["cache.db.register-1"]
    assert sample_cache.db.execute("SELECT count(*) FROM persons").fetchone()[0] == 8
    # and the calls still save
    assert sample_cache.log_calls(make(1)) == [True]


def test_a_refused_register_leaves_no_file(sample_cache, sample_register, tmp_path):
    folder = copy_register(sample_register, tmp_path / "bad")
    edit_csv(folder, "practices.csv", lambda r: r + [["NP01", "Again", ""]])
    with pytest.raises(RegisterRefused):
        sample_cache.import_register(folder)
    assert register_files(tmp_path) == ["cache.db.register-1"]


def test_a_transaction_begun_across_a_swap_reads_one_register(sample_cache, sample_register, tmp_path):
    """A connection that last looked just before another swapped a register in
    begins its transaction on the new register, never the new version with the
    old rows."""
    from console.store.connection import open_cache

    reader = open_cache(tmp_path / "cache.db", check=False)
    assert reader.execute("SELECT count(*) FROM persons").fetchone()[0] == 8
    folder = copy_register(sample_register, tmp_path / "v2")
    edit_csv(folder, "persons.csv", lambda r: [row for row in r if row[0] != "S0004"])
    import_register(sample_cache.db, folder)
    # as if the reader had checked for a swap a moment before it committed
    reader.conn._data_version = reader.conn._probe.execute("PRAGMA data_version").fetchall()[0][0]
    reader.execute("BEGIN")
    seen = (reader.execute("SELECT value FROM meta WHERE key = 'register_generation'").fetchone()[0],
            reader.execute("SELECT count(*) FROM persons").fetchone()[0])
    reader.execute("COMMIT")
    assert seen == ("2", 7)
    reader.close()


def test_a_cache_whose_register_file_is_gone_holds_no_register_and_fetches_it_again(sample_cache, tmp_path):
    from console.store.connection import open_cache

    with write_transaction(sample_cache.db):
        sample_cache.db.execute("UPDATE meta SET value = '4' WHERE key = 'sync.register_seq'")
    sample_cache.close()
    (tmp_path / "cache.db.register-1").unlink()
    db = open_cache(tmp_path / "cache.db")
    assert db.execute("SELECT count(*) FROM persons").fetchone()[0] == 0
    assert db.execute("SELECT value FROM meta WHERE key = 'register_version'").fetchone() is None
    assert db.execute("SELECT value FROM meta WHERE key = 'sync.register_seq'").fetchone()[0] == "0"
    db.close()


def test_the_register_in_service_cannot_be_written_through_the_cache(sample_cache):
    """Only an import makes a register, in a new file: the one in service is attached read-only."""
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        sample_cache.db.execute("DELETE FROM persons")
    assert sample_cache.db.execute("SELECT count(*) FROM persons").fetchone()[0] == 8
