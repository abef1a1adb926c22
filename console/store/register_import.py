"""Importing a breach register (register-format.md, version 1).

The new register is built in `import_*` tables beside the one in service and
swapped in by one transaction, so readers see the old register or the new,
never a mixture, and a killed import leaves the old one working. Call logs,
callbacks and audit entries live in other tables and are never touched.
"""

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from console.core.contact import email_key, phone_tail, split_phones
from console.core.names import NEAR_MIN_LETTERS, name_key, name_tokens, one_deletions
from console.core.nhi import is_valid_nhi, normalise_nhi
from console.core.timeutil import TimeFormatError, parse_day
from console.store.connection import write_transaction
from console.store.register_tables import REGISTER_TABLES, create_register_indexes, create_register_tables

FORMAT = "breach-register"
FORMAT_VERSIONS = (1,)
FILES = ("persons.csv", "documents.csv", "practices.csv")
COLUMNS = {
    "persons.csv": (
        "person_id", "nhi", "family_name", "given_names", "preferred_name", "date_of_birth", "phones",
        "email", "address", "suburb", "city", "postcode", "region", "practice_code", "notification_code",
    ),
    "documents.csv": ("document_id", "person_id", "category", "document_date", "source_practice_code", "sensitive"),
    "practices.csv": ("practice_code", "name", "region"),
}
CATEGORIES = ("user_upload", "referral_letter", "discharge_summary")
STAGING = "import_"
BATCH = 50_000


