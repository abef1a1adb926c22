"""Importing a breach register (register-format.md, version 1).

The new register is built in `import_*` tables beside the one in service and
swapped in by one transaction, so readers see the old register or the new,
never a mixture, and a killed import leaves the old one working. Call logs,
callbacks and audit entries live in other tables and are never touched.

Two processes share the work: a worker process reads and checks the CSV files
and turns each valid row into the rows of the register's tables (keys, phone
tails, name index rows), in batches, while this process writes the batches it
receives into the staging tables. Reading and checking is per-row Python and
writing is mostly SQLite, so on two cores they overlap.
"""

import csv
import hashlib
import io
import json
import marshal
import os
import re
import struct
import sys
import zipfile
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path, PurePosixPath

from console.core.contact import phone_tail
from console.core.names import NEAR_MIN_LETTERS, keys_near, name_key, name_tokens, one_deletions
from console.core.nhi import ALPHABET as NHI_ALPHABET
from console.core.nhi import is_valid_nhi
from console.core.timeutil import TimeFormatError, parse_day
from console.store.connection import write_transaction
from console.store.register_tables import REGISTER_TABLES, create_register_tables, register_index_statements

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
# register tables of earlier versions, replaced by name_parts and name_near
LEGACY_TABLES = ("given_parts", "family_parts")
BATCH = 25_000  # persons (or documents) per batch sent by the worker
MEMO = 100_000  # distinct family names, or given names, whose analysis the worker keeps


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
            return
        if not self.path.exists():
            raise RegisterRefused([f"{self.path}: no such folder or file."])
        if not zipfile.is_zipfile(self.path):
            raise RegisterRefused([f"{self.path}: not a register folder or a .zip of one."])
        self._open_zip(zipfile.ZipFile(self.path))

    def _open_zip(self, archive):
        self._zip = archive
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



# The worker: reading, checking and building rows (runs in its own process)


_NHI_FORM = re.compile(r"[A-HJ-NP-Z]{3}(?:[0-9]{4}|[0-9]{2}[A-HJ-NP-Z]{2})")
_NHI_VALUE = {c: i + 1 for i, c in enumerate(NHI_ALPHABET)} | {str(d): d for d in range(10)}
_PHONE_PUNCTUATION = str.maketrans("", "", " +()-.")
def _nhi_tables():
    """The check of an NHI in its stored form (AAANNNC, AAANNAX), from tables:
    the weighted sums of its first three and of its next three characters, and
    the check character of each remainder (built in the reader process only)."""
    first = {a + b + c: _NHI_VALUE[a] * 7 + _NHI_VALUE[b] * 6 + _NHI_VALUE[c] * 5
             for a in NHI_ALPHABET for b in NHI_ALPHABET for c in NHI_ALPHABET}
    rest = {a + b + c: _NHI_VALUE[a] * 4 + _NHI_VALUE[b] * 3 + _NHI_VALUE[c] * 2
            for a in "0123456789" for b in "0123456789" for c in "0123456789" + NHI_ALPHABET}
    old = [None] + [str((11 - r) % 10) for r in range(1, 11)]  # by sum % 11; remainder 0 has no check digit
    new = [NHI_ALPHABET[23 - r] for r in range(24)]  # by sum % 24
    return first, rest, old, new


def _valid_nhi(text: str) -> bool:
    """nhi.is_valid_nhi, unrolled for the million NHIs of a register."""
    nhi = "".join(text.split()).upper()
    if not _NHI_FORM.fullmatch(nhi):
        return False
    v = _NHI_VALUE
    total = v[nhi[0]] * 7 + v[nhi[1]] * 6 + v[nhi[2]] * 5 + v[nhi[3]] * 4 + v[nhi[4]] * 3 + v[nhi[5]] * 2
    if nhi[5].isdigit():
        remainder = total % 11
        return remainder != 0 and str((11 - remainder) % 10) == nhi[6]
    return NHI_ALPHABET[23 - total % 24] == nhi[6]


