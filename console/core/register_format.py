"""The breach register exchange format (register-format.md, version 1): its
files and columns, reading a register folder or .zip, and the checks of its
manifest and of each row.

The workstation's importer and the hub apply these same checks, so a
register the hub accepts is one every workstation accepts. A register's rows
"as stored" are the values a workstation keeps, written as text (an NHI
without spaces and upper case, an empty value as ""): the hub computes its
register digest and deltas from them without a cache of its own.
"""

import csv
import hashlib
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from console.core.codes import hash_problem
from console.core.nhi import is_valid_nhi, normalise_nhi
from console.core.timeutil import TimeFormatError, parse_day

FORMAT = "breach-register"
FORMAT_VERSIONS = (1,)
FILES = ("persons.csv", "documents.csv", "practices.csv")
COLUMNS = {
    "persons.csv": (
        "person_id", "nhi", "family_name", "given_names", "preferred_name", "date_of_birth", "phones",
        "email", "address", "suburb", "city", "postcode", "region", "practice_code", "notification_code",
        "notification_code_hash",
    ),
    "documents.csv": ("document_id", "person_id", "category", "document_date", "source_practice_code", "sensitive"),
    "practices.csv": ("practice_code", "name", "region"),
}
# columns a file may leave out of its header: they read as empty
OPTIONAL_COLUMNS = {"persons.csv": ("notification_code_hash",)}
# what a workstation never holds (blank in its rows as stored): the codes
# (it keeps their hashes) and what no rule or screen uses
NOT_HELD = ("address", "postcode", "notification_code")
CATEGORIES = ("user_upload", "referral_letter", "discharge_summary")
# the register's tables with their ids, in the order a digest and a delta take them
TABLES = (("practices", "practice_code"), ("persons", "person_id"), ("documents", "document_id"))

# Limits, so that a register made to exhaust (a zip bomb, a field of a
# gigabyte, a count of thousands of digits) is refused with a sentence before
# it is read. The portal has about 2 million accounts (register-format.md):
# its persons.csv is about 0.5 GB; deflate shrinks such CSV 3 to 10 times.
MAX_FILE_BYTES = 4 << 30  # each file, uncompressed
MAX_TOTAL_BYTES = 8 << 30  # all of a .zip's members, uncompressed
MAX_ARCHIVE_BYTES = 2 << 30  # the .zip itself
MAX_RATIO = 100  # uncompressed / compressed size of a .zip member
RATIO_FLOOR = 1 << 20  # members smaller than this are not judged by their ratio
MAX_MANIFEST_BYTES = 1 << 20
MAX_COUNT = 50_000_000  # any count in the manifest
MAX_FIELD_CHARS = 1_000  # any value in a CSV file
MAX_VALUES = 100  # values in a record, header included
MAX_LISTED_REJECTS = 1_000  # invalid rows listed; the rest are counted
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


