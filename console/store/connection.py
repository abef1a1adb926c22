"""The one place that opens the cache.

Everything else receives a `sqlite_utils.Database` from `open_cache`, so the
security work can swap the driver for SQLCipher here alone.

Connections run in autocommit mode (isolation_level=None): sqlite-utils wraps
its own writes in BEGIN/COMMIT, and our multi-statement writes use
`write_transaction`, so no implicit transaction is ever left open.
"""

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils


class CacheError(Exception):
    """The cache cannot be used; the message says what to do."""


def _create_owner_only(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def open_cache(path, *, check: bool = True, migrate: bool = True) -> sqlite_utils.Database:
    """Open (creating owner-only if new) the cache at `path` in WAL mode with
    full durability, check it is undamaged, and bring its schema up to date.

    The check reads the whole file (about a second for a 2-million-person
    register), so latency-critical lookups pass check=False; SQLite still
    refuses any damaged page they touch.
    """
    path = Path(path)
    if str(path) != ":memory:":
        _create_owner_only(path)
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    db = sqlite_utils.Database(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    # every acknowledged write must survive power loss, not only a crash
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    if check:
        verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            conn.close()
            raise CacheError(
                f"The cache {path} is damaged ({verdict}). It has been left as it is for inspection; "
                "move it aside and start with a new cache, then re-import the register."
            )
    if migrate:
        from console.store.schema import migrate as apply_migrations

        apply_migrations(db)
    return db


@contextmanager
def write_transaction(db: sqlite_utils.Database):
    """BEGIN IMMEDIATE … COMMIT: the writer lock is taken up front, and the
    block's writes are saved only when COMMIT returns."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")
