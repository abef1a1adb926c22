"""Importing a breach register (register-format.md, version 1) into the cache.

The new register is built in `import_*` tables beside the one in service and
swapped in by one short transaction, so readers see the old register or the
new, never a mixture, and a killed import leaves the old one working. Call
logs, callbacks and audit entries live in other tables and are never touched.

The swap only renames tables: the old register's become `retired_*` and are
emptied and dropped after it, in short transactions, so a save waits on the
swap for a moment whatever the register's size. Staging tables of a failed
import are dropped at once; those of a killed one (and retired tables a kill
left) when the cache is next opened (drop_leftovers).

A worker process (register/worker.py) reads and checks the files and sends
the rows of the staging tables in batches, which this process writes.
"""

import csv
import hashlib
import json
import os
import subprocess
import tempfile
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from console.core.output_safety import open_private, spreadsheet_cell
from console.core.register_format import (RegisterRefused, RegisterSource, check_files, count_problems, listed_problems,
                                           not_listed, read_manifest, rejected_values)
from console.store.connection import write_transaction
from console.store.register.tables import REGISTER_TABLES, create_register_tables, register_index_statements
from console.store.register.worker import Channel, start_worker

STAGING = "import_"
RETIRED = "retired_"
# register tables of earlier versions, replaced by name_parts and name_near
LEGACY_TABLES = ("given_parts", "family_parts")
DROP_STEP = 20_000  # rows deleted per transaction when dropping a large table


@dataclass
class ImportResult:
    register_version: str
    persons: int
    documents: int
    practices: int
    rejected: list[str] = field(default_factory=list)  # the first MAX_LISTED_REJECTS
    rejected_count: int = 0  # all of them

    @property
    def rejected_listed(self) -> list[str]:
        """The invalid rows left out as a person reads them: the first
        MAX_LISTED_REJECTS, then how many more there were."""
        return listed_problems(self.rejected, self.rejected_count)

    def as_json(self) -> dict:
        return {
            "register_version": self.register_version,
            "persons": self.persons,
            "documents": self.documents,
            "practices": self.practices,
        }


def _tables(db, prefix: str) -> list[str]:
    return [row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, ?) = ?", [len(prefix), prefix])]


