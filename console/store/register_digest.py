"""A digest of a register's contents, the same on the hub and on every
workstation that holds the same register, however it got there."""

import hashlib

from console.store.register_import import COLUMNS

TABLES = (("practices", "practice_code"), ("persons", "person_id"), ("documents", "document_id"))


def register_digest(db) -> str:
    """SHA-256 over every register row in id order, in register-format column order."""
    digest = hashlib.sha256()
    for table, key in TABLES:
        columns = COLUMNS[f"{table}.csv"]
        digest.update(f"\x1d{table}\x1e".encode())
        for row in db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {key}"):
            digest.update("\x1f".join("" if v is None else str(v) for v in row).encode("utf-8"))
            digest.update(b"\x1e")
    return digest.hexdigest()
