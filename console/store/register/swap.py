"""Importing a breach register (register-format.md, version 1) into the cache.

The new register is built in a file of its own beside the cache
(`<cache>.register-<N>.building`, console.store.connection), with no lock on
the cache file, so the window's saves never wait for the rows, the indexes or
anything that grows with the register's size. Only when it is complete, on
disk and renamed to `<cache>.register-<N>` is it swapped in, by one short
write of the cache (the generation in service, with the sync's cursor when a
sync imports it): readers see the old register or the new, never a mixture,
and a killed import leaves the old one working. Call logs, callbacks and
audit entries live in the cache file and are never touched. The old
register's file is deleted after the swap (on Windows, once no connection
has it open); a failed import deletes its file at once, and what a kill left
is deleted when the cache is next opened (drop_leftovers).

A worker process (register/worker.py) reads and checks the files and sends
the rows of the register's tables in batches, which this process writes.

A cache made by an earlier version holds its register in tables of its own:
move_register_out builds its file from them, once, on the first open.
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
import sqlite_utils

from console.core.register_format import (RegisterRefused, RegisterSource, check_files, count_problems, listed_problems,
                                           not_listed, read_manifest, rejected_values)
from console.store.connection import (CacheError, _create_owner_only, _fsync, building_file, connect_file,
                                      register_file, register_files, write_transaction)
from console.store.register.tables import REGISTER_TABLES, create_register_tables, register_index_statements
from console.store.register.worker import Channel, start_worker

# tables of imports by earlier versions, which built the new register in the
# cache file under "import_" and renamed the old one "retired_" at the swap
STAGING = "import_"
RETIRED = "retired_"
# register tables of earlier versions, replaced by name_parts and name_near
LEGACY_TABLES = ("given_parts", "family_parts")
DROP_STEP = 20_000  # rows deleted per transaction when dropping a large table
BUILD_CACHE_KIB = 64 * 1024  # the page cache of a register being built: index builds sort in it


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
    _delete_register_files(db)


def _generation(db) -> int:
    return int(db.execute("SELECT value FROM meta WHERE key='register_generation'").fetchone()[0])


def _files_to_delete(db) -> list:
    """Every register file beside the cache but the one in service: a
    swapped-out register's, and one a killed import was building."""
    cache_path = getattr(db.conn, "cache_path", None)
    if cache_path is None:
        return []
    in_service = register_file(cache_path, _generation(db))
    return [path for path in register_files(cache_path) if path != in_service]


def _delete_register_files(db) -> None:
    """On Windows a file another connection still has open stays until the next time."""
    for path in _files_to_delete(db):
        with suppress(OSError):
            path.unlink()


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
    """Delete the register files a killed or failed import left and the one
    swapped out before (and, in a cache an earlier version imported into,
    drop in steps the tables its killed import left), unless an import is
    running (in this or another process)."""
    if not (_tables(db, STAGING) or _tables(db, RETIRED) or _files_to_delete(db)):
        return
    with _import_lock(db, wait=False) as held:
        if held:
            _drop_leftovers(db)


class RegisterBuild:
    """The register of one generation being built in its own file beside the
    cache, encrypted with the cache's key. Nothing in it needs to survive a
    crash until it is complete (a killed build is deleted), so it is written
    without a journal; `finish` puts it on disk whole under its final name."""

    def __init__(self, db, generation: int):
        cache_path = db.conn.cache_path
        if cache_path is None:
            raise CacheError("A register is imported into a cache file.")
        if generation <= _generation(db):  # the caller holds the import lock: none can be built meanwhile
            raise CacheError(f"Register generation {generation} is not a new one.")
        self.generation = generation
        self.building = building_file(cache_path, generation)
        self.path = register_file(cache_path, generation)
        self.building.unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)  # built by an import killed before its swap
        _create_owner_only(self.building)
        self.conn = connect_file(self.building, db.conn.key)
        try:
            self.conn.execute("PRAGMA journal_mode = OFF")
            self.conn.execute("PRAGMA synchronous = OFF")
            self.conn.execute(f"PRAGMA cache_size = -{BUILD_CACHE_KIB}")
            self.db = sqlite_utils.Database(self.conn)
            create_register_tables(self.db, "", generation, indexes=False)
        except BaseException:
            self.discard()
            raise

    def write(self, table: str, rows: list, statements: dict) -> None:
        sql = statements.get(table)
        if sql is None:
            sql = statements[table] = f"INSERT INTO {table} VALUES ({','.join('?' * len(rows[0]))})"
        self.conn.executemany(sql, rows)

    def index(self) -> None:
        for statement in register_index_statements("", self.generation):
            self.conn.execute(statement)

    def finish(self) -> None:
        """Complete and durable under its final name, ready to be swapped in."""
        self.conn.execute("PRAGMA journal_mode = DELETE")
        self.conn.close()
        _fsync(self.building)
        os.replace(self.building, self.path)
        _fsync(self.path.parent)

    def discard(self) -> None:
        with suppress(Exception):
            self.conn.close()
        for path in (self.building, self.path):
            with suppress(OSError):
                path.unlink(missing_ok=True)


