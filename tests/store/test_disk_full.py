"""A full disk is told as what it is, with nothing lost, never as a damaged
cache or a key that does not open it."""

import sqlite3

import pytest

from console.store.connection import CacheDiskFull, CacheError

from test_call_log import make

FULL = "The disk holding the cache is full: free some space and try again; nothing was lost."


def fill(cache):
    pages = cache.db.execute("PRAGMA page_count").fetchone()[0]
    cache.db.execute(f"PRAGMA max_page_count = {pages}")  # what SQLite says on a full disk, without one


def test_a_save_on_a_full_disk_says_so_and_loses_nothing(cache):
    assert cache.log_calls(make(3)) == [True] * 3
    fill(cache)
    with pytest.raises(CacheDiskFull) as full:
        cache.log_calls(make(400, notes="n" * 2000))
    assert str(full.value) == FULL
    assert isinstance(full.value, CacheError) and isinstance(full.value, sqlite3.OperationalError)
    assert cache.db.execute("SELECT count(*) FROM calls").fetchone()[0] == 3
    cache.db.execute("PRAGMA max_page_count = 1073741823")  # space freed
    assert cache.log_calls(make(1)) == [True]


def test_opening_a_cache_on_a_full_disk_says_so_not_that_its_key_fails(tmp_path, monkeypatch):
    from console.store import connection
    from console.store.cache import Cache

    Cache.open(tmp_path / "cache.db").close()
    real = connection.connect_file

    def on_a_full_disk(path, key):
        conn = real(path, key)

        def fail(*args):
            error = connection.sqlcipher.OperationalError("disk I/O error")
            error.sqlite_errorcode = 4874  # SQLITE_IOERR_SHMSIZE: no room for the WAL index
            raise connection._as_sqlite3(error)

        conn.execute = fail
        return conn

    monkeypatch.setattr(connection, "connect_file", on_a_full_disk)
    with pytest.raises(CacheDiskFull) as full:
        Cache.open(tmp_path / "cache.db")
    assert str(full.value) == FULL


def test_a_damaged_cache_keeps_its_own_sentence(tmp_path):
    from console.store.cache import Cache

    path = tmp_path / "cache.db"
    Cache.open(path).close()
    data = bytearray(path.read_bytes())
    data[5000:5100] = bytes(100)
    path.write_bytes(bytes(data))
    with pytest.raises(CacheError) as damaged:
        Cache.open(path)
    assert not isinstance(damaged.value, CacheDiskFull)
    assert "full" not in str(damaged.value)