class RegisterRefused(Exception):
    """The register was not imported; `problems` holds one sentence each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class RegisterSource:
    """The four files of a register, from a folder, a .zip of that folder, or
    the bytes of such a .zip (a snapshot from the hub, never written to disk)."""

    def __init__(self, path):
        self._zip = None
        self._prefix = ""
        if isinstance(path, (bytes, bytearray)):
            self.path = path
            if not zipfile.is_zipfile(io.BytesIO(path)):
                raise RegisterRefused(["The register snapshot is not a .zip of a register folder."])
            self._open_zip(zipfile.ZipFile(io.BytesIO(path)))
            return
        self.path = Path(path)
        if self.path.is_dir():
            self._check_sizes({name: (self.path / name).stat().st_size
                               for name in ("manifest.json", *FILES) if (self.path / name).is_file()})
            return
        if not self.path.exists():
            raise RegisterRefused([f"{self.path}: no such folder or file."])
        if self.path.stat().st_size > MAX_ARCHIVE_BYTES:
            raise RegisterRefused([f"{self.path}: larger than {MAX_ARCHIVE_BYTES:,} bytes; "
                                   "a register .zip is smaller than that."])
        if not zipfile.is_zipfile(self.path):
            raise RegisterRefused([f"{self.path}: not a register folder or a .zip of one."])
        self._open_zip(zipfile.ZipFile(self.path))

    def _open_zip(self, archive):
        self._zip = archive
        try:
            self._check_zip(archive.infolist())
        except BaseException:
            archive.close()
            raise
        manifests = [n for n in self._zip.namelist() if PurePosixPath(n).name == "manifest.json"]
        manifests.sort(key=lambda n: n.count("/"))
        if manifests:
            self._prefix = manifests[0][: -len("manifest.json")]

    @staticmethod
    def _check_zip(members) -> None:
        """The sizes the .zip's central directory gives, before any member is
        read (reading is guarded too: a header can lie, see open_bytes)."""
        problems = []
        for info in members:
            name = PurePosixPath(info.filename).name or info.filename
            if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                problems.append(f"{name}: expands {info.file_size // max(info.compress_size, 1):,} times "
                                f"({info.compress_size:,} bytes to {info.file_size:,}), beyond the compression "
                                f"ratio of {MAX_RATIO} a register can have; the .zip is not a register.")
        if problems:
            raise RegisterRefused(problems)
        RegisterSource._check_sizes({PurePosixPath(i.filename).name or i.filename: i.file_size for i in members})

    @staticmethod
    def _check_sizes(sizes: dict) -> None:
        limits = {name: MAX_MANIFEST_BYTES if name == "manifest.json" else MAX_FILE_BYTES for name in sizes}
        problems = [f"{name}: {size:,} bytes, larger than the {limits[name]:,} bytes a register file can have."
                    for name, size in sizes.items() if size > limits[name]]
        if sum(sizes.values()) > MAX_TOTAL_BYTES:
            problems.append(f"The register's files hold {sum(sizes.values()):,} bytes, more than the "
                            f"{MAX_TOTAL_BYTES:,} a register can have.")
        if problems:
            raise RegisterRefused(problems)

    def exists(self, name: str) -> bool:
        if self._zip is None:
            return (self.path / name).is_file()
        return (self._prefix + name) in self._zip.namelist()

    def open_bytes(self, name: str):
        """The file, read through a guard: more bytes than a register file
        can have, or a damaged .zip member, is RegisterRefused."""
        limit = MAX_MANIFEST_BYTES if name == "manifest.json" else MAX_FILE_BYTES
        raw = open(self.path / name, "rb") if self._zip is None else self._zip.open(self._prefix + name)
        return io.BufferedReader(_Guarded(raw, name, limit), 1 << 16)

    def open_text(self, name: str):
        # utf-8-sig tolerates the leading byte-order mark the format allows
        return io.TextIOWrapper(self.open_bytes(name), encoding="utf-8-sig", newline="")

    def close(self):
        if self._zip is not None:
            self._zip.close()


class _Guarded(io.RawIOBase):
    """A file's bytes, refused past `limit` or when the .zip member is damaged
    (a wrong CRC, sizes that differ from its header)."""

    def __init__(self, raw, name: str, limit: int):
        self.raw, self.name, self.limit, self.count = raw, name, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            n = self.raw.readinto(buffer)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise RegisterRefused([f"{self.name}: the .zip is damaged ({exc}); nothing was imported."]) from None
        self.count += n
        if self.count > self.limit:
            raise RegisterRefused([f"{self.name}: larger than the {self.limit:,} bytes a register file can have."])
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def read_manifest(source: RegisterSource) -> dict:
    if not source.exists("manifest.json"):
        raise RegisterRefused(["manifest.json: missing; a register folder holds manifest.json and three CSV files."])
    try:
        with source.open_bytes("manifest.json") as f:
            manifest = json.loads(f.read().decode("utf-8-sig"))
    except ValueError as exc:  # not UTF-8, not JSON, or a number of more digits than Python reads
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
    for key in ("register_version", "generated_at"):
        value = manifest.get(key)
        if isinstance(value, str) and _CONTROL.search(value):
            problems.append(f"manifest.json: {key} holds control characters; it is shown to operators as text.")
        elif isinstance(value, str) and len(value) > 100:
            problems.append(f"manifest.json: {key} is longer than 100 characters.")
    for key in ("counts", "sha256"):
        if not isinstance(manifest.get(key), dict):
            problems.append(f"manifest.json: {key} is missing or not an object.")
    if problems:
        raise RegisterRefused(problems)
    for name in FILES:
        table = name.removesuffix(".csv")
        count = manifest["counts"].get(table)
        if count is None:
            problems.append(f"manifest.json: counts.{table} is missing.")
        elif type(count) is not int or not 0 <= count <= MAX_COUNT:
            problems.append(f"manifest.json: counts.{table} must be a whole number from 0 to {MAX_COUNT:,}.")
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


def count_problems(manifest: dict, read_counts: dict) -> list[str]:
    """The manifest's counts that differ from the rows read."""
    return [
        f"manifest.json: counts.{table} says {expected} but {table}.csv has {read_counts[table]} rows."
        for table, expected in manifest["counts"].items()
        if table in read_counts and read_counts[table] != expected
    ]


