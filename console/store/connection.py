"""The one place that opens the cache.

Everything else receives a `sqlite_utils.Database` from `open_cache` (or, for
raw SQL in tools and tests, a DB-API connection from `connect`).

The cache is a SQLCipher database (sqlcipher3): every page of the file and of
its WAL is encrypted (AES-256, each page authenticated), and temporary tables
and indexes are kept in memory, never in temp files. Its key is 32 random
bytes made on first use and kept only in the operating system's keystore
(`console.store.keystore`), one entry per cache file (its absolute path). A
cache made by an earlier version (a plain SQLite file) is encrypted once, in
place, on first open.

sqlcipher3 raises its own exception classes, while sqlite-utils (for
`alter=True`, `.transform()`, table checks…) and our own code catch the
standard library's `sqlite3` ones. The connection here is a real sqlcipher3
connection whose methods and cursors re-raise every sqlcipher3 error as a class
that is both the `sqlite3` class and the sqlcipher3 class of the same name, so
either `except` clause catches it.

Connections run in autocommit mode (isolation_level=None): sqlite-utils wraps
its own writes in BEGIN/COMMIT, and our multi-statement writes use
`write_transaction`, so no implicit transaction is ever left open.

The register is in a file of its own beside the cache, `<cache>.register-<N>`
for generation N (meta `register_generation`), encrypted with the cache's key
and attached read-only to every connection as the schema `register`, so the
register's tables are read by their plain names. An import builds the next
generation's file without touching the cache file, and the swap is one short
write (the generation) whatever the register's size: a save never waits for
an import (issue 12). Each connection follows the generation in service
before any statement it runs outside a transaction (`Connection.follow_register`),
and the file swapped out is deleted once no connection uses it (at once on
POSIX; on Windows, where an open file cannot be deleted, at a later import or
open). Before any import the register is empty (an in-memory one). A cache made
before this held the register in its own tables: while it does, they are the
register (open_cache moves them out; console.store.register.swap).
"""

import functools
import os
import secrets
import sqlite3
import time
from contextlib import contextmanager, suppress
from pathlib import Path

import sqlite_utils
from sqlcipher3 import dbapi2 as sqlcipher

from console.core.transactions import transaction
from console.store import keystore as keystores

PLAIN_HEADER = b"SQLite format 3\x00"
KEY_WAIT_SECONDS = 3  # how long to wait for the key of a cache another process is creating


class CacheError(Exception):
    """The cache cannot be used; the message says what to do."""


# sqlcipher3's errors as the standard library's classes


def _both(name: str) -> type:
    return type(name, (getattr(sqlite3, name), getattr(sqlcipher, name)), {"__module__": __name__})


_ERROR_NAMES = ("Warning", "Error", "InterfaceError", "DatabaseError", "DataError", "OperationalError",
                "IntegrityError", "InternalError", "ProgrammingError", "NotSupportedError")
_ERRORS = {getattr(sqlcipher, name): _both(name) for name in _ERROR_NAMES}
_CAUGHT = (sqlcipher.Error, sqlcipher.Warning)
# SQLite's primary result codes for a full disk and for a failed read or write
# (a disk with no byte left makes even opening the cache fail with the latter)
_SQLITE_IOERR, _SQLITE_FULL = 10, 13


class CacheDiskFull(CacheError, _ERRORS[sqlcipher.OperationalError]):
    """The disk holding the cache is full (or failed a read or write): nothing
    in the cache was lost, the write that failed was rolled back. Also an
    `sqlite3.OperationalError`, so code that handles a failed write still does."""

    MESSAGE = "The disk holding the cache is full: free some space and try again; nothing was lost."

    def __init__(self, detail: str = ""):
        super().__init__(self.MESSAGE)
        self.detail = detail  # SQLite's own words, for the log