class RegisterRefused(Exception):
    """The register was not imported; `problems` holds one sentence each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ImportResult:
    register_version: str
    persons: int
    documents: int
    practices: int
    rejected: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "register_version": self.register_version,
            "persons": self.persons,
            "documents": self.documents,
            "practices": self.practices,
        }


class RegisterSource:
    """The four files of a register, from a folder or a .zip of that folder."""

    def __init__(self, path):
        self.path = Path(path)
        self._zip = None
        self._prefix = ""
        if self.path.is_dir():
            return
        if not self.path.exists():
            raise RegisterRefused([f"{self.path}: no such folder or file."])
        if not zipfile.is_zipfile(self.path):
            raise RegisterRefused([f"{self.path}: not a register folder or a .zip of one."])
        self._zip = zipfile.ZipFile(self.path)
        manifests = [n for n in self._zip.namelist() if PurePosixPath(n).name == "manifest.json"]
        manifests.sort(key=lambda n: n.count("/"))
        if manifests:
            self._prefix = manifests[0][: -len("manifest.json")]

    def exists(self, name: str) -> bool:
        if self._zip is None:
            return (self.path / name).is_file()
        return (self._prefix + name) in self._zip.namelist()

    def open_bytes(self, name: str):
        if self._zip is None:
            return open(self.path / name, "rb")
        return self._zip.open(self._prefix + name)

    def open_text(self, name: str):
        # utf-8-sig tolerates the leading byte-order mark the format allows
        return io.TextIOWrapper(self.open_bytes(name), encoding="utf-8-sig", newline="")

    def close(self):
        if self._zip is not None:
            self._zip.close()


def read_manifest(source: RegisterSource) -> dict:
    if not source.exists("manifest.json"):
        raise RegisterRefused(["manifest.json: missing; a register folder holds manifest.json and three CSV files."])
    try:
        with source.open_bytes("manifest.json") as f:
            manifest = json.loads(f.read().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RegisterRefused([f"manifest.json: not valid JSON ({exc})."]) from None
    problems = []
    if not isinstance(manifest, dict):
        raise RegisterRefused(["manifest.json: must hold a JSON object."])
    if manifest.get("format") != FORMAT:
        problems.append(f"manifest.json: format is {manifest.get('format')!r}; only {FORMAT!r} can be imported.")
    if manifest.get("format_version") not in FORMAT_VERSIONS:
        problems.append(
            f"manifest.json: format_version {manifest.get('format_version')!r} is not supported; this console reads version 1."
        )
    version = manifest.get("register_version")
    if not isinstance(version, str) or not version.strip():
        problems.append("manifest.json: register_version is missing.")
    for key in ("counts", "sha256"):
        if not isinstance(manifest.get(key), dict):
            problems.append(f"manifest.json: {key} is missing or not an object.")
    if problems:
        raise RegisterRefused(problems)
    for name in FILES:
        table = name.removesuffix(".csv")
        if not isinstance(manifest["counts"].get(table), int):
            problems.append(f"manifest.json: counts.{table} is missing or not a whole number.")
        if not isinstance(manifest["sha256"].get(name), str):
            problems.append(f"manifest.json: sha256 of {name} is missing.")
    if problems:
        raise RegisterRefused(problems)
    return manifest


def check_files(source: RegisterSource, manifest: dict) -> None:
    problems = []
    for name in FILES:
        if not source.exists(name):
            problems.append(f"{name}: missing from the register.")
            continue
        digest = hashlib.sha256()
        with source.open_bytes(name) as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != manifest["sha256"][name].strip().lower():
            problems.append(f"{name}: its SHA-256 differs from manifest.json; the file was changed or damaged in transit.")
    if problems:
        raise RegisterRefused(problems)


class _Rows:
    """Rows of one CSV file with their line numbers, after a header check."""

    def __init__(self, source: RegisterSource, name: str):
        self.name = name
        self._file = source.open_text(name)
        self._reader = csv.reader(self._file)
        try:
            header = next(self._reader)
        except StopIteration:
            header = []
        except (csv.Error, UnicodeDecodeError) as exc:
            raise RegisterRefused([f"{name}:1: the header cannot be read ({exc})."]) from None
        self.index = {column.strip(): i for i, column in enumerate(header)}
        missing = [c for c in COLUMNS[name] if c not in self.index]
        if missing:
            self._file.close()
            raise RegisterRefused([f"{name}:1: {c}: column is missing from the header." for c in missing])
        self.positions = [self.index[c] for c in COLUMNS[name]]

    def __iter__(self):
        width = max(self.positions) + 1
        try:
            for row in self._reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) < width:
                    row = row + [""] * (width - len(row))
                yield self._reader.line_num, [row[i].strip() for i in self.positions]
        except (csv.Error, UnicodeDecodeError) as exc:
            raise RegisterRefused([f"{self.name}:{self._reader.line_num}: the file cannot be read ({exc})."]) from None
        finally:
            self._file.close()


def _date_problem(value: str) -> str | None:
    if not value:
        return None
    try:
        parse_day(value)
    except TimeFormatError:
        return f"{value!r} is not a date written YYYY-MM-DD"
    return None


def _check_id(value: str, seen: set, what: str) -> str | None:
    if not value:
        return f"{what} is required"
    if len(value) > 64:
        return f"{what} is longer than 64 characters"
    if value in seen:
        return f"{what} {value!r} repeats an earlier row"
    return None


class _Importer:
    def __init__(self, db, source, manifest, skip_invalid, progress):
        self.db = db
        self.source = source
        self.manifest = manifest
        self.skip_invalid = skip_invalid
        self.progress = progress or (lambda stage, done, total: None)
        self.problems: list[str] = []  # "file:line: column: reason"
        self.rejected_rows: list[tuple[str, int, str, str, list[str]]] = []
        self.read_counts = {}
        self.generation = int(db.execute("SELECT value FROM meta WHERE key='register_generation'").fetchone()[0]) + 1

    def reject(self, name, line, column, reason, row):
        self.problems.append(f"{name}:{line}: {column}: {reason}")
        self.rejected_rows.append((name, line, column, reason, row))

    def run(self) -> ImportResult:
        self.drop_staging()
        with write_transaction(self.db):
            create_register_tables(self.db, STAGING, self.generation, indexes=False)
        # The staging tables are thrown away if anything goes wrong, so their
        # batches need not reach the disk one by one; the swap is fully durable.
        self.db.execute("PRAGMA synchronous=NORMAL")
        try:
            practices = self.load_practices()
            persons = self.load_persons(practices)
            documents = self.load_documents(persons, practices)
            self.check_counts()
            if self.problems and not self.skip_invalid:
                raise RegisterRefused(self.problems)
            self.progress("indexing", 0, 1)
            with write_transaction(self.db):
                create_register_indexes(self.db, STAGING, self.generation)
            self.progress("indexing", 1, 1)
            self.db.execute("PRAGMA synchronous=FULL")
            self.swap_in()
        except BaseException:
            self.db.execute("PRAGMA synchronous=FULL")
            self.drop_staging()
            raise
        return ImportResult(self.manifest["register_version"], len(persons), documents, len(practices), self.problems)

    def drop_staging(self):
        with write_transaction(self.db):
            for table in REGISTER_TABLES:
                self.db.execute(f"DROP TABLE IF EXISTS {STAGING}{table}")

    def insert(self, table: str, rows: list[tuple]):
        if not rows:
            return
        marks = ",".join("?" * len(rows[0]))
        with write_transaction(self.db):
            self.db.conn.executemany(f"INSERT INTO {STAGING}{table} VALUES ({marks})", rows)

    def load_practices(self) -> set[str]:
        name = "practices.csv"
        codes: set[str] = set()
        rows = []
        count = 0
        for line, (code, title, region) in _Rows(self.source, name):
            count += 1
            problem = _check_id(code, codes, "practice_code")
            if problem:
                self.reject(name, line, "practice_code", problem, [code, title, region])
                continue
            if not title:
                self.reject(name, line, "name", "name is required", [code, title, region])
                continue
            codes.add(code)
            rows.append((code, title, region or None))
        self.insert("practices", rows)
        self.read_counts["practices"] = count
        return codes

    def load_persons(self, practices: set[str]) -> set[str]:
        name = "persons.csv"
        total = self.manifest["counts"]["persons"]
        seen: set[str] = set()
        family_parts, given_rows, phone_rows, person_rows = [], [], [], []
        name_keys: set[str] = set()
        count = 0
        for line, row in _Rows(self.source, name):
            count += 1
            (person_id, nhi, family, given, preferred, dob, phones, email,
             address, suburb, city, postcode, region, practice, code) = row
            problem = None
            if (reason := _check_id(person_id, seen, "person_id")):
                problem = ("person_id", reason)
            elif not family:
                problem = ("family_name", "family_name is required")
            elif not given:
                problem = ("given_names", "given_names is required")
            elif nhi and not is_valid_nhi(nhi):
                problem = ("nhi", f"{nhi!r} is not a valid NHI (wrong form or check character)")
            elif (reason := _date_problem(dob)):
                problem = ("date_of_birth", reason)
            elif postcode and not (len(postcode) == 4 and postcode.isascii() and postcode.isdigit()):
                problem = ("postcode", f"{postcode!r} is not four digits")
            elif practice and practice not in practices:
                problem = ("practice_code", f"practice {practice!r} is not in practices.csv")
            if problem:
                self.reject(name, line, problem[0], problem[1], row)
                continue
            seen.add(person_id)
            family_key = name_key(family)
            parts = name_tokens(family)
            given_names = [name_key(part) for part in given.split()]
            given_key = given_names[0] if given_names else ""
            extra_given = set(given_names) | set(name_tokens(given))
            if preferred:
                extra_given.add(name_key(preferred))
            name_keys.add(family_key)
            name_keys.update(extra_given)
            if len(parts) > 1:
                for part in set(parts):
                    family_parts.extend((part, key, person_id) for key in extra_given | {given_key})
                name_keys.update(parts)
            extra_given -= {given_key, ""}
            given_rows.extend((family_key, key, person_id) for key in extra_given)
            person_rows.append((
                person_id, normalise_nhi(nhi) or None, family, given, preferred or None, dob or None,
                phones or None, email or None, address or None, suburb or None, city or None,
                postcode or None, region or None, practice or None, code or None,
                family_key, given_key, email_key(email) or None,
            ))
            for tail in {phone_tail(p) for p in split_phones(phones)} - {None}:
                phone_rows.append((tail, person_id))
            if len(person_rows) >= BATCH:
                self.flush_persons(person_rows, phone_rows, family_parts, given_rows)
                self.progress("persons", count, total)
        self.flush_persons(person_rows, phone_rows, family_parts, given_rows)
        self.progress("persons", count, total)
        variants = []
        for key in name_keys:
            if len(key) >= NEAR_MIN_LETTERS:
                variants.append((key, key))
                variants.extend((d, key) for d in one_deletions(key))
        for start in range(0, len(variants), BATCH * 5):
            self.insert("name_variants", variants[start:start + BATCH * 5])
        self.read_counts["persons"] = count
        return seen

    def flush_persons(self, *batches):
        for table, rows in zip(("persons", "person_phones", "family_parts", "given_parts"), batches):
            self.insert(table, rows)
            rows.clear()

    def load_documents(self, persons: set[str], practices: set[str]) -> int:
        name = "documents.csv"
        total = self.manifest["counts"]["documents"]
        seen: set[str] = set()
        rows = []
        count = stored = 0
        for line, row in _Rows(self.source, name):
            count += 1
            document_id, person_id, category, document_date, source_practice, sensitive = row
            problem = None
            if (reason := _check_id(document_id, seen, "document_id")):
                problem = ("document_id", reason)
            elif not person_id:
                problem = ("person_id", "person_id is required")
            elif person_id not in persons:
                problem = ("person_id", f"person {person_id!r} is not in persons.csv")
            elif category not in CATEGORIES:
                problem = ("category", f"{category!r} is not one of {', '.join(CATEGORIES)}")
            elif (reason := _date_problem(document_date)):
                problem = ("document_date", reason)
            elif source_practice and source_practice not in practices:
                problem = ("source_practice_code", f"practice {source_practice!r} is not in practices.csv")
            elif sensitive not in ("0", "1"):
                problem = ("sensitive", f"{sensitive!r} is not 0 or 1" if sensitive else "sensitive is required (0 or 1)")
            if problem:
                self.reject(name, line, problem[0], problem[1], row)
                continue
            seen.add(document_id)
            rows.append((document_id, person_id, category, document_date or None, source_practice or None, int(sensitive)))
            stored += 1
            if len(rows) >= BATCH:
                self.insert("documents", rows)
                rows.clear()
                self.progress("documents", count, total)
        self.insert("documents", rows)
        self.progress("documents", count, total)
        self.read_counts["documents"] = count
        return stored

    def check_counts(self):
        problems = []
        for table, expected in self.manifest["counts"].items():
            if table in self.read_counts and self.read_counts[table] != expected:
                problems.append(
                    f"manifest.json: counts.{table} says {expected} but {table}.csv has {self.read_counts[table]} rows."
                )
        if problems:
            raise RegisterRefused(problems + self.problems)

    def swap_in(self):
        with write_transaction(self.db):
            for table in REGISTER_TABLES:
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
                self.db.execute(f"ALTER TABLE {STAGING}{table} RENAME TO {table}")
            for key, value in (
                ("register_generation", str(self.generation)),
                ("register_version", self.manifest["register_version"]),
                ("register_generated_at", str(self.manifest.get("generated_at") or "")),
            ):
                self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])


def import_register(db, path, *, skip_invalid: bool = False, rejects=None, progress=None) -> ImportResult:
    """Import the register at `path` (folder or .zip), replacing the one in service.

    Raises RegisterRefused, changing nothing, when the register is refused.
    With skip_invalid the valid rows are imported and the invalid ones are
    written, with reasons, to `rejects` (a CSV path) when given.
    """
    source = RegisterSource(path)
    try:
        manifest = read_manifest(source)
        check_files(source, manifest)
        importer = _Importer(db, source, manifest, skip_invalid, progress)
        result = importer.run()
    finally:
        source.close()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if rejects is not None:
        write_rejects(rejects, importer.rejected_rows)
    return result


def write_rejects(path, rejected_rows) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["file", "line", "column", "reason", "row"])
        for name, line, column, reason, row in rejected_rows:
            writer.writerow([name, line, column, reason, json.dumps(row, ensure_ascii=False)])


def register_version(db) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key='register_version'").fetchone()
    return row[0] if row else None