# values of an invalid row a rejects file does not repeat: what identifies or
# reaches the person, and the notification code, kept nowhere in clear
WITHHELD = ("nhi", "phones", "email", "address", "notification_code", "notification_code_hash")


def rejected_values(name: str, row) -> dict:
    """An invalid row of `name` as a rejects file shows it: its values by
    column, those in WITHHELD (when given) replaced by "(withheld)"."""
    return {column: "(withheld)" if column in WITHHELD and value else value
            for column, value in zip(COLUMNS[name], row)}


def not_listed(rejected: int) -> str | None:
    """The sentence after the invalid rows listed, when some were not."""
    if rejected <= MAX_LISTED_REJECTS:
        return None
    return f"… and {rejected - MAX_LISTED_REJECTS:,} more invalid rows, not listed ({rejected:,} in all)."


def listed_problems(problems: list[str], rejected: int) -> list[str]:
    """The invalid rows' problems as a refusal lists them: the first
    MAX_LISTED_REJECTS, then how many more there were."""
    more = not_listed(rejected)
    return problems + [more] if more else problems


def csv_rows(source: RegisterSource, name: str):
    """(line, values) of each record of a CSV file after its header check:
    `line` is where the record starts (a quoted value can hold a newline),
    `values` are stripped and in COLUMNS order; blank lines are skipped."""
    file = source.open_text(name)
    try:
        reader = csv.reader(file)
        try:
            header = next(reader)
        except StopIteration:
            header = []
        except (csv.Error, UnicodeDecodeError) as exc:
            raise RegisterRefused([f"{name}:1: the header cannot be read ({exc})."]) from None
        if len(header) > MAX_VALUES:
            raise RegisterRefused([f"{name}:1: the header has {len(header):,} columns; a register file has "
                                   f"at most {MAX_VALUES}."])
        index = {column.strip(): i for i, column in enumerate(header)}
        for extra, column in enumerate(c for c in OPTIONAL_COLUMNS.get(name, ()) if c not in index):
            index[column] = len(header) + extra  # past the end of every row: read as ""
        missing = [c for c in COLUMNS[name] if c not in index]
        if missing:
            raise RegisterRefused([f"{name}:1: {c}: column is missing from the header." for c in missing])
        positions = [index[c] for c in COLUMNS[name]]
        width = max(positions) + 1
        identity = positions == list(range(len(positions)))
        strip = str.strip
        ended = reader.line_num  # the line the previous record ended on
        try:
            for row in reader:
                start, ended = ended + 1, reader.line_num
                if len(row) > MAX_VALUES:
                    raise RegisterRefused([f"{name}:{start}: the record has {len(row):,} values; a register "
                                           f"file has at most {MAX_VALUES} columns."])
                # the record's length first: far cheaper, and no value of a short record is long
                if len("".join(row)) > MAX_FIELD_CHARS and max(map(len, row)) > MAX_FIELD_CHARS:
                    raise RegisterRefused([f"{name}:{start}: a value is longer than {MAX_FIELD_CHARS:,} characters; "
                                           "a register holds names, dates, codes and short addresses."])
                if identity and len(row) == width:
                    yield start, tuple(map(strip, row))
                elif not row or (len(row) == 1 and not row[0].strip()):
                    continue
                else:
                    if len(row) < width:
                        row = row + [""] * (width - len(row))
                    yield start, tuple(strip(row[i]) for i in positions)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise RegisterRefused([f"{name}:{ended + 1}: the file cannot be read ({exc})."]) from None
    finally:
        file.close()