def drop_in_steps(db, table: str) -> None:
    """Drop `table`, first emptying it in short write transactions, so that no
    one transaction (and no wait for the writer lock) grows with its size."""
    without_rowid = db.execute(
        "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()
    if without_rowid is None:
        return
    if without_rowid[0]:
        key = db.execute(f"SELECT name FROM pragma_table_info('{table}') WHERE pk = 1").fetchone()[0]
    else:
        key = "rowid"
    while True:
        with write_transaction(db):
            deleted = db.execute(
                f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {table} LIMIT {DROP_STEP})").rowcount
        if deleted < DROP_STEP:
            break
    with write_transaction(db):
        db.execute(f"DROP TABLE IF EXISTS {table}")


def _drop_leftovers(db) -> None:
    for table in _tables(db, STAGING) + _tables(db, RETIRED):
        drop_in_steps(db, table)


@contextmanager
def _import_lock(db, wait: bool):
    """True while this process holds the lock of imports into the cache of
    `db`, False when another holds it and `wait` is false. It is a lock on a
    file in the temporary folder named after the cache's place, so it goes
    with its holder, even a killed one, and leaves nothing beside the cache."""
    name = db.execute("PRAGMA database_list").fetchone()[2]
    if not name:  # an in-memory cache has one connection
        yield True
        return
    try:
        place = hashlib.sha256(os.path.realpath(name).encode("utf-8")).hexdigest()[:32]
        f = open(os.path.join(tempfile.gettempdir(), f"helpline-console-import-{place}.lock"), "a+b")
    except OSError:  # e.g. a full disk: no import can run either
        if wait:
            raise
        yield False
        return
    with f:
        try:
            if os.name == "nt":
                import msvcrt

                f.seek(0)
                msvcrt.locking(f.fileno(), msvcrt.LK_LOCK if wait else msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(f.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except OSError:
            if wait:
                raise
            yield False
            return
        yield True  # closing the file releases the lock


def drop_leftovers(db) -> None:
    """Drop, in steps, the staging tables of an import that was killed or
    failed and the tables of a register swapped out before a kill, unless an
    import is running (in this or another process)."""
    if not (_tables(db, STAGING) or _tables(db, RETIRED)):
        return
    with _import_lock(db, wait=False) as held:
        if held:
            _drop_leftovers(db)


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
        self.rejected = 0  # invalid rows, listed in problems or not
        self.read_counts = {}
        self.generation = int(db.execute("SELECT value FROM meta WHERE key='register_generation'").fetchone()[0]) + 1

    def run(self) -> ImportResult:
        # The worker starts reading at once; the files' hashes are checked
        # meanwhile, and nothing is written until they are.
        worker = start_worker(self.source.path, self.manifest, self.skip_invalid)
        try:
            check_files(self.source, self.manifest)
            with _import_lock(self.db, wait=True):
                return self.load(Channel(worker.stdout))
        finally:
            worker.stdout.close()  # a worker still writing stops (broken pipe)
            try:
                worker.wait(timeout=5)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

    def load(self, receiver) -> ImportResult:
        _drop_leftovers(self.db)
        try:
            with write_transaction(self.db):
                create_register_tables(self.db, STAGING, self.generation, indexes=False)
            # The staging tables are thrown away if anything goes wrong, so their
            # batches need not reach the disk one by one; the swap is fully durable.
            self.db.execute("PRAGMA synchronous=NORMAL")
            stored = self.receive(receiver)
            problems = count_problems(self.manifest, self.read_counts)
            if problems or (self.problems and not self.skip_invalid):
                raise RegisterRefused(problems + listed_problems(self.problems, self.rejected))
            self.index()
            self.db.execute("PRAGMA synchronous=FULL")
            self.swap_in()
        except BaseException:
            self.give_up()
            raise
        _drop_leftovers(self.db)  # the register swapped out
        persons, documents, practices = stored
        return ImportResult(self.manifest["register_version"], persons, documents, practices, self.problems,
                            self.rejected)

    def give_up(self) -> None:
        """Drop the staging tables now and hand their space back to the file
        system; what cannot be dropped now (the disk may be full) is dropped
        when the cache is next opened. The failure itself is what is raised."""
        with suppress(Exception):
            self.db.execute("PRAGMA synchronous=FULL")
        with suppress(Exception):
            for table in _tables(self.db, STAGING):
                try:
                    drop_in_steps(self.db, table)
                except Exception:
                    with write_transaction(self.db):  # needs less room than emptying it first
                        self.db.execute(f"DROP TABLE IF EXISTS {table}")
        with suppress(Exception):
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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
                _, self.read_counts, self.problems, self.rejected_rows, self.rejected, stored = message
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

    def swap_in(self):
        """Renames only: the time it holds the writer lock does not grow with the registers' size."""
        with write_transaction(self.db):
            present = set(self.db.table_names())
            for table in LEGACY_TABLES + REGISTER_TABLES:
                if table in present:
                    self.db.execute(f"ALTER TABLE {table} RENAME TO {RETIRED}{table}")
            for table in REGISTER_TABLES:
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
        write_rejects(rejects, importer.rejected_rows, importer.rejected)
    return result


def write_rejects(path, rejected_rows, rejected: int) -> None:
    """The invalid rows left out (the first MAX_LISTED_REJECTS, then a line
    counting the rest) as CSV, created owner-only: each row's values by
    column, without those that identify or reach the person."""
    with open_private(path) as f:
        writer = csv.writer(f)
        writer.writerow(["file", "line", "column", "reason", "row"])
        for name, line, column, reason, row in rejected_rows:
            writer.writerow([spreadsheet_cell(v) for v in (
                name, line, column, reason, json.dumps(rejected_values(name, row), ensure_ascii=False))])
        if (more := not_listed(rejected)):
            writer.writerow([more, "", "", "", ""])


def register_version(db) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key='register_version'").fetchone()
    return row[0] if row else None
