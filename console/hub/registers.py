"""The register on the hub: imported once by an administrator, served to every
workstation as a snapshot (a .zip of the register folder).

The hub checks a register with the checks every workstation's importer
applies (console.core.register_format): a register the hub accepts is one
every workstation accepts. It then keeps the register as given but for its
notification codes, each replaced by an argon2id hash (hashed_snapshot;
register-format.md, "Notification codes are secrets"): that snapshot is what
it stores and serves, and its digest (console.core.register_delta) is what
each workstation must arrive at after importing it. The snapshot's bytes are
kept in the database itself, so any hub process can serve them.
"""

import csv
import hashlib
import hmac
import io
import json
import logging
from pathlib import Path

from console.core.codes import ParallelHasher, code_mac
from console.core.register_delta import fixed_time_zip, make_delta, register_digest
from console.core.register_format import (CODE, CODE_HASH, COLUMNS, FILES, CheckedRegister,
                                          RegisterSource, check_register, csv_rows, read_manifest)
from console.core.timeutil import now, utc_text
from console.hub.changes import append_change

log = logging.getLogger("console.hub.registers")

CODES_PER_INSERT = 300  # rows of register_codes per INSERT (900 parameters)
PERSONS_PER_INSERT = 450  # rows of register_persons per INSERT, ids per lookup (900 parameters)
ENTRY_COLUMNS = ("seq, register_version, sha256, size, digest, persons, documents, imported_at, "
                 "delta_from, delta_sha256, delta_size")


def snapshot_bytes(path) -> bytes:
    """The snapshot of a register folder (zipped in memory) or .zip (as it is)."""
    path = Path(path)
    RegisterSource(path).close()  # the limits on sizes (console.core.register_format), before anything is read
    if path.is_dir():
        # the same folder always makes the same snapshot bytes
        # (a missing file is for the check to report)
        return fixed_time_zip({name: (path / name).read_bytes()
                               for name in ("manifest.json", *FILES) if (path / name).is_file()})
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


def _source_sha256(db, seq: int) -> str | None:
    with db.read() as tx:
        return tx.value("SELECT source_sha256 FROM registers WHERE seq = ?", [seq])


def hashed_snapshot(given: bytes, kept_hash, progress=None) -> tuple[bytes, list[tuple[str, str, str]]]:
    """The register `given` (a snapshot's bytes) with each notification code
    replaced by its argon2id hash: the one `kept_hash(person_id, code)` gives,
    else a new one, hashed on every core (`progress(stage, done, total)`). A
    hash the register brings is kept as it is. Returns the new snapshot and
    (person_id, code, hash) of each code, which the caller keeps in memory only."""
    progress = progress or (lambda stage, done, total: None)
    source = RegisterSource(given)
    try:
        manifest = read_manifest(source)
        persons = [list(row) for _, row in csv_rows(source, "persons.csv")]
        files = {}
        for name in FILES[1:]:
            with source.open_bytes(name) as f:
                files[name] = f.read()
    finally:
        source.close()
    with_code = [row for row in persons if row[CODE]]
    to_hash = []
    for row in with_code:
        row[CODE_HASH] = kept_hash(row[0], row[CODE]) or ""
        if not row[CODE_HASH]:
            to_hash.append(row)
    with ParallelHasher(lambda done: progress("codes", done, len(to_hash))) as hasher:
        hashes = hasher([row[CODE] for row in to_hash])
    for row, code_hash in zip(to_hash, hashes, strict=True):
        row[CODE_HASH] = code_hash
    hashed = []
    for row in with_code:
        hashed.append((row[0], row[CODE], row[CODE_HASH]))
        row[CODE] = ""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS["persons.csv"])
    writer.writerows(persons)
    files["persons.csv"] = text.getvalue().encode("utf-8")
    manifest["sha256"] = dict(manifest["sha256"], **{"persons.csv": hashlib.sha256(files["persons.csv"]).hexdigest()})
    files = {"manifest.json": json.dumps(manifest, indent=2).encode("utf-8"), **files}
    log.info("register codes: %s hashed, %s kept", len(to_hash), len(with_code) - len(to_hash))
    return fixed_time_zip(files), hashed


