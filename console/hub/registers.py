"""The register on the hub: imported once by an administrator, served to every
workstation as a snapshot (a .zip of the register folder).

The hub checks a register with the workstation's own importer
(console.store.register_import), run on the exact bytes it will serve, into a
scratch in-memory cache: a register the hub accepts is one every workstation
accepts, and its digest (console.store.register_digest) is what each
workstation must arrive at after importing the snapshot. The snapshot's
bytes are kept in the database itself, so any hub process can serve them.
"""

import hashlib
import io
import logging
import zipfile
from pathlib import Path

from console.core.timeutil import now, utc_text
from console.hub.changes import append_change
from console.store.register_import import FILES, RegisterRefused

log = logging.getLogger("console.hub.registers")

ENTRY_COLUMNS = ("seq, register_version, sha256, size, digest, persons, documents, imported_at, "
                 "delta_from, delta_sha256, delta_size")
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the same folder always makes the same snapshot bytes


def snapshot_bytes(path) -> bytes:
    """The snapshot of a register folder (zipped in memory) or .zip (as it is)."""
    path = Path(path)
    if path.is_dir():
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in ("manifest.json", *FILES):
                if (path / name).is_file():  # a missing file is for the importer to report
                    info = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    archive.writestr(info, (path / name).read_bytes())
        return buffer.getvalue()
    if not path.exists():
        raise RegisterRefused([f"{path}: no such folder or file."])
    if not zipfile.is_zipfile(path):
        raise RegisterRefused([f"{path}: not a register folder or a .zip of one."])
    return path.read_bytes()


def check_register(snapshot: bytes, rows: bool = False) -> tuple:
    """Import the snapshot into a scratch cache as a workstation would:
    (ImportResult, digest, its rows if asked for), or RegisterRefused with the
    importer's sentences."""
    import sqlite_utils

    from console.store.register_delta import register_rows
    from console.store.register_digest import register_digest
    from console.store.register_import import import_register
    from console.store.schema import migrate

    scratch = sqlite_utils.Database(memory=True)
    try:
        migrate(scratch)
        result = import_register(scratch, snapshot)
        return result, register_digest(scratch), register_rows(scratch) if rows else None
    finally:
        scratch.close()


def _delta(db, current: dict, new_rows: dict, result) -> bytes:
    """The changes from the register in service to the new one, for the
    workstations that hold the one in service."""
    from console.store.register_delta import make_delta

    previous = db.snapshot_slice(current["seq"], 0, current["size"])
    _, _, old_rows = check_register(previous, rows=True)
    return make_delta(old_rows, new_rows, from_seq=current["seq"], register_version=result.register_version,
                      generated_at=utc_text(now()))


def _entry(row) -> dict:
    seq, version, sha256, size, digest, persons, documents, imported_at, delta_from, delta_sha256, delta_size = row
    return {"seq": seq, "register_version": version, "sha256": sha256, "size": size, "digest": digest,
            "persons": persons, "documents": documents, "imported_at": imported_at,
            "delta_from": delta_from, "delta_sha256": delta_sha256, "delta_size": delta_size}


def import_register(db, path) -> tuple[dict, bool]:
    """Check the register at `path` and put it in service: (entry, True), or
    (the entry in service, False) when it is that very snapshot already.
    RegisterRefused changes nothing."""
    snapshot = snapshot_bytes(path)
    sha256 = hashlib.sha256(snapshot).hexdigest()
    current = latest_register(db)
    if current and current["sha256"] == sha256:
        return current, False
    result, digest, rows = check_register(snapshot, rows=current is not None)
    delta = _delta(db, current, rows, result) if current else None
    with db.write() as tx:
        seq = tx.value(
            "INSERT INTO registers (register_version, sha256, size, digest, persons, documents, imported_at, snapshot, "
            "delta_from, delta_sha256, delta_size, delta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
            [result.register_version, sha256, len(snapshot), digest, result.persons, result.documents,
             utc_text(now()), snapshot, current["seq"] if delta else None,
             hashlib.sha256(delta).hexdigest() if delta else None, len(delta) if delta else None, delta])
        entry = _entry(tx.one(f"SELECT {ENTRY_COLUMNS} FROM registers WHERE seq = ?", [seq]))
        append_change(tx, "register", str(seq), entry)
    log.info("register %s imported as seq %s: %s persons, %s documents, %s bytes",
             entry["register_version"], seq, entry["persons"], entry["documents"], entry["size"])
    return entry, True


def latest_register(db) -> dict | None:
    with db.read() as tx:
        row = tx.one(f"SELECT {ENTRY_COLUMNS} FROM registers ORDER BY seq DESC LIMIT 1")
    return _entry(row) if row else None


def register_entry(db, seq: int) -> dict | None:
    with db.read() as tx:
        row = tx.one(f"SELECT {ENTRY_COLUMNS} FROM registers WHERE seq = ?", [seq])
    return _entry(row) if row else None