def _swap_in(db, generation: int, meta: dict, on_swap=None) -> None:
    """One short write of the cache: the register of `generation` (its file
    complete) is in service from its COMMIT. The caller's connection then
    follows it (and must no longer discard the file)."""
    with write_transaction(db):
        present = set(db.table_names())
        for table in LEGACY_TABLES + REGISTER_TABLES:
            if table in present:  # a register an earlier version kept in the cache file
                db.execute(f"ALTER TABLE {table} RENAME TO {RETIRED}{table}")
        for key, value in {"register_generation": str(generation), **meta}.items():
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])
        if on_swap:
            on_swap(db)  # e.g. sync's register cursor, committed with the swap


def move_register_out(db) -> None:
    """Move the register a cache made by an earlier version holds in its own
    tables into a file of its own (once, on the first open by this version),
    then drop the tables in steps. Nothing is lost if it is killed: the
    tables stay the register until the swap, and are dropped on a later open."""
    if db.conn.register_in_file():
        return
    with _import_lock(db, wait=False) as held:
        if not held or db.conn.register_in_file():
            return
        build = RegisterBuild(db, _generation(db) + 1)
        try:
            cache_key = db.conn.key
            build.conn.execute(f"ATTACH DATABASE ? AS earlier KEY \"x'{cache_key.hex()}'\"",
                               [str(db.conn.cache_path)])
            for table in REGISTER_TABLES:
                old = {row[1] for row in build.conn.execute(f"PRAGMA earlier.table_info({table})")}
                new = [row[1] for row in build.conn.execute(f"PRAGMA main.table_info({table})")]
                kept = ", ".join(column for column in new if column in old)
                if kept:
                    build.conn.execute(f"INSERT INTO main.{table} ({kept}) SELECT {kept} FROM earlier.{table}")
            build.conn.execute("DETACH DATABASE earlier")
            build.index()
            build.finish()
            _swap_in(db, build.generation, {})
        except BaseException:
            build.discard()
            raise
        db.conn.follow_register(force=True)
        _drop_leftovers(db)


class _Importer:
    def __init__(self, db, source, manifest, skip_invalid, progress, on_swap=None, before_swap=None):
        self.db = db
        self.on_swap = on_swap
        self.before_swap = before_swap
        self.source = source
        self.manifest = manifest
        self.skip_invalid = skip_invalid
        self.progress = progress or (lambda stage, done, total: None)
        self.problems: list[str] = []  # "file:line: column: reason"
        self.rejected_rows: list[tuple[str, int, str, str, list[str]]] = []
        self.rejected = 0  # invalid rows, listed in problems or not
        self.read_counts = {}

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
        """Build the new register and swap it in; the caller holds the import lock."""
        _drop_leftovers(self.db)
        build = RegisterBuild(self.db, _generation(self.db) + 1)
        try:
            stored = self.receive(receiver, build)
            problems = count_problems(self.manifest, self.read_counts)
            if problems or (self.problems and not self.skip_invalid):
                raise RegisterRefused(problems + listed_problems(self.problems, self.rejected))
            self.progress("indexing", 0, 1)
            build.index()
            self.progress("indexing", 1, 1)
            if self.before_swap:
                self.before_swap(build.db)
            build.finish()
            _swap_in(self.db, build.generation, {
                "register_version": self.manifest["register_version"],
                "register_generated_at": str(self.manifest.get("generated_at") or ""),
            }, self.on_swap)
        except BaseException:
            build.discard()
            raise
        self.db.conn.follow_register(force=True)
        _drop_leftovers(self.db)  # the register swapped out
        persons, documents, practices = stored
        return ImportResult(self.manifest["register_version"], persons, documents, practices, self.problems,
                            self.rejected)

    def receive(self, receiver, build: RegisterBuild):
        """Write the worker's batches until it is done; its (persons, documents, practices) stored."""
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
                    with write_transaction(build.db):
                        for table, rows in tables.items():
                            if rows:
                                build.write(table, rows, statements)
                if stage != "practices":
                    self.progress(stage, done, total)
            elif kind == "done":
                _, self.read_counts, self.problems, self.rejected_rows, self.rejected, stored = message
                return stored
            elif kind == "refused":
                raise RegisterRefused(message[1])
            else:
                raise RuntimeError(f"The register reader failed; nothing was imported.\n{message[1]}")


def import_register(db, path, *, skip_invalid: bool = False, rejects=None, progress=None, on_swap=None,
                    before_swap=None) -> ImportResult:
    """Import the register at `path` (folder, .zip, or a .zip's bytes), replacing the one in service.

    Raises RegisterRefused, changing nothing, when the register is refused.
    With skip_invalid the valid rows are imported and the invalid ones are
    written, with reasons, to `rejects` (a CSV path) when given.
    `before_swap(register_db)` is given the new register, complete, before it
    is swapped in (raising refuses it); `on_swap(db)` writes to the cache in
    the swap's transaction.
    """
    source = RegisterSource(path)
    try:
        manifest = read_manifest(source)
        importer = _Importer(db, source, manifest, skip_invalid, progress, on_swap, before_swap)
        result = importer.run()
    finally:
        source.close()
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