def hash_codes_of(db, given: bytes, checked: CheckedRegister, progress=None) -> tuple[bytes, dict]:
    """The snapshot the hub keeps and serves (hashed_snapshot), with
    `checked`'s rows patched alike. A code whose keyed digest of (person, code)
    is the one kept from the previous register keeps that register's hash;
    only new or changed codes are hashed. Returns (snapshot, {person_id:
    (code_mac, code_hash)}), what register_codes keeps for the next register."""
    with db.read() as tx:
        known = {person_id: (mac, tx.open("register_codes", person_id, "code_hash", code_hash))
                 for person_id, mac, code_hash in tx.all("SELECT person_id, code_mac, code_hash FROM register_codes")}
    key = db.key.code_mac_key

    def kept_hash(person_id: str, code: str) -> str | None:
        kept = known.get(person_id)
        return kept[1] if kept and hmac.compare_digest(kept[0], code_mac(key, person_id, code)) else None

    snapshot, hashed = hashed_snapshot(given, kept_hash, progress)
    stored = checked.rows["persons"]
    codes = {}
    for person_id, code, code_hash in hashed:
        codes[person_id] = (code_mac(key, person_id, code), code_hash)
        row = stored[person_id]
        stored[person_id] = (*row[:CODE], "", code_hash, *row[CODE_HASH + 1:])
    return snapshot, codes


def keep_persons(tx, seq: int, person_ids) -> None:
    """Add the persons of register `seq` to those of every register the hub has
    held (register_persons: what a pushed record's person is judged by)."""
    person_ids = list(person_ids)
    for start in range(0, len(person_ids), PERSONS_PER_INSERT):
        batch = person_ids[start:start + PERSONS_PER_INSERT]
        tx.execute("INSERT INTO register_persons (person_id, first_seq) VALUES "
                   + ", ".join(["(?, ?)"] * len(batch)) + " ON CONFLICT (person_id) DO NOTHING",
                   [value for person_id in batch for value in (person_id, seq)])


def persons_known(tx, person_ids) -> set[str]:
    """Those of `person_ids` that are in a register the hub has held."""
    person_ids = sorted(set(person_ids))
    known = set()
    for start in range(0, len(person_ids), PERSONS_PER_INSERT):
        batch = person_ids[start:start + PERSONS_PER_INSERT]
        known.update(person_id for (person_id,) in tx.all(
            f"SELECT person_id FROM register_persons WHERE person_id IN ({', '.join('?' * len(batch))})", batch))
    return known


def import_register(db, path, progress=None) -> tuple[dict, bool]:
    """Check the register at `path` and put it in service: (entry, True), or
    (the entry in service, False) when it is that very register already.
    RegisterRefused changes nothing. The codes are hashed (hash_codes_of)
    before anything is written; `progress(stage, done, total)` hears it."""
    given = snapshot_bytes(path)
    source_sha256 = hashlib.sha256(given).hexdigest()
    current = latest_register(db)
    if current and _source_sha256(db, current["seq"]) == source_sha256:
        return current, False
    checked = check_register(given)
    snapshot, codes = hash_codes_of(db, given, checked, progress)
    del given
    sha256 = hashlib.sha256(snapshot).hexdigest()
    digest = register_digest({table: rows.values() for table, rows in checked.rows.items()})
    delta = _delta(db, current, checked) if current else None
    with db.write() as tx:
        seq = tx.value(
            "INSERT INTO registers (register_version, sha256, size, digest, persons, documents, imported_at, snapshot, "
            "delta_from, delta_sha256, delta_size, source_sha256) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
            [checked.register_version, sha256, len(snapshot), digest, checked.persons, checked.documents,
             utc_text(now()), b"", current["seq"] if delta else None,
             hashlib.sha256(delta).hexdigest() if delta else None, len(delta) if delta else None, source_sha256])
        # sealed once the row has its seq, which their associated data names (console/hub/sealing.py)
        tx.execute("UPDATE registers SET snapshot = ?, delta = ? WHERE seq = ?",
                   [tx.sealer.seal_blob("registers", str(seq), "snapshot", snapshot),
                    tx.sealer.seal_blob("registers", str(seq), "delta", delta), seq])
        keep_persons(tx, seq, checked.rows["persons"])
        tx.execute("DELETE FROM register_codes")
        kept = [(person_id, mac, tx.seal("register_codes", person_id, "code_hash", code_hash))
                for person_id, (mac, code_hash) in codes.items()]
        for start in range(0, len(kept), CODES_PER_INSERT):
            batch = kept[start:start + CODES_PER_INSERT]
            tx.execute("INSERT INTO register_codes (person_id, code_mac, code_hash) VALUES "
                       + ", ".join(["(?, ?, ?)"] * len(batch)), [value for row in batch for value in row])
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