def is_disk_full(exc: BaseException) -> bool:
    """True for SQLite's "database or disk is full" and "disk I/O error"."""
    return isinstance(exc, CacheDiskFull) or (
        isinstance(exc, (sqlite3.Error, sqlcipher.Error))
        and ((getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF) in (_SQLITE_IOERR, _SQLITE_FULL))


def _as_sqlite3(exc: BaseException) -> BaseException:
    cls = _ERRORS.get(type(exc))
    if cls is None:
        return exc
    translated = CacheDiskFull(str(exc)) if is_disk_full(exc) else cls(*exc.args)
    for attribute in ("sqlite_errorcode", "sqlite_errorname"):
        if hasattr(exc, attribute):
            setattr(translated, attribute, getattr(exc, attribute))
    return translated


def _reraising(method):
    @functools.wraps(method)
    def call(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except _CAUGHT as exc:
            raise _as_sqlite3(exc).with_traceback(exc.__traceback__) from None

    return call


class Cursor(sqlcipher.Cursor):
    """sqlcipher3's cursor, raising errors the `sqlite3` way."""

    execute = _reraising(sqlcipher.Cursor.execute)
    executemany = _reraising(sqlcipher.Cursor.executemany)
    executescript = _reraising(sqlcipher.Cursor.executescript)
    fetchone = _reraising(sqlcipher.Cursor.fetchone)
    fetchmany = _reraising(sqlcipher.Cursor.fetchmany)
    fetchall = _reraising(sqlcipher.Cursor.fetchall)
    close = _reraising(sqlcipher.Cursor.close)

    def __next__(self):
        try:
            return super().__next__()
        except _CAUGHT as exc:
            raise _as_sqlite3(exc).with_traceback(exc.__traceback__) from None


REGISTER_SCHEMA = "register"
_IN_MAIN, _EMPTY = "main", "empty"  # where the register is when not in a file: see the module's text


class Connection(sqlcipher.Connection):
    """sqlcipher3's connection, raising errors the `sqlite3` way, with the
    register in service attached (a connection to a cache file)."""

    cache_path: Path | None = None  # set by connect(); None for any other file (a register being built)
    key: bytes | None = None
    _register = None  # what is attached as the register: a generation, _IN_MAIN or _EMPTY
    _data_version = None  # PRAGMA data_version when the register in service was last read
    _following = False
    _probe = None  # the cursor that reads PRAGMA data_version

    def cursor(self, factory=Cursor):
        if self.cache_path is not None and not self._following and not self.in_transaction:
            try:
                self.follow_register()
            except sqlite3.DatabaseError:
                pass  # a damaged or unreadable cache: the statement itself says so (tried again before the next)
        return self._cursor(factory)

    @_reraising
    def _cursor(self, factory):
        return super().cursor(factory)

    def follow_register(self, force: bool = False) -> None:
        """Attach the register in service, if another connection swapped one
        in since this one last looked (or `force`, after its own swap). Cheap
        when nothing changed: one PRAGMA. A swap this connection cannot follow
        yet (a statement of its own still reads the old register) is followed
        before a later statement."""
        self._following = True
        try:
            if self._probe is None:
                self._probe = self._cursor(Cursor)
            version = self._probe.execute("PRAGMA data_version").fetchall()[0][0]  # done: no snapshot held
            if version == self._data_version and not force:
                return
            target = self._register_in_service()
            if target != self._register:
                if self._register not in (None, _IN_MAIN):
                    try:
                        self.execute(f"DETACH DATABASE {REGISTER_SCHEMA}")
                    except sqlite3.OperationalError:
                        return  # "database register is locked": a cursor still reads it
                    self._register = None
                if isinstance(target, int):
                    file = register_file(self.cache_path, target)
                    # read-only; SQLite takes no URI with a host, so a Windows share's path is given as it is
                    name = file.as_uri() + "?mode=ro" if file.as_uri().startswith("file:///") else str(file)
                    self.execute(f"ATTACH DATABASE ? AS {REGISTER_SCHEMA} KEY \"x'{self.key.hex()}'\"", [name])
                elif target == _EMPTY:
                    from console.store.register.tables import create_register_tables

                    self.execute(f"ATTACH DATABASE ':memory:' AS {REGISTER_SCHEMA}")
                    create_register_tables(self, f"{REGISTER_SCHEMA}.", 0, indexes=False)
                self._register = target
            self._data_version = version
        finally:
            self._following = False

    def _register_in_service(self):
        row = self.execute(
            "SELECT (SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'persons'), "
            "(SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'meta')").fetchone()
        if row[0]:
            return _IN_MAIN
        if not row[1]:  # a cache not yet migrated
            return None
        generation = self.execute("SELECT value FROM main.meta WHERE key = 'register_generation'").fetchone()
        if generation is not None and register_file(self.cache_path, int(generation[0])).exists():
            return int(generation[0])
        return _EMPTY

    def register_in_file(self) -> bool:
        """True when the register in service is a file's (or none was imported);
        False while a cache made by an earlier version still holds it in its own tables."""
        return self._register_in_service() != _IN_MAIN

    def execute(self, sql, parameters=(), /):
        cursor = self.cursor().execute(sql, parameters)
        if self.cache_path is not None and not self._following and sql.lstrip()[:5].upper() == "BEGIN":
            self._pin_register(sql)
        return cursor

    def _pin_register(self, begin: str) -> None:
        """A transaction reads the cache and the register of one moment: if a
        swap committed after this connection last followed, the transaction is
        begun again with the register swapped in (the snapshot of the cache
        file is taken by the first read, here)."""
        for _ in range(3):
            self._following = True
            try:
                if isinstance(self._register, int):
                    row = self.execute("SELECT value FROM main.meta WHERE key = 'register_generation'").fetchone()
                    if row is not None and int(row[0]) == self._register:
                        return
                if self._register_in_service() == self._register:
                    return
                self.cursor().execute("ROLLBACK")
            finally:
                self._following = False
            self.follow_register(force=True)
            self.cursor().execute(begin)

    def executemany(self, sql, parameters, /):
        return self.cursor().executemany(sql, parameters)

    def executescript(self, script, /):
        return self.cursor().executescript(script)

    commit = _reraising(sqlcipher.Connection.commit)
    rollback = _reraising(sqlcipher.Connection.rollback)
    close = _reraising(sqlcipher.Connection.close)
    backup = _reraising(sqlcipher.Connection.backup)
    __exit__ = _reraising(sqlcipher.Connection.__exit__)


# files


def _create_owner_only(path: Path) -> bool:
    """Create `path` empty and owner-only; False if it was already there."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # some platforms cannot fsync a folder
        pass
    finally:
        os.close(fd)


def _beside(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def register_file(cache_path: Path, generation: int) -> Path:
    """The file of the register of `generation` beside the cache at `cache_path`."""
    return _beside(cache_path, f".register-{generation}")


def building_file(cache_path: Path, generation: int) -> Path:
    """Where the register of `generation` is built before it is complete."""
    return _beside(cache_path, f".register-{generation}.building")


def register_files(cache_path: Path) -> list[Path]:
    """Every register file beside the cache, complete or being built."""
    prefix = cache_path.name + ".register-"
    try:
        return sorted(p for p in cache_path.parent.iterdir() if p.name.startswith(prefix))
    except OSError:
        return []


def _file_kind(path: Path) -> str:
    """'new' (absent or empty), 'plain' (an unencrypted SQLite file) or 'encrypted'."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(PLAIN_HEADER))
    except FileNotFoundError:
        return "new"
    except OSError as exc:
        raise CacheError(f"The cache {path} cannot be opened ({exc.strerror}).") from None
    if not head:
        return "new"
    return "plain" if head == PLAIN_HEADER else "encrypted"


def key_entry(path) -> str:
    """The keystore entry (username) of the cache at `path`: its absolute path."""
    return os.path.normcase(str(Path(path).resolve()))


# connections


def connect_file(path, key: bytes | None) -> Connection:
    conn = sqlcipher.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30,
                             factory=Connection)
    try:
        # errors are ours to report; SQLCipher's own log would go to standard error
        conn.execute("PRAGMA cipher_log_level = NONE")
        if key is not None:
            conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")  # a raw key: no key derivation
        # temporary tables, indexes and sort files stay in memory: nothing unencrypted on disk
        conn.execute("PRAGMA temp_store = MEMORY")
        # wiping every freed allocation would guard only against reading this process's memory,
        # which the security model does not claim to (README), and makes an import 4.5 times slower
        conn.execute("PRAGMA cipher_memory_security = OFF")
        conn.execute("PRAGMA busy_timeout = 30000")
    except BaseException:
        conn.close()
        raise
    conn.key = key
    return conn


def _keystore() -> keystores.Keystore:
    try:
        return keystores.open_keystore()
    except keystores.KeystoreError as exc:
        raise CacheError(str(exc)) from None


def _get_key(store, entry: str) -> bytes | None:
    try:
        return store.get(entry)
    except keystores.KeystoreError as exc:
        raise CacheError(str(exc)) from None


def _new_key(store, entry: str) -> bytes:
    key = secrets.token_bytes(keystores.KEY_BYTES)
    try:
        store.put(entry, key)
    except keystores.KeystoreError as exc:
        raise CacheError(str(exc)) from None
    return key


def _unreadable(path: Path, store, why: str) -> CacheError:
    return CacheError(
        f"The cache {path} is encrypted and {why}, so it cannot be read; nothing was changed. "
        "Its key is kept per cache file, by location, for the user who made it: if the file was moved, "
        "put it back; if it was made under another account or keyring, sign in or unlock that one, "
        "then try again. Otherwise it cannot be recovered: move it aside, start a new cache and re-import "
        "the register. Calls in it that were not yet synced to the hub cannot be read without the key, "
        "and neither can how many there are; every call already synced is on the hub."
    )


def _has_wal(path: Path) -> bool:
    wal = _beside(path, "-wal")
    return wal.exists() and wal.stat().st_size > 0


def _open_new(path: Path, store, entry: str) -> Connection:
    """A cache that is not there yet (or an empty file): the key already kept
    for this place, or a new one. Whoever creates the file makes the key; a
    process that finds the file just created by another waits for its key."""
    key = _get_key(store, entry)
    if key is not None:
        _create_owner_only(path)
        return connect_file(path, key)
    if _create_owner_only(path):
        try:
            key = _new_key(store, entry)
        except BaseException:
            path.unlink(missing_ok=True)  # the empty file this call made
            raise
        return connect_file(path, key)
    deadline = time.monotonic() + KEY_WAIT_SECONDS
    while key is None and time.monotonic() < deadline and _file_kind(path) == "new":
        time.sleep(0.05)
        key = _get_key(store, entry)
    if key is None:
        if _file_kind(path) != "new" or _has_wal(path):
            raise _unreadable(path, store, f"its key is not in {store.name}")
        key = _new_key(store, entry)  # an empty file left by a run killed before it kept a key
    return connect_file(path, key)


def _open_encrypted(path: Path, store, entry: str) -> Connection:
    key = _get_key(store, entry)
    if key is None:
        raise _unreadable(path, store, f"its key is not in {store.name}")
    conn = connect_file(path, key)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except CacheDiskFull:
        conn.close()
        raise
    except sqlite3.DatabaseError:
        conn.close()
        raise _unreadable(path, store, f"the key kept for it in {store.name} does not open it "
                                       "(or it is not a cache at all)") from None
    _tidy_after_migration(path, conn)
    return conn


def _tidy_after_migration(path: Path, conn) -> None:
    """Files a migration killed after its swap left: the verified plain copy and the staging file."""
    staging = _beside(path, ".encrypting")
    if staging.exists():
        staging.unlink(missing_ok=True)
    backup = _beside(path, ".plain-backup")
    if backup.exists() and conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]:
        backup.unlink(missing_ok=True)


