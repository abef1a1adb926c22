"""The register on the hub: imported once by an administrator, served to every
workstation as a snapshot (a .zip of the register folder).

The hub checks a register with the checks every workstation's importer
applies (console.core.register_format), on the exact bytes it will serve: a
register the hub accepts is one every workstation accepts, and its digest
(console.core.register_delta) is what each workstation must arrive at after
importing the snapshot. The snapshot's bytes are kept in the database
itself, so any hub process can serve them.
"""

import hashlib
import logging
import zipfile
from pathlib import Path

from console.core.register_delta import fixed_time_zip, make_delta, register_digest
from console.core.register_format import FILES, CheckedRegister, RegisterRefused, check_register
from console.core.timeutil import now, utc_text
from console.hub.changes import append_change

log = logging.getLogger("console.hub.registers")

ENTRY_COLUMNS = ("seq, register_version, sha256, size, digest, persons, documents, imported_at, "
                 "delta_from, delta_sha256, delta_size")


def snapshot_bytes(path) -> bytes:
    """The snapshot of a register folder (zipped in memory) or .zip (as it is)."""
    path = Path(path)
    if path.is_dir():
        # the same folder always makes the same snapshot bytes
        # (a missing file is for the check to report)
        return fixed_time_zip({name: (path / name).read_bytes()
                               for name in ("manifest.json", *FILES) if (path / name).is_file()})
    if not path.exists():
        raise RegisterRefused([f"{path}: no such folder or file."])
    if not zipfile.is_zipfile(path):
        raise RegisterRefused([f"{path}: not a register folder or a .zip of one."])
    return path.read_bytes()


def _delta(db, current: dict, new: CheckedRegister) -> bytes:
    """The changes from the register in service to the new one, for the
    workstations that hold the one in service."""
    previous = check_register(db.snapshot_slice(current["seq"], 0, current["size"]))
    return make_delta(previous.rows, new.rows, from_seq=current["seq"], register_version=new.register_version,
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
    checked = check_register(snapshot)
    digest = register_digest({table: rows.values() for table, rows in checked.rows.items()})
    delta = _delta(db, current, checked) if current else None
    with db.write() as tx:
        seq = tx.value(
            "INSERT INTO registers (register_version, sha256, size, digest, persons, documents, imported_at, snapshot, "
            "delta_from, delta_sha256, delta_size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
            [checked.register_version, sha256, len(snapshot), digest, checked.persons, checked.documents,
             utc_text(now()), b"", current["seq"] if delta else None,
             hashlib.sha256(delta).hexdigest() if delta else None, len(delta) if delta else None])
        # sealed once the row has its seq, which their associated data names (console/hub/sealing.py)
        tx.execute("UPDATE registers SET snapshot = ?, delta = ? WHERE seq = ?",
                   [tx.sealer.seal_blob("registers", str(seq), "snapshot", snapshot),
                    tx.sealer.seal_blob("registers", str(seq), "delta", delta), seq])
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