def _phone_tails(phones: str) -> set:
    """{phone_tail(p) for p in split_phones(phones)} - {None}, with a fast path
    for numbers written with digits, spaces and + ( ) - . only (no letters, no
    extension), whose tail is simply their last seven digits."""
    tails = set()
    for phone in phones.split(";"):
        phone = phone.strip()
        if not phone:
            continue
        digits = phone.translate(_PHONE_PUNCTUATION)
        if digits.isascii() and digits.isdigit():
            if len(digits) >= 7:
                tails.add(digits[-7:])
        else:
            tail = phone_tail(phone)
            if tail is not None:
                tails.add(tail)
    return tails


class _Worker:
    """Reads and checks the three CSV files and sends the rows of the staging
    tables to the importer, batch by batch, over `conn` (a _Channel)."""

    def __init__(self, conn, path, manifest, skip_invalid):
        self.conn = conn
        self.source = RegisterSource(path)
        self.manifest = manifest
        self.skip_invalid = skip_invalid
        self.problems: list[str] = []
        self.rejected_rows: list = []
        self.read_counts: dict[str, int] = {}

    @property
    def refusing(self) -> bool:
        """The import will be refused: keep checking rows, stop building them."""
        return bool(self.problems) and not self.skip_invalid

    def reject(self, name, line, column, reason, row):
        self.problems.append(f"{name}:{line}: {column}: {reason}")
        self.rejected_rows.append((name, line, column, reason, list(row)))

    def send(self, stage, done, total, tables):
        if self.refusing:
            tables = {}
        self.conn.send(("rows", stage, done, total, tables))

    def run(self):
        try:
            practices = self.load_practices()
            persons, stored_persons = self.load_persons(practices)
            documents = self.load_documents(persons, practices)
            self.conn.send(("done", self.read_counts, self.problems, self.rejected_rows,
                            (stored_persons, documents, len(practices))))
        except RegisterRefused as exc:
            self.conn.send(("refused", exc.problems))
        finally:
            self.source.close()

    @staticmethod
    def rows(source, name):
        """(line, values) of a CSV file, values stripped and in COLUMNS order."""
        rows = _Rows(source, name)
        reader, positions = rows._reader, rows.positions
        width = max(positions) + 1
        pick = itemgetter(*positions)
        identity = positions == list(range(len(positions)))
        strip = str.strip
        try:
            for row in reader:
                if len(row) == len(positions) and identity:
                    values = tuple(map(strip, row))
                elif not row or (len(row) == 1 and not row[0].strip()):
                    continue
                else:
                    if len(row) < width:
                        row = row + [""] * (width - len(row))
                    values = tuple(map(strip, pick(row)))
                yield reader.line_num, values
        except (csv.Error, UnicodeDecodeError) as exc:
            raise RegisterRefused([f"{name}:{reader.line_num}: the file cannot be read ({exc})."]) from None
        finally:
            rows._file.close()

    def load_practices(self) -> set[str]:
        name = "practices.csv"
        codes: set[str] = set()
        rows = []
        count = 0
        for line, (code, title, region) in self.rows(self.source, name):
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
        self.read_counts["practices"] = count
        self.send("practices", count, count, {"practices": rows})
        return codes

    def person_problem(self, row, seen, practices):
        """The first problem of a persons.csv row, as (column, reason), or None."""
        person_id, nhi, family, given, _, dob, _, _, _, _, _, postcode, _, practice, _ = row
        if (reason := _check_id(person_id, seen, "person_id")):
            return "person_id", reason
        if not family:
            return "family_name", "family_name is required"
        if not given:
            return "given_names", "given_names is required"
        if nhi and not is_valid_nhi(nhi):
            return "nhi", f"{nhi!r} is not a valid NHI (wrong form or check character)"
        if (reason := _date_problem(dob)):
            return "date_of_birth", reason
        if postcode and not (len(postcode) == 4 and postcode.isascii() and postcode.isdigit()):
            return "postcode", f"{postcode!r} is not four digits"
        if practice and practice not in practices:
            return "practice_code", f"practice {practice!r} is not in practices.csv"
        return None

    def load_persons(self, practices: set[str]):
        name = "persons.csv"
        total = self.manifest["counts"]["persons"]
        seen: set[str] = set()
        good_dates: set[str] = set()
        name_keys: set[str] = set()
        # name analysis, once per distinct family name, given names and preferred name
        families: dict[str, tuple] = {}
        givens: dict[str, tuple] = {}
        preferreds: dict[str, str] = {}
        person_rows, phone_rows, part_rows = [], [], []
        count = stored = 0
        nhi_form = _NHI_FORM.fullmatch
        nhi_first, nhi_rest, nhi_old, nhi_new = _nhi_tables()
        person_append, phone_append, part_append = person_rows.append, phone_rows.append, part_rows.append
        seen_add = seen.add
        for line, row in self.rows(self.source, name):
            count += 1
            (person_id, nhi, family, given, preferred, dob, phones, email,
             address, suburb, city, postcode, region, practice, code) = row
            if nhi:
                if len(nhi) == 7 and nhi_form(nhi):  # written as stored: no spaces, upper case
                    total_ = nhi_first[nhi[:3]] + nhi_rest[nhi[3:6]]
                    nhi_ok = (nhi_old[total_ % 11] if nhi[5] <= "9" else nhi_new[total_ % 24]) == nhi[6]
                else:
                    nhi_ok = _valid_nhi(nhi)
                    nhi = "".join(nhi.split()).upper() if nhi_ok else nhi
            else:
                nhi_ok = True
                nhi = None
            if (
                not nhi_ok or not person_id or len(person_id) > 64 or person_id in seen or not family or not given
                or (dob and dob not in good_dates and _date_problem(dob))
                or (postcode and not (len(postcode) == 4 and postcode.isascii() and postcode.isdigit()))
                or (practice and practice not in practices)
            ):
                problem = self.person_problem(row, seen, practices)
                if problem:
                    self.reject(name, line, problem[0], problem[1], row)
                    continue
                nhi = "".join(row[1].split()).upper() or None
            if dob:
                good_dates.add(dob)
            else:
                dob = None
            seen_add(person_id)
            stored += 1
            if self.refusing:
                continue

            fam = families.get(family)
            if fam is None:
                family_key = name_key(family)
                parts = name_tokens(family)
                name_keys.add(family_key)
                if len(parts) > 1:
                    name_keys.update(parts)
                    fam = (family_key, tuple(dict.fromkeys(parts)))
                else:
                    fam = (family_key, ())
                if len(families) < MEMO:
                    families[family] = fam
            family_key, family_parts = fam
            giv = givens.get(given)
            if giv is None:
                keys = [name_key(part) for part in given.split()]
                whole = name_key(given)
                # the first given name's key and every given-name key (later
                # names, hyphenated parts), first one first
                extra = tuple(dict.fromkeys(keys + name_tokens(given)))
                name_keys.update(extra)
                # given_name_keys() of a row beyond these: the whole given names as
                # one key; its length lets a search rule rows out (given_len)
                # and those that can make a name fit: given_name_keys() and, as
                # search is kinder than the policy, the parts of a hyphenated name
                giv = (keys[0], extra, whole, len(whole) if whole and whole not in extra else None,
                       frozenset(extra))
                if len(givens) < MEMO:  # the common given names come early and often
                    givens[given] = giv
            given_key, extra_given, whole, given_len, scorable = giv
            if preferred:
                preferred_key = preferreds.get(preferred)
                if preferred_key is None:
                    preferred_key = name_key(preferred)
                    name_keys.add(preferred_key)
                    if len(preferreds) < MEMO:
                        preferreds[preferred] = preferred_key
                if preferred_key not in scorable:
                    scorable = scorable | {preferred_key}
                if preferred_key not in extra_given:
                    extra_given = extra_given + (preferred_key,)
                    if preferred_key == whole:
                        given_len = None
            else:
                preferred = None
            suburb = suburb or None
            city = city or None
            if len(extra_given) > 1 or family_parts:
                payload = (person_id, given_len, dob, family, given, preferred, suburb, city)
                for key in extra_given:
                    if key != given_key and key:
                        part_append((family_key, key, 1, key in scorable) + payload)
                # (the first given name's key is among the extra ones)
                for part in family_parts:
                    for key in extra_given:
                        part_append((part, key, 2, key != "" and key in scorable) + payload)
            person_append((
                person_id, nhi, family, given, preferred, dob,
                phones or None, email or None, address or None, suburb, city,
                postcode or None, region or None, practice or None, code or None,
                family_key, given_key, email.casefold() or None, given_len,
            ))
            if phones:
                if ";" in phones:
                    for tail in _phone_tails(phones):
                        phone_append((tail, person_id))
                else:
                    digits = phones.replace(" ", "")
                    if not (digits.isdigit() and digits.isascii()):
                        digits = digits.translate(_PHONE_PUNCTUATION)
                    if digits.isdigit() and digits.isascii():
                        if len(digits) >= 7:
                            phone_append((digits[-7:], person_id))
                    elif (tail := phone_tail(phones)) is not None:
                        phone_append((tail, person_id))
            if len(person_rows) >= BATCH:
                self.send("persons", count, total,
                          {"persons": person_rows, "person_phones": phone_rows, "name_parts": part_rows})
                person_rows, phone_rows, part_rows = [], [], []
                person_append, phone_append, part_append = person_rows.append, phone_rows.append, part_rows.append
        self.read_counts["persons"] = count
        self.send("persons", count, total, {"persons": person_rows, "person_phones": phone_rows, "name_parts": part_rows})
        families.clear()
        givens.clear()
        if not self.refusing:
            self.send_name_keys(name_keys, count, total)
        return seen, stored

    def send_name_keys(self, name_keys, count, total):
        """name_variants and name_near of the register's name keys."""
        keys = sorted(key for key in name_keys if len(key) >= NEAR_MIN_LETTERS)
        by_variant: dict[str, list[str]] = {}
        variants = []
        for key in keys:
            for variant in (key, *one_deletions(key)):
                variants.append((variant, key))
                by_variant.setdefault(variant, []).append(key)
            if len(variants) >= BATCH * 8:
                self.send("persons", count, total, {"name_variants": variants})
                variants = []
        self.send("persons", count, total, {"name_variants": variants})
        near_rows = []
        for key in keys:  # sorted: appended in key order to the WITHOUT ROWID table
            found = set()
            for variant in (key, *one_deletions(key)):
                found.update(by_variant.get(variant, ()))
            found.discard(key)
            near_rows.append((key, " ".join(sorted(k for k in found if keys_near(key, k)))))
            if len(near_rows) >= BATCH * 8:
                self.send("persons", count, total, {"name_near": near_rows})
                near_rows = []
        self.send("persons", count, total, {"name_near": near_rows})

    def load_documents(self, persons: set[str], practices: set[str]) -> int:
        name = "documents.csv"
        total = self.manifest["counts"]["documents"]
        seen: set[str] = set()
        good_dates: set[str] = set()
        rows = []
        count = stored = 0
        for line, row in self.rows(self.source, name):
            count += 1
            document_id, person_id, category, document_date, source_practice, sensitive = row
            if (
                not document_id or len(document_id) > 64 or document_id in seen
                or person_id not in persons or category not in CATEGORIES
                or (document_date and document_date not in good_dates and _date_problem(document_date))
                or (source_practice and source_practice not in practices) or sensitive not in ("0", "1")
            ):
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
            if document_date:
                good_dates.add(document_date)
            seen.add(document_id)
            stored += 1
            if self.refusing:
                continue
            rows.append((document_id, person_id, category, document_date or None, source_practice or None, int(sensitive)))
            if len(rows) >= BATCH * 2:
                self.send("documents", count, total, {"documents": rows})
                rows = []
        self.read_counts["documents"] = count
        self.send("documents", count, total, {"documents": rows})
        return stored