def _row_counts(conn, schema: str = "main") -> dict[str, int]:
    names = [r[0] for r in conn.execute(f"SELECT name FROM {schema}.sqlite_master WHERE type = 'table'")]
    return {name: conn.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0] for name in names}


def _copy_owner_only(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with open(fd, "wb") as out, open(source, "rb") as f:
        while chunk := f.read(1 << 20):
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())


def _migrate_plain(path: Path, store, entry: str) -> None:
    """Encrypt a cache made by an earlier version, in place.

    The plain file is held exclusively (no other connection can read or write
    it) while a byte copy is kept as `<name>.plain-backup` (owner-only), the
    encrypted copy is written with sqlcipher_export and verified from a fresh
    connection (PRAGMA integrity_check, and every table's row count equal), and
    swapped in with one rename. Only then is the backup removed. A run killed
    at any point leaves the plain cache, or the verified encrypted one, in place;
    a failure before the swap removes both copies, the plain cache being whole.
    If another process encrypted it first, this returns without doing anything.
    """
    backup, staging = _beside(path, ".plain-backup"), _beside(path, ".encrypting")
    plain = connect_file(path, None)
    swapped = False
    try:
        try:
            verdict = plain.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError:
            if _file_kind(path) != "plain":
                return  # encrypted by another process meanwhile
            raise
        if verdict != "ok":
            raise CacheError(
                f"The cache {path} (made by an earlier version, not yet encrypted) is damaged ({verdict}). "
                "It has been left as it is for inspection; move it aside and start with a new cache, "
                "then re-import the register.")
        key = _get_key(store, entry) or _new_key(store, entry)
        # held exclusively from here until closed; the WAL is folded into the file
        plain.execute("PRAGMA locking_mode = EXCLUSIVE")
        try:
            mode = plain.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        except sqlite3.OperationalError:  # busy: another connection has it open
            mode = None
        if mode != "delete":
            raise CacheError(f"The cache {path} must be encrypted once, but another program has it open: "
                             "close it (every other console window too), then try again.")
        if _file_kind(path) != "plain":
            return
        counts = _row_counts(plain)
        user_version = plain.execute("PRAGMA user_version").fetchone()[0]
        _copy_owner_only(path, backup)
        staging.unlink(missing_ok=True)
        _create_owner_only(staging)
        plain.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}'\"", [str(staging)])
        plain.execute("SELECT sqlcipher_export('encrypted')")
        plain.execute(f"PRAGMA encrypted.user_version = {int(user_version)}")
        plain.execute("DETACH DATABASE encrypted")
        check = connect_file(staging, key)
        try:
            sound = check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            same = _row_counts(check) == counts
        finally:
            check.close()
        if not (sound and same):
            raise CacheError(
                f"The cache {path} (made by an earlier version) could not be encrypted: the encrypted copy "
                f"did not match it ({'integrity check failed' if not sound else 'row counts differ'}). "
                "It has been left in place, unencrypted, with everything in it; report this and keep the file.")
        _fsync(staging)
        if os.name == "nt":  # Windows cannot rename over an open file
            plain.close()
        os.replace(staging, path)
        swapped = True
        _fsync(path.parent)
    finally:
        plain.close()
        if not swapped:  # the plain cache is still in place, whole: neither copy is needed
            staging.unlink(missing_ok=True)
            backup.unlink(missing_ok=True)
    swapped_in = connect_file(path, key)
    try:
        swapped_in.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        swapped_in.close()
    backup.unlink(missing_ok=True)