# Checks of one row: each returns the first problem as (column, reason), or None.


def date_problem(value: str) -> str | None:
    if not value:
        return None
    try:
        parse_day(value)
    except TimeFormatError:
        return f"{value!r} is not a date written YYYY-MM-DD"
    return None


def id_problem(value: str, seen, what: str) -> str | None:
    if not value:
        return f"{what} is required"
    if len(value) > 64:
        return f"{what} is longer than 64 characters"
    if value in seen:
        return f"{what} {value!r} repeats an earlier row"
    return None


def practice_problem(row, seen) -> tuple[str, str] | None:
    code, title, _ = row
    if (reason := id_problem(code, seen, "practice_code")):
        return "practice_code", reason
    if not title:
        return "name", "name is required"
    return None


def person_problem(row, seen, practices) -> tuple[str, str] | None:
    person_id, nhi, family, given, _, dob, _, _, _, _, _, postcode, _, practice, code, code_hash = row
    if (reason := id_problem(person_id, seen, "person_id")):
        return "person_id", reason
    if not family:
        return "family_name", "family_name is required"
    if not given:
        return "given_names", "given_names is required"
    if nhi and not is_valid_nhi(nhi):
        return "nhi", f"{nhi!r} is not a valid NHI (wrong form or check character)"
    if (reason := date_problem(dob)):
        return "date_of_birth", reason
    if postcode and not (len(postcode) == 4 and postcode.isascii() and postcode.isdigit()):
        return "postcode", f"{postcode!r} is not four digits"
    if practice and practice not in practices:
        return "practice_code", f"practice {practice!r} is not in practices.csv"
    if code_hash:
        if code:
            return "notification_code_hash", ("a row holds notification_code or notification_code_hash, not both "
                                               "(the code itself is not shown)")
        if (reason := hash_problem(code_hash)):
            return "notification_code_hash", f"the hash {reason}"
    return None


CODE = COLUMNS["persons.csv"].index("notification_code")
CODE_HASH = COLUMNS["persons.csv"].index("notification_code_hash")


def without_code(row) -> tuple:
    """A persons.csv row with its notification code blanked: what a rejects
    file or a problem may show of it (the code is a secret, never written)."""
    return (*row[:CODE], "", *row[CODE + 1:]) if row[CODE] else tuple(row)


def document_problem(row, seen, persons, practices, invalid_persons) -> tuple[str, str] | None:
    """`invalid_persons`: the persons.csv line of each person id found only on invalid rows."""
    document_id, person_id, category, document_date, source_practice, sensitive = row
    if (reason := id_problem(document_id, seen, "document_id")):
        return "document_id", reason
    if not person_id:
        return "person_id", "person_id is required"
    if person_id not in persons:
        if person_id in invalid_persons:
            return "person_id", (f"person {person_id!r} is on an invalid row of persons.csv "
                                 f"(line {invalid_persons[person_id]})")
        return "person_id", f"person {person_id!r} is not in persons.csv"
    if category not in CATEGORIES:
        return "category", f"{category!r} is not one of {', '.join(CATEGORIES)}"
    if (reason := date_problem(document_date)):
        return "document_date", reason
    if source_practice and source_practice not in practices:
        return "source_practice_code", f"practice {source_practice!r} is not in practices.csv"
    if sensitive not in ("0", "1"):
        return "sensitive", f"{sensitive!r} is not 0 or 1" if sensitive else "sensitive is required (0 or 1)"
    return None