_HEADER = struct.Struct("!Q")


class _Channel:
    """Messages (pickled, length-prefixed) over a pipe between the two processes."""

    def __init__(self, stream):
        self.stream = stream

    # marshal: both ends are the same interpreter, and for tuples of strings
    # it is several times cheaper than pickle to write and a little to read
    def send(self, message) -> None:
        data = marshal.dumps(message)
        self.stream.write(_HEADER.pack(len(data)))
        self.stream.write(data)
        self.stream.flush()

    def recv(self):
        header = self.stream.read(_HEADER.size)
        if len(header) < _HEADER.size:
            raise EOFError
        size = _HEADER.unpack(header)[0]
        data = self.stream.read(size)
        if len(data) < size:
            raise EOFError
        return marshal.loads(data)


def _worker_main() -> None:
    """The worker process: its arguments come pickled on stdin, its messages
    go to stdout (anything printed goes to stderr instead)."""
    import pickle

    path, manifest, skip_invalid = pickle.load(sys.stdin.buffer)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    conn = _Channel(out)
    try:
        _Worker(conn, path, manifest, skip_invalid).run()
    except (BrokenPipeError, EOFError):
        return  # the importer is gone (killed, or gave up): nothing to report to
    except BaseException:
        import traceback

        try:
            conn.send(("error", traceback.format_exc()))
        except OSError:
            pass
        raise SystemExit(1)
    try:
        out.close()
    except OSError:
        pass


