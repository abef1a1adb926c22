"""The swap of a new register holds the writer lock only to rename tables:
the old register is dropped after it, in short steps, so a save made during
an import goes through; a failed import drops its staging tables at once."""

import threading

import pytest

from console.core.register_format import RegisterRefused
from console.store.register.swap import import_register

from test_call_log import make
from test_register_import import copy_register, edit_csv


def leftovers(db) -> list[str]:
    return [t for t in db.table_names() if t.startswith(("import_", "retired_"))]


def test_the_old_register_is_dropped_after_the_swap_not_inside_it(sample_cache, sample_register, tmp_path):
    from console.store.cache import Cache

    other = Cache.open(tmp_path / "cache.db", operator="op-other")
    inside = {}
    saved = []

    def on_swap(db):
        # inside the swap's transaction the old register is whole, only renamed
        inside["tables"] = leftovers(db)
        inside["old persons"] = db.execute("SELECT count(*) FROM retired_persons").fetchone()[0]
        # a save from another connection waits for the swap, then goes through
        inside["save"] = threading.Thread(target=lambda: saved.append(other.log_calls(make(1))))
        inside["save"].start()

    folder = copy_register(sample_register, tmp_path / "v2")
    edit_csv(folder, "persons.csv", lambda r: [row for row in r if row[0] != "S0004"])
    import_register(sample_cache.db, folder, on_swap=on_swap)
    inside["save"].join()
    other.close()
    assert set(inside["tables"]) >= {"retired_persons", "retired_documents", "retired_name_parts"}
    assert inside["old persons"] == 8
    assert saved == [[True]]
    assert sample_cache.db.execute("SELECT count(*) FROM persons").fetchone()[0] == 7
    assert sample_cache.db.execute("SELECT count(*) FROM calls").fetchone()[0] == 1
    assert leftovers(sample_cache.db) == []


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


def test_a_failed_import_drops_its_staging_tables_at_once(sample_cache, sample_register, tmp_path):
    folder = copy_register(sample_register, tmp_path / "v2")

    def fail(db):
        raise RuntimeError("the swap failed")

    with pytest.raises(RuntimeError):
        import_register(sample_cache.db, folder, on_swap=fail)
    assert leftovers(sample_cache.db) == []
    assert sample_cache.db.execute("SELECT count(*) FROM persons").fetchone()[0] == 8


def test_an_import_refused_for_a_full_disk_drops_its_staging_tables(sample_cache, sample_register, tmp_path):
    from console.store.connection import CacheDiskFull

    folder = copy_register(sample_register, tmp_path / "v2")
    edit_csv(folder, "persons.csv", lambda r: r + [
        [f"S{i}", "", "Filler", "Person", "", "", "", "", "x" * 400, "", "", "", "", "", ""] for i in range(2000, 4000)])
    pages = sample_cache.db.execute("PRAGMA page_count").fetchone()[0]
    sample_cache.db.execute(f"PRAGMA max_page_count = {pages + 40}")
    with pytest.raises(CacheDiskFull):
        import_register(sample_cache.db, folder)
    assert leftovers(sample_cache.db) == []
    assert sample_cache.db.execute("SELECT count(*) FROM persons").fetchone()[0] == 8
    # and the calls still save
    assert sample_cache.log_calls(make(1)) == [True]


def test_a_refused_register_leaves_no_staging_tables(sample_cache, sample_register, tmp_path):
    folder = copy_register(sample_register, tmp_path / "bad")
    edit_csv(folder, "practices.csv", lambda r: r + [["NP01", "Again", ""]])
    with pytest.raises(RegisterRefused):
        sample_cache.import_register(folder)
    assert leftovers(sample_cache.db) == []