def connect(path) -> Connection:
    """A DB-API connection to the cache at `path`, keyed from the keystore,
    with the register in service attached; creates an empty encrypted cache
    (and its key) if there is none, and encrypts a plain one made by an
    earlier version. No check, no migrations.

    Refusals (no secure keystore, no key for an existing cache, a key that
    does not open it) raise CacheError and leave every file as it was."""
    path = Path(path)
    store = _keystore()  # before anything on disk is touched
    entry = key_entry(path)
    for _ in range(5):
        kind = _file_kind(path)
        if kind == "new":
            conn = _open_new(path, store, entry)
        elif kind == "plain":
            _migrate_plain(path, store, entry)
            continue
        else:
            conn = _open_encrypted(path, store, entry)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            conn.cache_path = path.resolve()
            with suppress(sqlite3.DatabaseError):  # damage is open_cache's check to report, as damage
                conn.follow_register()
        except BaseException:
            conn.close()
            raise
        return conn
    raise CacheError(f"The cache {path} kept changing while it was being opened: close other programs using it, "
                     "then try again.")


def open_cache(path, *, check: bool = True, migrate: bool = True) -> sqlite_utils.Database:
    """Open (creating owner-only and encrypted if new) the cache at `path` in
    WAL mode with full durability, check it is undamaged, and bring its schema
    up to date.

    The check reads the whole file (about a second for a 2-million-person
    register), so latency-critical lookups pass check=False; SQLite still
    refuses any damaged page they touch, and SQLCipher any page changed
    behind its back (each page carries a MAC).
    """
    conn = connect(path)
    try:
        db = sqlite_utils.Database(conn)
        conn.execute("PRAGMA main.journal_mode=WAL")
        # every acknowledged write must survive power loss, not only a crash
        conn.execute("PRAGMA synchronous=FULL")
        if check:
            try:
                verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            except CacheDiskFull:
                raise
            except sqlite3.DatabaseError as exc:  # SQLCipher: a page that fails its MAC cannot even be read
                verdict = str(exc)
            if verdict != "ok":
                raise CacheError(
                    f"The cache {path} is damaged ({verdict}). It has been left as it is for inspection; "
                    "move it aside and start with a new cache, then re-import the register."
                )
        if migrate:
            from console.store import schema, settings

            # reads; the writer lock is taken only when there is work
            if schema.pending(db) or settings.upgrades_pending(db):
                with write_transaction(db):  # one process migrates; any other waits, then finds it done
                    schema.migrate(db)
                    settings.upgrade(db)
            from console.store.register.swap import drop_leftovers, move_register_out

            conn.follow_register(force=True)  # its own migration may have made or dropped tables
            _forget_a_missing_register(db)
            with suppress(CacheDiskFull):  # a full disk: done on a later open
                move_register_out(db)
                drop_leftovers(db)
    except BaseException:
        with suppress(Exception):
            conn.close()
        raise
    return db


def _forget_a_missing_register(db: sqlite_utils.Database) -> None:
    """A cache whose register file is gone (deleted, or the cache copied
    without it) has no register: say so (no register version) rather than
    answer every lookup from an empty one, and let the next sync fetch it again."""
    if db.conn._register != _EMPTY:
        return
    if db.execute("SELECT 1 FROM meta WHERE key = 'register_version'").fetchone() is None:
        return
    with write_transaction(db):
        db.execute("DELETE FROM meta WHERE key IN ('register_version', 'register_generated_at')")
        db.execute("UPDATE meta SET value = '0' WHERE key = 'sync.register_seq'")


@contextmanager
def write_transaction(db: sqlite_utils.Database):
    """BEGIN IMMEDIATE … COMMIT: the writer lock is taken up front, and the
    block's writes are saved only when COMMIT returns (a failed COMMIT is
    rolled back: console.core.transactions)."""
    with transaction(db.conn, lambda: db.conn.execute("BEGIN IMMEDIATE")):
        yield db