_WORKER_COMMAND = (
    "import sys, json; sys.path[:0] = json.loads(sys.argv[1]); "
    "from console.store.register_import import _worker_main; _worker_main()"
)
# what the console's entry point (console/__main__.py) takes as "be the worker"
WORKER_ARGUMENT = "--register-worker"


def _worker_command() -> list[str]:
    if getattr(sys, "frozen", False):
        # in a PyInstaller bundle sys.executable is the console itself, which
        # has no `-c`: it runs the worker when given WORKER_ARGUMENT
        return [sys.executable, WORKER_ARGUMENT]
    return [sys.executable, "-c", _WORKER_COMMAND, json.dumps(sys.path)]


def _start_worker(path, manifest, skip_invalid):
    import pickle
    import subprocess

    # A fresh interpreter, not multiprocessing: nothing of this process (its
    # threads, its open cache, its __main__ module) is copied or re-run.
    # a windowed program (the bundle's window on Windows) has no standard error to hand on
    stderr = subprocess.DEVNULL if sys.stderr is None else None
    worker = subprocess.Popen(_worker_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr)
    try:
        pickle.dump((path if isinstance(path, (bytes, bytearray)) else str(path), manifest, skip_invalid), worker.stdin)
        worker.stdin.close()
    except BaseException:
        worker.kill()
        worker.wait()
        raise
    return worker


