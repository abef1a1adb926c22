"""A register holding one canary person (issue 14): a code, NHI, phone and
street address found nowhere else, so a test can look for them in every
copy of the helpline's data."""

import csv
import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

from tests.support.hub import REPO

SAMPLE = REPO / "resources" / "sample-register"
CANARY = {
    "person_id": "CANARY-1",
    "nhi": "ZZZ0024",
    "family_name": "Kanari",
    "given_names": "Tūī Whetū",
    "date_of_birth": "1961-07-14",
    "phones": "021 987 6513",
    "address": "77 Canarywharf Crescent",
    "postcode": "0612",
    "notification_code": "QZ7X-CN4R-Y9",
}


def write_register(folder: Path, persons: list[dict], register_version: str, extra_columns=(), change=None) -> Path:
    """The sample register with `persons` (column → value) added to persons.csv,
    and each sample person passed through `change` (a dict → a dict) when given."""
    shutil.copytree(SAMPLE, folder)
    with open(folder / "persons.csv", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames + [c for c in extra_columns if c not in reader.fieldnames]
        rows = [change(row) if change else row for row in reader]
    with open(folder / "persons.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows + persons)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["register_version"] = register_version
    manifest["counts"]["persons"] = len(rows) + len(persons)
    manifest["sha256"] = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
                          for name in ("persons.csv", "documents.csv", "practices.csv")}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def canary_register(folder: Path, register_version: str = "canary-1") -> Path:
    return write_register(folder, [CANARY], register_version)


def unzipped(data: bytes) -> bytes:
    """`data`, and when it is a .zip every member's bytes after it (a snapshot is deflated)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return data + b"".join(archive.read(name) for name in archive.namelist())
    except zipfile.BadZipFile:
        return data


def every_value(conn) -> bytes:
    """Every value of every table of a connection (blobs unzipped), as bytes:
    the tables of every database attached to it (a workstation's register file too)."""
    out = []
    schemas = [r[1] for r in conn.execute("PRAGMA database_list") if r[1] != "temp"]
    tables = [f'"{schema}"."{r[0]}"' for schema in schemas
              for r in conn.execute(f'SELECT name FROM "{schema}".sqlite_master WHERE type = \'table\'')]
    for table in tables:
        for row in conn.execute(f'SELECT * FROM {table}'):
            for value in row:
                if isinstance(value, (bytes, bytearray, memoryview)):
                    out.append(unzipped(bytes(value)))
                elif value is not None:
                    out.append(str(value).encode("utf-8"))
    return b"\n".join(out)


def code_forms(code: str) -> list[bytes]:
    """The ways a code could be written down: as given, normalised, in lower case."""
    key = code.replace("-", "").replace(" ", "").upper()
    return [form.encode("utf-8") for form in {code, key, key.lower(), code.lower()}]


def codes_given_as_hashes(folder: Path) -> Path:
    """The register in `folder` with each person's notification code replaced
    by an argon2id hash in `notification_code_hash`, as an investigation that
    hands over no codes gives it: one hash for everyone (a new register's
    tens of thousands of codes would take a minute of both cores to hash, in
    tests whose subject is not the hashing)."""
    from console.core.codes import hash_code

    one = hash_code("DEMO-HASHED")
    path = folder / "persons.csv"
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames + ["notification_code_hash"]
        rows = [dict(row, notification_code="", notification_code_hash=one if row["notification_code"] else "")
                for row in reader]
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["sha256"]["persons.csv"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder
