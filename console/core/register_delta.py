"""A register's digest and its changes since the one before it, computed from
its rows as stored (register_format.stored_text), the same on the hub and on
every workstation that holds the same register, however it got there.

A delta holds the rows added or changed and the ids removed, per file. The
hub makes one when a new register is imported; a workstation holding the
register before it fetches the delta instead of the whole snapshot, rebuilds
the new register from its own rows plus the delta, and imports that with the
one importer, so the search tables come out exactly as from the snapshot.
The importer's file hashes then vouch only for the rebuild; what vouches for
the result is the register digest, checked against the hub's inside the
swap's transaction (a mismatch leaves the old register in service).
"""

import csv
import hashlib
import io
import json
import zipfile

from console.core.register_format import COLUMNS, FORMAT, TABLES, RegisterRefused

DELTA_FORMAT = "breach-register-delta"
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the same files always make the same .zip bytes


def fixed_time_zip(files: dict[str, bytes]) -> bytes:
    """A .zip of `files` (name -> bytes, in that order) whose bytes depend on nothing else."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def register_digest(rows) -> str:
    """SHA-256 over every register row, in id order and register-format column
    order: `rows` maps each table of TABLES to its rows as stored, as text."""
    digest = hashlib.sha256()
    for table, _ in TABLES:
        digest.update(f"\x1d{table}\x1e".encode())
        for row in rows[table]:
            digest.update("\x1f".join(row).encode("utf-8"))
            digest.update(b"\x1e")
    return digest.hexdigest()


def _csv(table: str, rows) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS[f"{table}.csv"])
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def make_delta(old: dict, new: dict, *, from_seq: int, register_version: str, generated_at: str) -> bytes:
    """The delta (a .zip) that turns the register with rows `old` into the one
    with rows `new` (table -> {id: row as stored, as text})."""
    files, removed, counts = {}, {}, {}
    for table, _ in TABLES:
        before, after = old[table], new[table]
        changed = [row for key, row in after.items() if before.get(key) != row]
        removed[table] = sorted(set(before) - set(after))
        counts[table] = len(after)
        files[f"{table}.csv"] = _csv(table, changed)
    files["delta.json"] = json.dumps({
        "format": DELTA_FORMAT, "from_seq": from_seq, "register_version": register_version,
        "generated_at": generated_at, "removed": removed, "counts": counts,
    }, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return fixed_time_zip(files)


def delta_from_seq(delta: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(delta)) as archive:
        return json.loads(archive.read("delta.json"))["from_seq"]


def apply_delta(rows: dict, delta: bytes) -> bytes:
    """The new register (a .zip the importer reads) from the rows of the one
    before it (changed in place) and `delta`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(delta))
        header = json.loads(archive.read("delta.json"))
        if header.get("format") != DELTA_FORMAT:
            raise ValueError("not a register delta")
        for table, _ in TABLES:
            table_rows = rows[table]
            for key in header["removed"][table]:
                table_rows.pop(key, None)
            with archive.open(f"{table}.csv") as f:
                reader = csv.reader(io.TextIOWrapper(f, encoding="utf-8", newline=""))
                next(reader)
                for row in reader:
                    table_rows[row[0]] = tuple(row)
    except (KeyError, ValueError, zipfile.BadZipFile, StopIteration) as exc:
        raise RegisterRefused([f"The register delta from the hub cannot be read ({exc})."]) from None
    files = {f"{table}.csv": _csv(table, (table_rows[key] for key in sorted(table_rows)))
             for table, table_rows in rows.items()}
    manifest = {
        "format": FORMAT, "format_version": 1, "register_version": header["register_version"],
        "generated_at": header["generated_at"],
        "counts": {table: len(table_rows) for table, table_rows in rows.items()},
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    return fixed_time_zip({"manifest.json": json.dumps(manifest).encode("utf-8"), **files})