class RowChecker:
    """Checks the rows of a register's three files in order (practices,
    persons, documents), remembering what later rows refer to. Each check
    returns (column, reason) or None and records a problem as
    "file:line: column: reason" with the rejected row."""

    def __init__(self):
        self.practices: set[str] = set()
        self.persons: set[str] = set()
        self.documents: set[str] = set()
        self.invalid_persons: dict[str, int] = {}
        self.problems: list[str] = []  # the first MAX_LISTED_REJECTS
        self.rejected_rows: list = []
        self.rejected = 0  # all of them

    def reject(self, name, line, problem, row):
        self.rejected += 1
        if self.rejected > MAX_LISTED_REJECTS:
            return
        column, reason = problem
        self.problems.append(f"{name}:{line}: {column}: {reason}")
        self.rejected_rows.append((name, line, column, reason, list(row)))

    def practice(self, line, row) -> bool:
        problem = practice_problem(row, self.practices)
        if problem:
            self.reject("practices.csv", line, problem, row)
            return False
        self.practices.add(row[0])
        return True

    def person(self, line, row) -> bool:
        problem = person_problem(row, self.persons, self.practices)
        if problem:
            self.reject("persons.csv", line, problem, without_code(row))
            if row[0] and row[0] not in self.persons:
                self.invalid_persons.setdefault(row[0], line)
            return False
        self.persons.add(row[0])
        return True

    def document(self, line, row) -> bool:
        problem = document_problem(row, self.documents, self.persons, self.practices, self.invalid_persons)
        if problem:
            self.reject("documents.csv", line, problem, row)
            return False
        self.documents.add(row[0])
        return True


_BLANKED = tuple(COLUMNS["persons.csv"].index(column) for column in NOT_HELD if column != "notification_code")


def stored_text(table: str, row: tuple) -> tuple:
    """A valid row as a workstation stores it, written as text: without the
    columns it does not hold (NOT_HELD) but the code, which the importer
    replaces by its hash (a row from the hub holds the hash already)."""
    if table == "persons":
        row = [row[0], normalise_nhi(row[1]), *row[2:]]
        for i in _BLANKED:
            row[i] = ""
        return tuple(row)
    return tuple(row)


@dataclass
class CheckedRegister:
    register_version: str
    generated_at: str
    rows: dict  # table -> {id: row as stored, as text}

    @property
    def persons(self) -> int:
        return len(self.rows["persons"])

    @property
    def documents(self) -> int:
        return len(self.rows["documents"])


def check_register(path) -> CheckedRegister:
    """Read and check a whole register (folder, .zip or a .zip's bytes) as a
    workstation's importer does, without importing it: its rows as stored,
    or RegisterRefused with every problem."""
    source = RegisterSource(path)
    try:
        manifest = read_manifest(source)
        check_files(source, manifest)
        checker = RowChecker()
        rows, read_counts = {}, {}
        for table, check in (("practices", checker.practice), ("persons", checker.person),
                             ("documents", checker.document)):
            kept = rows[table] = {}
            count = 0
            for line, row in csv_rows(source, f"{table}.csv"):
                count += 1
                if check(line, row):
                    kept[row[0]] = stored_text(table, row)
            read_counts[table] = count
    finally:
        source.close()
    problems = count_problems(manifest, read_counts)
    if problems or checker.problems:
        raise RegisterRefused(problems + listed_problems(checker.problems, checker.rejected))
    return CheckedRegister(manifest["register_version"], str(manifest.get("generated_at") or ""),
                           {table: dict(sorted(rows[table].items())) for table, _ in TABLES})
