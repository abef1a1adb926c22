"""The cache's schema, as named migrations (sqlite-utils' `Migrations`).

A migration is never edited once shipped: a change is a new `mNNN_…` function.
"""

import secrets
import socket

from sqlite_utils.migrations import Migrations

from console.store.register.tables import create_register_tables

migrations = Migrations("helpline-console")


@migrations()
def m001_register(db):
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    # one id per workstation cache, recorded on every call and audit entry
    host = "".join(c for c in socket.gethostname() if c.isalnum() or c in "-_")[:32] or "workstation"
    db.execute("INSERT INTO meta VALUES ('workstation', ?)", [f"{host}-{secrets.token_hex(3)}"])
    db.execute("INSERT INTO meta VALUES ('register_generation', '0')")
    create_register_tables(db, prefix="", generation=0)


@migrations()
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


@migrations()
def m003_calls_and_outbox(db):
    db.execute(
        """CREATE TABLE calls (
            call_id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            started_utc TEXT NOT NULL,
            ended_at TEXT NOT NULL,
            handle_seconds REAL NOT NULL,
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
            record TEXT NOT NULL
        )"""
    )
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


@migrations()
def m004_operators(db):
    db.execute(
        """CREATE TABLE operators (
            operator_id TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'admin')),
            password_hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            created_by TEXT
        )"""
    )


@migrations()
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


@migrations()
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


@migrations()
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
    the calls stored before m007, which tallied only cli.md's dimensions."""
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


def migrate(db) -> None:
    migrations.apply(db)
