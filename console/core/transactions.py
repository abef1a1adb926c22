"""One database transaction over a DB-API connection, the same on the
workstation's cache and the hub's SQLite database: what is written inside is
saved when the commit returns, or not at all.

No SQL here: the caller says how its transaction begins (a plain BEGIN, or
BEGIN IMMEDIATE to take the writer lock up front); the end is the
connection's own commit() and rollback().
"""

from collections.abc import Callable
from contextlib import contextmanager


@contextmanager
def transaction(conn, begin: Callable[[], object]):
    """Run `begin()`, then the block; commit, or roll back if the block fails.

    A failed commit (disk full, I/O error) leaves the transaction open: it is
    rolled back too, so nothing half-saved lingers and the next one can begin.
    A `begin` that fails has opened nothing, and its error passes through."""
    begin()
    try:
        yield
    except BaseException:
        conn.rollback()
        raise
    try:
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
