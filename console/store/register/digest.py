"""The register rows a cache holds, as stored and written as text, and their
digest (console.core.register_delta.register_digest): what a workstation
compares with the hub's after importing a register."""

from console.core import register_delta
from console.core.register_format import COLUMNS, NOT_HELD, TABLES


def _table_rows(db, table: str, key: str):
    # what a workstation does not hold reads as "", as in the rows as stored
    columns = ["''" if column in NOT_HELD else column for column in COLUMNS[f"{table}.csv"]]
    for row in db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {key}"):
        yield tuple("" if v is None else str(v) for v in row)


def register_rows(db) -> dict[str, dict[str, tuple]]:
    """Every register row by table and id, as text in register-format column order."""
    return {table: {row[0]: row for row in _table_rows(db, table, key)} for table, key in TABLES}


def register_digest(db) -> str:
    """SHA-256 over every register row in id order, in register-format column order."""
    return register_delta.register_digest({table: _table_rows(db, table, key) for table, key in TABLES})
