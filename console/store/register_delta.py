"""A register's changes since the one before it: the rows added or changed
and the ids removed, per file. The hub makes a delta when a new register is
imported; a workstation holding the register before it fetches the delta
instead of the whole snapshot, rebuilds the new register from its own tables
plus the delta, and imports that with the one importer, so the search tables
come out exactly as from the snapshot. The importer's file hashes then vouch
only for the rebuild; what vouches for the result is the register digest,
checked against the hub's inside the swap's transaction (a mismatch leaves
the old register in service).

Rows are compared as the importer stored them (register_tables), written as
text: importing such a row again stores the same values.
"""

import csv
import hashlib
import io
import json
import zipfile

from console.store.register_digest import TABLES
from console.store.register_import import COLUMNS, FORMAT, RegisterRefused

DELTA_FORMAT = "breach-register-delta"
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def register_rows(db) -> dict[str, dict[str, tuple]]:
    """Every register row by table and id, as text in register-format column order."""
    rows = {}
    for table, key in TABLES:
        columns = COLUMNS[f"{table}.csv"]
        rows[table] = {
            row[0]: tuple("" if v is None else str(v) for v in row)
            for row in db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {key}")
        }
    return rows


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def _csv(table: str, rows) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS[f"{table}.csv"])
    writer.writerows(rows)
    return text.getvalue().encode("utf-8")


def make_delta(old: dict, new: dict, *, from_seq: int, register_version: str, generated_at: str) -> bytes:
    """The delta (a .zip) that turns the register with rows `old` into the one with rows `new`."""
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
    return _zip(files)


def delta_from_seq(delta: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(delta)) as archive:
        return json.loads(archive.read("delta.json"))["from_seq"]


def rebuild_register(db, delta: bytes) -> bytes:
    """The new register (a .zip the importer reads) from this cache's register and `delta`."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(delta))
        header = json.loads(archive.read("delta.json"))
        if header.get("format") != DELTA_FORMAT:
            raise ValueError("not a register delta")
        rows = register_rows(db)
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
    return _zip({"manifest.json": json.dumps(manifest).encode("utf-8"), **files})
