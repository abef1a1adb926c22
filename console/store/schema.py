"""The cache's schema, as named migrations (console.core.migrations).

A migration is never edited once shipped: a change is a new `mNNN_…`
function. Each holds its DDL as the text it shipped with, never a call into
living code (the register's tables are rebuilt by every import from
console.store.register.tables, which goes on changing).

Which steps a cache has had is recorded in sqlite-utils' `_sqlite_migrations`
table, one row per step, under the set's name: the table the schema was
recorded in when it used sqlite-utils' `Migrations`, so those caches need no
conversion. Settings' upgrades (console.store.settings) are recorded there
too, as a set of their own.
"""

import secrets
import socket
from contextlib import contextmanager
from datetime import datetime, timezone

from console.core.migrations import Migrations

MIGRATIONS_TABLE = "_sqlite_migrations"

migrations = Migrations("helpline-console")


class CacheLedger:
    """The steps of one set a cache has had, in `_sqlite_migrations`. A step
    runs in a transaction of its own, or in a savepoint of the caller's (the
    writer lock open_cache takes to migrate)."""

    def __init__(self, db, migration_set: str):
        self.db = db
        self.migration_set = migration_set

    @contextmanager
    def transaction(self):
        with self.db.atomic() as db:
            # the table and index exactly as sqlite-utils' Migrations creates them, before the first step
            db.execute(f"""CREATE TABLE IF NOT EXISTS "{MIGRATIONS_TABLE}" (
   "id" INTEGER PRIMARY KEY,
   "migration_set" TEXT,
   "name" TEXT,
   "applied_at" TEXT
)""")
            db.execute(f"""CREATE UNIQUE INDEX IF NOT EXISTS "idx_{MIGRATIONS_TABLE}_migration_set_name"
    ON "{MIGRATIONS_TABLE}" ("migration_set", "name")""")
            yield db

    def applied(self, db=None) -> set[str]:
        db = self.db if db is None else db
        if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                          [MIGRATIONS_TABLE]).fetchone():
            return set()
        rows = db.execute(f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ?", [self.migration_set])
        return {name for (name,) in rows}

    def record(self, db, name: str) -> None:
        db.execute(f"INSERT INTO {MIGRATIONS_TABLE} (migration_set, name, applied_at) VALUES (?, ?, ?)",
                   [self.migration_set, name, str(datetime.now(timezone.utc))])


@migrations
def m001_register(db):
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    # one id per workstation cache, recorded on every call and audit entry
    host = "".join(c for c in socket.gethostname() if c.isalnum() or c in "-_")[:32] or "workstation"
    db.execute("INSERT INTO meta VALUES ('workstation', ?)", [f"{host}-{secrets.token_hex(3)}"])
    db.execute("INSERT INTO meta VALUES ('register_generation', '0')")
    # the register's tables as the first version created them; m008 brings
    # them to the shape the importer has made since
    db.execute(
        """CREATE TABLE persons (
            person_id TEXT PRIMARY KEY,
            nhi TEXT,
            family_name TEXT NOT NULL,
            given_names TEXT NOT NULL,
            preferred_name TEXT,
            date_of_birth TEXT,
            phones TEXT,
            email TEXT,
            address TEXT,
            suburb TEXT,
            city TEXT,
            postcode TEXT,
            region TEXT,
            practice_code TEXT,
            notification_code TEXT,
            family_key TEXT NOT NULL,
            given_key TEXT NOT NULL,
            email_key TEXT
        )"""
    )
    db.execute("CREATE TABLE person_phones (tail TEXT NOT NULL, person_id TEXT NOT NULL, PRIMARY KEY (tail, person_id)) WITHOUT ROWID")
    db.execute("CREATE TABLE name_variants (variant TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (variant, key)) WITHOUT ROWID")
    db.execute("CREATE TABLE family_parts (key TEXT NOT NULL, person_id TEXT NOT NULL, PRIMARY KEY (key, person_id)) WITHOUT ROWID")
    db.execute(
        """CREATE TABLE documents (
            document_id TEXT PRIMARY KEY,
            person_id TEXT NOT NULL,
            category TEXT NOT NULL,
            document_date TEXT,
            source_practice_code TEXT,
            sensitive INTEGER NOT NULL
        )"""
    )
    db.execute("CREATE TABLE practices (practice_code TEXT PRIMARY KEY, name TEXT NOT NULL, region TEXT)")
    db.execute("CREATE INDEX idx_persons_dob_g0 ON persons(date_of_birth)")
    db.execute("CREATE INDEX idx_persons_nhi_g0 ON persons(nhi)")
    db.execute("CREATE INDEX idx_persons_email_g0 ON persons(email_key)")
    db.execute("CREATE INDEX idx_persons_name_g0 ON persons(family_key, given_key)")
    db.execute("CREATE INDEX idx_persons_given_g0 ON persons(given_key)")
    db.execute("CREATE INDEX idx_documents_person_g0 ON documents(person_id)")


@migrations
def m002_audit_and_attempts(db):
    db.execute(
        """CREATE TABLE audit (
            seq INTEGER PRIMARY KEY,
            entry_id TEXT NOT NULL UNIQUE,
            at TEXT NOT NULL,
            operator TEXT,
            workstation TEXT NOT NULL,
            kind TEXT NOT NULL,
            person_id TEXT,
            detail TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_audit_at ON audit(at)")
    db.execute("CREATE INDEX idx_audit_person ON audit(person_id)")
    db.execute(
        """CREATE TABLE failed_attempts (
            attempt_id TEXT PRIMARY KEY,
            person_id TEXT NOT NULL,
            at TEXT NOT NULL,
            operator TEXT,
            workstation TEXT NOT NULL,
            cleared_by TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_failed_attempts_person ON failed_attempts(person_id, at)")
    db.execute(
        """CREATE TABLE unlocks (
            unlock_id TEXT PRIMARY KEY,
            person_id TEXT NOT NULL,
            at TEXT NOT NULL,
            operator TEXT,
            workstation TEXT NOT NULL,
            reason TEXT
        )"""
    )


# The calls table as m003 made it, frozen with that migration. The hub's m001 makes
# the same table with its own types and the body's digest (console/hub/storage.py).
CALLS_M003 = """CREATE TABLE calls (
            call_id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            started_utc {sorted_text} NOT NULL,
            ended_at TEXT NOT NULL,
            handle_seconds {real} NOT NULL,
            operator TEXT,
            workstation TEXT NOT NULL,
            caller_type TEXT NOT NULL,
            person_id TEXT,
            verification TEXT NOT NULL,
            assurance TEXT,
            disclosed_status TEXT,
            outcome TEXT NOT NULL,
            region TEXT,
            register_version TEXT,
            saved_at TEXT NOT NULL,
            record TEXT NOT NULL{extra}
        )"""


@migrations
def m003_calls_and_outbox(db):
    db.execute(CALLS_M003.format(sorted_text="TEXT", real="REAL", extra=""))
    db.execute("CREATE INDEX idx_calls_started ON calls(started_utc)")
    db.execute("CREATE INDEX idx_calls_person ON calls(person_id)")
    # Per-UTC-day tallies kept in the same transaction as each call, so stats
    # over a million calls read thousands of rows, not a million.
    db.execute(
        """CREATE TABLE call_day_counts (
            day TEXT NOT NULL, dimension TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (day, dimension, value)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TABLE call_day_handle (
            day TEXT NOT NULL, seconds REAL NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (day, seconds)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            body TEXT NOT NULL,
            queued_at TEXT NOT NULL,
            UNIQUE (kind, entity_id)
        )"""
    )
    db.execute(
        """CREATE TABLE callbacks (
            callback_id TEXT PRIMARY KEY,
            booked_at TEXT NOT NULL,
            due_at TEXT NOT NULL,
            booked_by TEXT,
            assigned_to TEXT,
            workstation TEXT NOT NULL,
            call_id TEXT,
            person_ids TEXT NOT NULL,
            reason TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open',
            completed_at TEXT,
            completed_by TEXT,
            outcome TEXT,
            notes TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_callbacks_due ON callbacks(status, due_at)")


# The operators table as m004 made it, frozen with that migration; the hub's m001 makes the same one.
OPERATORS_M004 = """CREATE TABLE operators (
            operator_id TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'admin')),
            password_hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            created_by TEXT
        )"""


@migrations
def m004_operators(db):
    db.execute(OPERATORS_M004)


@migrations
def m005_hour_tallies(db):
    # Hour tallies beside the day tallies: a window cutting through days reads
    # whole days, then whole hours, and only the partial hours at its edges
    # from the calls themselves.
    db.execute(
        """CREATE TABLE call_hour_counts (
            hour TEXT NOT NULL, dimension TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (hour, dimension, value)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TABLE call_hour_handle (
            hour TEXT NOT NULL, seconds REAL NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (hour, seconds)
        ) WITHOUT ROWID"""
    )
    db.execute(
        "INSERT INTO call_hour_handle SELECT substr(started_utc, 1, 13), handle_seconds, count(*) "
        "FROM calls GROUP BY 1, 2"
    )
    for dimension, column in (("outcome", "outcome"), ("caller_type", "caller_type"), ("verification", "verification"),
                              ("region", "region"), ("operator", "operator"), ("disclosed", "disclosed_status")):
        db.execute(
            f"INSERT INTO call_hour_counts SELECT substr(started_utc, 1, 13), '{dimension}', {column}, count(*) "
            f"FROM calls WHERE {column} IS NOT NULL AND {column} != '' GROUP BY 1, 3"
        )


@migrations
def m006_sync(db):
    # What sync needs beside the outbox: callback revisions (a later revision
    # replaces an earlier one on the hub; the same revision with another body
    # is a conflict), entries the hub refused as conflicts (kept, never
    # overwritten), and a register snapshot being downloaded, chunk by chunk,
    # inside the encrypted file so a download resumes after a kill.
    db.execute("ALTER TABLE callbacks ADD COLUMN revision INTEGER NOT NULL DEFAULT 1")
    db.execute(
        "UPDATE outbox SET entity_id = entity_id || '@1', "
        "body = json_set(body, '$.revision', 1) WHERE kind = 'callback'"
    )
    db.execute(
        """CREATE TABLE sync_conflicts (
            kind TEXT NOT NULL, entity_id TEXT NOT NULL, body TEXT NOT NULL,
            message TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (kind, entity_id)
        )"""
    )
    db.execute(
        """CREATE TABLE register_download (
            seq INTEGER NOT NULL, offset INTEGER NOT NULL, data BLOB NOT NULL,
            PRIMARY KEY (seq, offset)
        )"""
    )
    # attempts and unlocks now travel to the hub, so the lockout holds across
    # workstations: queue the ones already on file
    db.execute(
        "INSERT OR IGNORE INTO outbox (kind, entity_id, body, queued_at) "
        "SELECT 'attempt', attempt_id, json_object('attempt_id', attempt_id, 'person_id', person_id, 'at', at, "
        "'operator', operator, 'workstation', workstation), strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', 'now') FROM failed_attempts"
    )
    db.execute(
        "INSERT OR IGNORE INTO outbox (kind, entity_id, body, queued_at) "
        "SELECT 'unlock', unlock_id, json_object('unlock_id', unlock_id, 'person_id', person_id, 'at', at, "
        "'operator', operator, 'workstation', workstation, 'reason', reason), "
        "strftime('%Y-%m-%dT%H:%M:%S.000000+00:00', 'now') FROM unlocks"
    )
    db.execute("INSERT OR IGNORE INTO meta VALUES ('sync.audit_pushed_seq', '0')")
    db.execute("INSERT OR IGNORE INTO meta VALUES ('sync.change_cursor', '0')")
    db.execute("INSERT OR IGNORE INTO meta VALUES ('sync.register_seq', '0')")


@migrations
def m007_dashboard(db):
    # A supervisor taking up an escalated call; the queue is the escalated
    # calls with no row here, read from a covering partial index of them.
    db.execute(
        """CREATE TABLE escalation_acks (
            call_id TEXT PRIMARY KEY,
            at TEXT NOT NULL,
            operator TEXT,
            workstation TEXT NOT NULL,
            note TEXT
        )"""
    )
    db.execute(
        "CREATE INDEX idx_calls_escalated ON calls(started_utc, call_id, started_at, operator, caller_type, "
        "verification, region, workstation) WHERE outcome = 'escalated'"
    )
    add_dashboard_tallies(db)


def add_dashboard_tallies(db):
    """The dashboard's tallies (console.core.dashboard.dashboard_tallies) of
    the calls stored before m007, which tallied only cli.md's dimensions.
    Part of m007, frozen with it."""
    for bucket, length in (("day", 10), ("hour", 13)):
        for select in (
            f"SELECT substr(started_utc, 1, {length}), 'assurance', assurance, count(*) FROM calls "
            "WHERE assurance IS NOT NULL AND assurance != '' GROUP BY 1, 3",
            f"SELECT substr(c.started_utc, 1, {length}), 'flag', f.value, count(*) "
            "FROM calls c, json_each(c.record, '$.flags') f GROUP BY 1, 3",
            f"SELECT substr(started_utc, 1, {length}), 'scam', 'reported', count(*) FROM calls "
            "WHERE json_extract(record, '$.scam_report') IS NOT NULL GROUP BY 1",
            f"SELECT substr(c.started_utc, 1, {length}), 'practice', p.practice_code, count(*) "
            "FROM calls c JOIN persons p ON p.person_id = c.person_id "
            "WHERE p.practice_code IS NOT NULL AND p.practice_code != '' GROUP BY 1, 3",
        ):
            db.execute(f"INSERT INTO call_{bucket}_counts {select}")


@migrations
def m008_register_search_tables(db):
    # Since the day m001 shipped, the importer builds the register's tables in
    # the shape name search reads (name_near, name_parts, persons.given_len),
    # and m001 made them in that shape too by calling the importer's DDL. A
    # cache whose tables are still m001's first shape (made by the first
    # version, or new since m001 was frozen) gets today's, empty; a register
    # stored in the first shape cannot be searched, so it is imported again.
    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'name_near'").fetchone():
        return
    held_a_register = db.execute("SELECT 1 FROM persons LIMIT 1").fetchone() is not None
    for table in ("persons", "person_phones", "name_variants", "family_parts", "given_parts", "documents", "practices"):
        db.execute(f"DROP TABLE IF EXISTS {table}")
    db.execute(
        """CREATE TABLE persons (
            person_id TEXT PRIMARY KEY,
            nhi TEXT,
            family_name TEXT NOT NULL,
            given_names TEXT NOT NULL,
            preferred_name TEXT,
            date_of_birth TEXT,
            phones TEXT,
            email TEXT,
            address TEXT,
            suburb TEXT,
            city TEXT,
            postcode TEXT,
            region TEXT,
            practice_code TEXT,
            notification_code TEXT,
            family_key TEXT NOT NULL,
            given_key TEXT NOT NULL,
            email_key TEXT,
            given_len INTEGER
        )"""
    )
    db.execute("CREATE TABLE person_phones (tail TEXT NOT NULL, person_id TEXT NOT NULL)")
    db.execute("CREATE TABLE name_variants (variant TEXT NOT NULL, key TEXT NOT NULL)")
    db.execute("CREATE TABLE name_near (key TEXT PRIMARY KEY, near TEXT NOT NULL) WITHOUT ROWID")
    db.execute(
        """CREATE TABLE name_parts (
            key TEXT NOT NULL,
            given_key TEXT NOT NULL,
            part INTEGER NOT NULL,
            scorable INTEGER NOT NULL,
            person_id TEXT NOT NULL,
            given_len INTEGER,
            date_of_birth TEXT,
            family_name TEXT NOT NULL,
            given_names TEXT NOT NULL,
            preferred_name TEXT,
            suburb TEXT,
            city TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE documents (
            document_id TEXT PRIMARY KEY,
            person_id TEXT NOT NULL,
            category TEXT NOT NULL,
            document_date TEXT,
            source_practice_code TEXT,
            sensitive INTEGER NOT NULL
        )"""
    )
    db.execute("CREATE TABLE practices (practice_code TEXT PRIMARY KEY, name TEXT NOT NULL, region TEXT)")
    g = db.execute("SELECT value FROM meta WHERE key = 'register_generation'").fetchone()[0]
    payload = "given_len, date_of_birth, family_name, given_names, preferred_name, suburb, city"
    for name, table, columns, where in (
        ("persons_dob", "persons", "date_of_birth", ""),
        ("persons_nhi", "persons", "nhi", " WHERE nhi IS NOT NULL"),
        ("persons_email", "persons", "email_key", " WHERE email_key IS NOT NULL"),
        ("persons_name", "persons", f"family_key, given_key, person_id, {payload}", ""),
        ("persons_given", "persons", "given_key", ""),
        ("phones_tail", "person_phones", "tail, person_id", ""),
        ("variants", "name_variants", "variant, key", ""),
        ("name_parts", "name_parts", f"key, given_key, part, person_id, scorable, {payload}", ""),
        ("name_parts_given", "name_parts", "given_key", " WHERE part = 1"),
        ("documents_person", "documents", "person_id", ""),
    ):
        db.execute(f"CREATE INDEX idx_{name}_g{g} ON {table}({columns}){where}")
    if held_a_register:
        db.execute("DELETE FROM meta WHERE key IN ('register_version', 'register_generated_at')")
        db.execute("UPDATE meta SET value = '0' WHERE key = 'sync.register_seq'")



@migrations
def m009_callback_countersign(db):
    # policy v2: an answered callback confirms possession only when a
    # supervisor other than the operator who placed it countersigns it
    db.execute("ALTER TABLE callbacks ADD COLUMN countersigned_by TEXT")
    db.execute("ALTER TABLE callbacks ADD COLUMN countersigned_at TEXT")


@migrations
def m010_person_locks(db):
    # the hub's lock state of each person (issue 13): the feed carries when a
    # person is locked, not the attempts of other workstations
    db.execute("CREATE TABLE person_locks (person_id TEXT PRIMARY KEY, locked_from TEXT NOT NULL, "
               "locked_until TEXT NOT NULL)")


def ledger(db) -> CacheLedger:
    return CacheLedger(db, migrations.name)


def pending(db) -> list[str]:
    """The schema's steps this cache has not had (a read: no lock taken)."""
    return migrations.pending(ledger(db).applied())


def migrate(db) -> list[str]:
    """Bring the cache's schema up to date; the names of the steps run."""
    return migrations.apply(ledger(db))


@migrations
def m011_password_change(db):
    # an account whose password an admin reset must choose a new one at its next sign-in
    db.execute("ALTER TABLE operators ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0")


@migrations
def m012_call_line(db):
    # issue 16: what the telephone line says of a call (the PBX's call id, its
    # queue and wait, the talk time, the hangup cause and who hung up), and the
    # version of the supervisors' live message the operator saw
    for column in ("pbx_call_id TEXT", "queue TEXT", "wait_seconds REAL", "talk_seconds REAL", "hangup_cause TEXT",
                   "hung_up_by TEXT", "message_version INTEGER"):
        db.execute(f"ALTER TABLE calls ADD COLUMN {column}")
    db.execute("CREATE INDEX idx_calls_pbx_call ON calls(pbx_call_id) WHERE pbx_call_id IS NOT NULL")


def _m013_hash(codes: list[str]) -> list[str]:
    """argon2id of each code as policy v2 compares it (spaces and hyphens
    removed, upper case), m=4096 KiB t=1 p=1, a 16-byte salt of its own."""
    import os

    from argon2.low_level import Type, hash_secret

    return [hash_secret("".join(c for c in code if not c.isspace() and c != "-").upper().encode("utf-8"),
                        os.urandom(16), 1, 4096, 1, 32, Type.ID).decode("ascii") for code in codes]


@migrations
def m013_register_codes_hashed(db):
    # Policy v2 and issue 14: a workstation keeps each notification code only
    # as its argon2id hash, and no street address or postcode (no rule or
    # screen uses them). The persons table is made anew in the importer's
    # shape of this day, the codes already held hashed on every core; the
    # pages they were on are zeroed as they are freed.
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    secure_delete = db.execute("PRAGMA secure_delete").fetchone()[0]
    db.execute("PRAGMA secure_delete = ON")
    db.execute("ALTER TABLE persons RENAME TO m013_persons")
    db.execute(
        """CREATE TABLE persons (
            person_id TEXT PRIMARY KEY,
            nhi TEXT,
            family_name TEXT NOT NULL,
            given_names TEXT NOT NULL,
            preferred_name TEXT,
            date_of_birth TEXT,
            phones TEXT,
            email TEXT,
            suburb TEXT,
            city TEXT,
            region TEXT,
            practice_code TEXT,
            notification_code_hash TEXT,
            family_key TEXT NOT NULL,
            given_key TEXT NOT NULL,
            email_key TEXT,
            given_len INTEGER
        )"""
    )
    old = [row[1] for row in db.execute("PRAGMA table_info(m013_persons)")]
    new = [row[1] for row in db.execute("PRAGMA table_info(persons)")]
    kept = ", ".join(column for column in new if column in old)
    db.execute(f"INSERT INTO persons ({kept}) SELECT {kept} FROM m013_persons ORDER BY rowid")
    held = db.execute("SELECT person_id, notification_code FROM m013_persons "
                      "WHERE notification_code IS NOT NULL AND notification_code != ''").fetchall() \
        if "notification_code" in old else []
    if held:
        chunks = [[code for _, code in held[i:i + 256]] for i in range(0, len(held), 256)]
        if len(held) < 64:
            hashed = [_m013_hash(chunk) for chunk in chunks]
        else:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            with ProcessPoolExecutor(os.cpu_count(), mp_context=multiprocessing.get_context(method)) as pool:
                hashed = list(pool.map(_m013_hash, chunks))
        db.conn.executemany("UPDATE persons SET notification_code_hash = ? WHERE person_id = ?",
                       [(code_hash, person_id) for (person_id, _), code_hash
                        in zip(held, (h for chunk in hashed for h in chunk))])
    db.execute("DROP TABLE m013_persons")
    g = db.execute("SELECT value FROM meta WHERE key = 'register_generation'").fetchone()[0]
    payload = "given_len, date_of_birth, family_name, given_names, preferred_name, suburb, city"
    for name, columns, where in (
        ("persons_dob", "date_of_birth", ""),
        ("persons_nhi", "nhi", " WHERE nhi IS NOT NULL"),
        ("persons_email", "email_key", " WHERE email_key IS NOT NULL"),
        ("persons_name", f"family_key, given_key, person_id, {payload}", ""),
        ("persons_given", "given_key", ""),
    ):
        db.execute(f"CREATE INDEX idx_{name}_g{g} ON persons({columns}){where}")
    db.execute(f"PRAGMA secure_delete = {int(secure_delete)}")


@migrations
def m014_callback_attestations(db):
    # attested callbacks (policy v2, "Callback route"): the PBX's answered
    # outbound calls the hub matched to this workstation's dial intents
    db.execute("CREATE TABLE callback_attestations (pbx TEXT NOT NULL, call_id TEXT NOT NULL, "
               "callback_id TEXT NOT NULL, operator TEXT NOT NULL, answered_at TEXT NOT NULL, "
               "PRIMARY KEY (pbx, call_id))")
    db.execute("CREATE INDEX idx_callback_attestations_callback ON callback_attestations(callback_id)")


@migrations
def m015_register_in_its_own_file(db):
    # The register leaves the cache file for one of its own beside it
    # (console.store.connection), which every import builds without the
    # cache's writer lock. A cache holding no register drops its empty
    # tables here; one holding a register has them moved out by open_cache
    # after the migrations (console.store.register.swap.move_register_out:
    # it attaches a file, which a transaction cannot), and they stay the
    # register until then.
    tables = ("persons", "person_phones", "name_variants", "name_near", "name_parts", "documents", "practices")
    present = [t for t in tables if db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [t]).fetchone()]
    if any(db.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone() for t in present):
        return
    for table in present:
        db.execute(f"DROP TABLE {table}")