# The importer: writing the staging tables and swapping them in


class _Importer:
    def __init__(self, db, source, manifest, skip_invalid, progress, on_swap=None):
        self.db = db
        self.on_swap = on_swap
        self.source = source
        self.manifest = manifest
        self.skip_invalid = skip_invalid
        self.progress = progress or (lambda stage, done, total: None)
        self.problems: list[str] = []  # "file:line: column: reason"
        self.rejected_rows: list[tuple[str, int, str, str, list[str]]] = []
        self.read_counts = {}
        self.generation = int(db.execute("SELECT value FROM meta WHERE key='register_generation'").fetchone()[0]) + 1

    def run(self) -> ImportResult:
        # The worker starts reading at once; the files' hashes are checked
        # meanwhile, and nothing is written until they are.
        worker = _start_worker(self.source.path, self.manifest, self.skip_invalid)
        try:
            check_files(self.source, self.manifest)
            return self.load(_Channel(worker.stdout))
        finally:
            import subprocess

            worker.stdout.close()  # a worker still writing stops (broken pipe)
            try:
                worker.wait(timeout=5)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    def load(self, receiver) -> ImportResult:
        self.drop_staging()
        with write_transaction(self.db):
            create_register_tables(self.db, STAGING, self.generation, indexes=False)
        # The staging tables are thrown away if anything goes wrong, so their
        # batches need not reach the disk one by one; the swap is fully durable.
        self.db.execute("PRAGMA synchronous=NORMAL")
        try:
            stored = self.receive(receiver)
            self.check_counts()
            if self.problems and not self.skip_invalid:
                raise RegisterRefused(self.problems)
            self.index()
            self.db.execute("PRAGMA synchronous=FULL")
            self.swap_in()
        except BaseException:
            self.db.execute("PRAGMA synchronous=FULL")
            self.drop_staging()
            raise
        persons, documents, practices = stored
        return ImportResult(self.manifest["register_version"], persons, documents, practices, self.problems)

    def receive(self, receiver):
        """Write the worker's batches until it is done; its (persons, documents, practices) stored."""
        conn = self.db.conn
        statements = {}
        while True:
            try:
                message = receiver.recv()
            except EOFError:
                raise RuntimeError("The register reader stopped unexpectedly; nothing was imported.") from None
            kind = message[0]
            if kind == "rows":
                _, stage, done, total, tables = message
                if any(tables.values()):
                    with write_transaction(self.db):
                        for table, rows in tables.items():
                            if rows:
                                sql = statements.get(table)
                                if sql is None:
                                    sql = statements[table] = (
                                        f"INSERT INTO {STAGING}{table} VALUES ({','.join('?' * len(rows[0]))})")
                                conn.executemany(sql, rows)
                if stage != "practices":
                    self.progress(stage, done, total)
            elif kind == "done":
                _, self.read_counts, self.problems, self.rejected_rows, stored = message
                return stored
            elif kind == "refused":
                raise RegisterRefused(message[1])
            else:
                raise RuntimeError(f"The register reader failed; nothing was imported.\n{message[1]}")

    def index(self):
        self.progress("indexing", 0, 1)
        for statement in register_index_statements(STAGING, self.generation):
            with write_transaction(self.db):
                self.db.execute(statement)
        self.progress("indexing", 1, 1)

    def drop_staging(self):
        with write_transaction(self.db):
            for table in REGISTER_TABLES + LEGACY_TABLES:
                self.db.execute(f"DROP TABLE IF EXISTS {STAGING}{table}")

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
            for table in LEGACY_TABLES:
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
            for table in REGISTER_TABLES:
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
                self.db.execute(f"ALTER TABLE {STAGING}{table} RENAME TO {table}")
            for key, value in (
                ("register_generation", str(self.generation)),
                ("register_version", self.manifest["register_version"]),
                ("register_generated_at", str(self.manifest.get("generated_at") or "")),
            ):
                self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])
            if self.on_swap:
                self.on_swap(self.db)  # e.g. sync's register cursor, committed with the swap


def import_register(db, path, *, skip_invalid: bool = False, rejects=None, progress=None, on_swap=None) -> ImportResult:
    """Import the register at `path` (folder, .zip, or a .zip's bytes), replacing the one in service.

    Raises RegisterRefused, changing nothing, when the register is refused.
    With skip_invalid the valid rows are imported and the invalid ones are
    written, with reasons, to `rejects` (a CSV path) when given.
    """
    source = RegisterSource(path)
    try:
        manifest = read_manifest(source)
        importer = _Importer(db, source, manifest, skip_invalid, progress, on_swap)
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
