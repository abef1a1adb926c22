"""The hub's database: an embedded SQLite file, or PostgreSQL for bigger helplines.

Both backends run the same query text, written with `?` placeholders (turned
into psycopg's `%s` for PostgreSQL). Only the table definitions differ, by a
handful of column types (`TYPES`). Everything the hub knows lives in the
database, tokens and sign-in failures included, so several hub processes can
serve one PostgreSQL database behind a load balancer.

Writes are serialised on both backends. SQLite has one writer by design
(`BEGIN IMMEDIATE` takes it up front); on PostgreSQL every write transaction
first takes one advisory lock (`WRITE_LOCK`), held until COMMIT. That lock is
what keeps the change feed gap-free: a transaction that draws a change's seq
from the sequence commits before any transaction that draws a later seq can
even start writing, so a workstation that has read up to seq N never misses a
row committed later with a smaller seq. It also makes the "insert unless
already there" checks of a push race-free, and leaves no lock order to
deadlock on. Reads take no lock.

The SQLite file is `DIR/hub.db`, created owner-only (0600) in a folder that is
owner-only (0700), in WAL mode with synchronous=FULL: an acknowledged push
survives a power cut. It is a SQLCipher database (as the workstation's cache,
console/store/connection.py) keyed with a key derived from the hub's key file
(console/hub/crypto.py): every page of it, of its WAL and of its backups made
with `sqlcipher_export` is encrypted, and the standard `sqlite3` module cannot
read it. A hub.db written unencrypted by an earlier hub is encrypted in place
the first time it is opened with the key (a copy, checked, then swapped in).
"""

import hashlib
import logging
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from console.core.migrations import Migrations
from console.core.transactions import transaction
from console.hub.crypto import HubKey, load_key
from console.hub import sealing
from console.hub.sealing import SEALED, Sealer, Unsealable
from console.store.connection import PLAIN_HEADER, Connection, connect_file
from console.store.schema import CALLS_M003, OPERATORS_M004

log = logging.getLogger("console.hub.storage")

DATABASE_FILE = "hub.db"
WRITE_LOCK = 0x48_45_4C_50  # "HELP": the one advisory lock every PostgreSQL write takes

# The column types that differ between the backends. Every other word of the
# table definitions is shared. Text that is compared by range or sorted (UTC
# times) is collated byte-wise on PostgreSQL, as SQLite always does, so the
# same comparison gives the same answer whatever the database's locale.
# Shipped migrations are written with these words, so they are frozen with
# them: a new type is a new word.
TYPES = {
    "sqlite": {
        "serial": "INTEGER PRIMARY KEY AUTOINCREMENT",
        "bytes": "BLOB",
        "real": "REAL",
        "sorted_text": "TEXT",
    },
    "postgresql": {
        "serial": "BIGSERIAL PRIMARY KEY",
        "bytes": "BYTEA",
        "real": "DOUBLE PRECISION",
        "sorted_text": 'TEXT COLLATE "C"',
    },
}


class DatabaseUnavailable(Exception):
    """The database cannot be reached or is busy beyond the wait; the message
    is a sentence for the person running the hub. Requests answer 503."""


# schema, as named migrations (console.core.migrations): never edit one once
# shipped; add the next

migrations = Migrations("hub")


@migrations
def m001_initial(tx) -> None:
    types = TYPES[tx.backend]
    statements = [
        OPERATORS_M004,  # the workstation cache's (console/store/schema.py m004)
        """CREATE TABLE tokens (
            token_sha256 TEXT PRIMARY KEY,
            operator_id TEXT NOT NULL,
            workstation TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at {sorted_text} NOT NULL
        )""",
        "CREATE INDEX idx_tokens_operator ON tokens(operator_id)",
        "CREATE INDEX idx_tokens_expires ON tokens(expires_at)",
        """CREATE TABLE sign_in_failures (
            failure_id {serial},
            address TEXT NOT NULL,
            operator_id TEXT NOT NULL,
            at {real} NOT NULL
        )""",
        "CREATE INDEX idx_sign_in_failures_pair ON sign_in_failures(address, operator_id, at)",
        "CREATE INDEX idx_sign_in_failures_at ON sign_in_failures(at)",
        # the workstation cache's calls table (console/store/schema.py m003), plus the body's digest
        CALLS_M003.replace("{extra}", ",\n            body_sha256 TEXT NOT NULL"),
        "CREATE INDEX idx_calls_started ON calls(started_utc)",
        "CREATE INDEX idx_calls_person ON calls(person_id)",
        # the newest revision of each callback; its columns are copied out of the body for listing
        """CREATE TABLE callbacks (
            callback_id TEXT PRIMARY KEY,
            revision BIGINT NOT NULL,
            workstation TEXT NOT NULL,
            status TEXT NOT NULL,
            due_at {sorted_text} NOT NULL,
            assigned_to TEXT,
            body TEXT NOT NULL,
            received_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_callbacks_due ON callbacks(status, due_at)",
        """CREATE TABLE attempts (
            attempt_id TEXT PRIMARY KEY,
            person_id TEXT NOT NULL,
            at {sorted_text} NOT NULL,
            operator TEXT,
            workstation TEXT NOT NULL,
            cleared_by TEXT,
            body TEXT NOT NULL,
            received_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_attempts_person ON attempts(person_id, at)",
        "CREATE INDEX idx_attempts_at ON attempts(at)",
        """CREATE TABLE unlocks (
            unlock_id TEXT PRIMARY KEY,
            person_id TEXT NOT NULL,
            at {sorted_text} NOT NULL,
            operator TEXT,
            workstation TEXT NOT NULL,
            reason TEXT,
            body TEXT NOT NULL,
            received_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_unlocks_person ON unlocks(person_id, at)",
        """CREATE TABLE audit (
            workstation TEXT NOT NULL,
            seq BIGINT NOT NULL,
            entry_id TEXT NOT NULL UNIQUE,
            at {sorted_text} NOT NULL,
            operator TEXT,
            kind TEXT NOT NULL,
            person_id TEXT,
            detail TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            body TEXT NOT NULL,
            received_at TEXT NOT NULL,
            PRIMARY KEY (workstation, seq)
        )""",
        "CREATE INDEX idx_audit_at ON audit(at)",
        "CREATE INDEX idx_audit_person ON audit(person_id)",
        "CREATE INDEX idx_audit_operator ON audit(operator)",
        """CREATE TABLE audit_heads (
            workstation TEXT PRIMARY KEY,
            seq BIGINT NOT NULL,
            hash TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE audit_alerts (
            alert_id {serial},
            workstation TEXT NOT NULL,
            at {sorted_text} NOT NULL,
            message TEXT NOT NULL,
            UNIQUE (workstation, message)
        )""",
        """CREATE TABLE content (
            version {serial},
            sha256 TEXT NOT NULL,
            body TEXT NOT NULL,
            published_at TEXT NOT NULL
        )""",
        """CREATE TABLE registers (
            seq {serial},
            register_version TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size BIGINT NOT NULL,
            digest TEXT NOT NULL,
            persons BIGINT NOT NULL,
            documents BIGINT NOT NULL,
            imported_at TEXT NOT NULL,
            snapshot {bytes} NOT NULL
        )""",
        """CREATE TABLE changes (
            seq {serial},
            kind TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            body TEXT NOT NULL,
            at TEXT NOT NULL
        )""",
    ]
    for statement in statements:
        tx.execute(statement.format(**types))
    if tx.backend == "postgresql":
        # a zip does not compress: keep it out of line and uncompressed, so a
        # chunk is read with substr() without detoasting the whole snapshot
        tx.execute("ALTER TABLE registers ALTER COLUMN snapshot SET STORAGE EXTERNAL")


@migrations
def m002_escalation_acks(tx) -> None:
    # a supervisor taking up an escalated call, on any workstation: the hub's
    # dashboard counts the escalations nobody has taken up
    tx.execute(
        """CREATE TABLE escalation_acks (
            call_id TEXT PRIMARY KEY,
            at TEXT NOT NULL,
            operator TEXT,
            workstation TEXT NOT NULL,
            body TEXT NOT NULL,
            received_at TEXT NOT NULL
        )""")


@migrations
def m003_register_deltas(tx) -> None:
    # a register's changes since the one before it, so a workstation holding
    # that one fetches only what changed (console.hub.registers)
    types = TYPES[tx.backend]
    for column in ("delta_from INTEGER", "delta_sha256 TEXT", "delta_size INTEGER", f"delta {types['bytes']}"):
        tx.execute(f"ALTER TABLE registers ADD COLUMN {column}")


@migrations
def m004_password_change(tx) -> None:
    # an account whose password an admin reset must choose a new one at its next sign-in
    tx.execute("ALTER TABLE operators ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0")


@migrations
def m005_audit_anchors(tx) -> None:
    # the audit chains' heads, signed by the hub (console/hub/anchors.py)
    tx.execute("""CREATE TABLE audit_anchors (
            anchor_id {serial},
            at {sorted_text} NOT NULL,
            body TEXT NOT NULL,
            signature TEXT NOT NULL
        )""".format(**TYPES[tx.backend]))


@migrations
def m006_push_authorship(tx) -> None:
    # policy v2's "Who may attest what" (console.hub.push): items refused, kept
    # for supervisors; pushes counted per workstation and minute for the rate
    # limit; and who entered each call (a supervisor entering paper calls)
    types = TYPES[tx.backend]
    tx.execute(
        f"""CREATE TABLE refused_pushes (
            refusal_id {types['serial']},
            workstation TEXT NOT NULL,
            operator_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            item_id TEXT NOT NULL,
            message TEXT NOT NULL,
            at {types['sorted_text']} NOT NULL
        )""")
    tx.execute("CREATE INDEX idx_refused_pushes_at ON refused_pushes(at)")
    tx.execute(
        """CREATE TABLE push_rate (
            workstation TEXT PRIMARY KEY,
            minute TEXT NOT NULL,
            pushes BIGINT NOT NULL
        )""")
    tx.execute("ALTER TABLE calls ADD COLUMN entered_by TEXT")
    # the last lock state fed of each person (console.hub.changes.feed_lock_state)
    tx.execute("CREATE INDEX idx_changes_entity ON changes(kind, entity_id, seq)")


@migrations
def m007_enrolled_workstations(tx) -> None:
    # workstations an administrator enrolled (console.hub.workstations): the
    # hub names each one, keeps its public key, and binds every token to it;
    # the caches a workstation has synced are claimed by it; sign-ins and the
    # hub's own administration are audited; register downloads are recorded
    types = TYPES[tx.backend]
    for statement in (
        """CREATE TABLE workstations (
            workstation_id TEXT PRIMARY KEY,
            public_key TEXT,
            code_sha256 TEXT,
            code_expires_at TEXT,
            enrolled_at TEXT,
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL,
            revoked_at TEXT
        )""",
        """CREATE TABLE workstation_caches (
            cache TEXT PRIMARY KEY,
            workstation_id TEXT NOT NULL,
            claimed_at TEXT NOT NULL
        )""",
        """CREATE TABLE sign_in_challenges (
            challenge TEXT PRIMARY KEY,
            workstation_id TEXT NOT NULL,
            at {real} NOT NULL
        )""",
        "ALTER TABLE tokens ADD COLUMN device TEXT",
        "DELETE FROM tokens",  # every token from before enrolment was bound to no device
        "CREATE INDEX idx_sign_in_failures_operator ON sign_in_failures(operator_id, at)",
        """CREATE TABLE hub_audit (
            entry_id {serial},
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            operator_id TEXT,
            workstation TEXT,
            detail TEXT
        )""",
        """CREATE TABLE register_downloads (
            download_id {serial},
            at TEXT NOT NULL,
            day TEXT NOT NULL,
            operator_id TEXT NOT NULL,
            workstation_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            what TEXT NOT NULL,
            start_offset INTEGER NOT NULL,
            bytes INTEGER NOT NULL
        )""",
        "CREATE INDEX idx_register_downloads_day ON register_downloads(workstation_id, day, seq, what)",
        # one more full register today for a workstation, granted by an administrator
        """CREATE TABLE download_allowances (
            allowance_id {serial},
            workstation_id TEXT NOT NULL,
            day TEXT NOT NULL,
            granted_by TEXT NOT NULL,
            granted_at TEXT NOT NULL
        )""",
        # registers whose snapshot the hub no longer keeps (console.hub.downloads.retire_snapshots)
        """CREATE TABLE retired_snapshots (
            seq INTEGER PRIMARY KEY,
            retired_at TEXT NOT NULL,
            reason TEXT NOT NULL
        )""",
    ):
        tx.execute(statement.format(**types))


@migrations
def m008_telephony(tx) -> None:
    # the telephone line (console/hub/telephony.py): PBXs and their hashed
    # tokens, every CTI event once per (PBX, callId, event), each call's row for
    # the queue's figures, operators' extensions, and blocked numbers
    types = TYPES[tx.backend]
    statements = [
        """CREATE TABLE pbxs (
            name TEXT PRIMARY KEY,
            token_sha256 TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        )""",
        """CREATE TABLE cti_events (
            event_id {serial},
            pbx TEXT NOT NULL,
            call_id TEXT NOT NULL,
            event TEXT NOT NULL,
            at {sorted_text} NOT NULL,
            received_at {sorted_text} NOT NULL,
            body TEXT NOT NULL,
            UNIQUE (pbx, call_id, event)
        )""",
        """CREATE TABLE cti_calls (
            pbx TEXT NOT NULL,
            call_id TEXT NOT NULL,
            direction TEXT NOT NULL,
            number TEXT NOT NULL,
            number_key TEXT,
            queue TEXT NOT NULL,
            users TEXT NOT NULL,
            new_at {sorted_text},
            answer_at {sorted_text},
            hangup_at {sorted_text},
            cause TEXT,
            day TEXT,
            hour INTEGER,
            outcome TEXT NOT NULL,
            wait_seconds INTEGER NOT NULL,
            handle_seconds {real},
            PRIMARY KEY (pbx, call_id)
        )""",
        # covering the queue's tallies (console.core.telephony.TALLY_SQL)
        "CREATE INDEX idx_cti_calls_day ON cti_calls(day, direction, queue, hour, outcome, wait_seconds, "
        "handle_seconds)",
        "CREATE INDEX idx_cti_calls_number ON cti_calls(number_key, new_at)",
        "CREATE INDEX idx_cti_calls_open ON cti_calls(answer_at, hangup_at)",
        """CREATE TABLE operator_extensions (
            extension TEXT PRIMARY KEY,
            operator_id TEXT NOT NULL,
            mapped_at TEXT NOT NULL
        )""",
        """CREATE TABLE blocked_numbers (
            number_key TEXT PRIMARY KEY,
            blocked_at TEXT NOT NULL,
            blocked_by TEXT NOT NULL
        )""",
    ]
    for statement in statements:
        tx.execute(statement.format(**types))


@migrations
def m009_call_line_and_live_message(tx) -> None:
    # issue 16: the line's facts of each call (as the workstation's m012), and
    # the supervisors' versioned "what we know now" message (console.hub.live)
    types = TYPES[tx.backend]
    for column in ("pbx_call_id TEXT", "queue TEXT", f"wait_seconds {types['real']}",
                   f"talk_seconds {types['real']}", "hangup_cause TEXT", "hung_up_by TEXT", "message_version BIGINT"):
        tx.execute(f"ALTER TABLE calls ADD COLUMN {column}")
    tx.execute("CREATE INDEX idx_calls_pbx_call ON calls(pbx_call_id)")
    tx.execute(
        f"""CREATE TABLE live_messages (
            version {types['serial']},
            text TEXT NOT NULL,
            author TEXT NOT NULL,
            published_at {types['sorted_text']} NOT NULL
        )""")


@migrations
def m010_register_code_hashes(tx) -> None:
    # issue 14: the hub keeps notification codes only as argon2id hashes (in
    # the register's snapshot), and per person a keyed digest of (person,
    # code) with its hash, so that a new register whose code for a person did
    # not change keeps the hash instead of hashing again (console.hub.registers).
    # source_sha256: of the register as given, before its codes were hashed.
    tx.execute(
        """CREATE TABLE register_codes (
            person_id TEXT PRIMARY KEY,
            code_mac TEXT NOT NULL,
            code_hash TEXT NOT NULL
        )""")
    tx.execute("ALTER TABLE registers ADD COLUMN source_sha256 TEXT")


@migrations
def m011_register_snapshots_hashed(tx) -> None:
    # issue 14: the registers an earlier hub kept with codes in clear keep
    # their hashes instead (the same code of the same person, one hash), with
    # their digest anew; their deltas held codes too and are dropped (a
    # workstation then fetches the whole snapshot). Calls the living code that
    # hashes an import's codes: the hashing is the same rule.
    from console.core.contact import notification_key
    from console.core.register_delta import register_digest
    from console.core.register_format import check_register
    from console.hub.registers import hashed_snapshot

    if tx.backend == "sqlite":
        tx.execute("PRAGMA secure_delete = ON")  # the pages the codes were on are zeroed as they are freed
    hashes: dict[tuple[str, str], str] = {}
    rewritten = 0
    for (seq,) in tx.all("SELECT seq FROM registers ORDER BY seq"):
        given = bytes(tx.value("SELECT snapshot FROM registers WHERE seq = ?", [seq]))
        snapshot, hashed = hashed_snapshot(given, lambda person_id, code: hashes.get(
            (person_id, notification_key(code))))
        hashes.update(((person_id, notification_key(code)), code_hash) for person_id, code, code_hash in hashed)
        if not hashed:
            continue
        checked = check_register(snapshot)
        tx.execute("UPDATE registers SET snapshot = ?, sha256 = ?, size = ?, digest = ?, source_sha256 = sha256, "
                   "delta_from = NULL, delta_sha256 = NULL, delta_size = NULL, delta = NULL WHERE seq = ?",
                   [snapshot, hashlib.sha256(snapshot).hexdigest(), len(snapshot),
                    register_digest({table: rows.values() for table, rows in checked.rows.items()}), seq])
        rewritten += 1
    if rewritten:
        log.info("hub database: the codes of %s registers replaced by their hashes", rewritten)


@migrations
def m012_queue_tallies_and_saved_calls(tx) -> None:
    # issue 16: each PBX call's handle time runs to the save of the call
    # record linked to it (calls.pbx_call_id), kept as cti_calls.saved_at; the
    # queue's sums kept as the events and calls arrive, in their transaction
    # (console.hub.telephony): per day, queue, hour and outcome, and the answered
    # calls by wait, in spans of 2**level seconds, for the service level at any
    # target; and the latest call each extension answered. Filled here from the
    # calls already held, with the living code that keeps them: the same rule.
    from console.hub.telephony import rebuild_tallies

    types = TYPES[tx.backend]
    tx.execute(f"ALTER TABLE cti_calls ADD COLUMN saved_at {types['sorted_text']}")
    for statement in (
        """CREATE TABLE cti_tallies (
            day TEXT NOT NULL,
            queue TEXT NOT NULL,
            hour INTEGER NOT NULL,
            outcome TEXT NOT NULL,
            calls BIGINT NOT NULL,
            short BIGINT NOT NULL,
            wait_seconds {real} NOT NULL,
            handle_seconds {real} NOT NULL,
            handled BIGINT NOT NULL,
            handled_to_hangup BIGINT NOT NULL,
            PRIMARY KEY (day, queue, hour, outcome)
        )""",
        """CREATE TABLE cti_answer_waits (
            day TEXT NOT NULL,
            span INTEGER NOT NULL,
            queue TEXT NOT NULL,
            hour INTEGER NOT NULL,
            calls BIGINT NOT NULL,
            PRIMARY KEY (day, span, queue, hour)
        )""",
        # the latest call each extension or agent name answered: who is on a call or in wrap-up
        """CREATE TABLE cti_agents (
            extension TEXT PRIMARY KEY,
            pbx TEXT NOT NULL,
            call_id TEXT NOT NULL,
            answer_at {sorted_text} NOT NULL
        )""",
        "CREATE INDEX idx_cti_calls_call_id ON cti_calls(call_id)",
        "CREATE INDEX idx_cti_calls_outcome ON cti_calls(outcome, day)",
    ):
        tx.execute(statement.format(**types))
    rebuild_tallies(tx)


@migrations
def m013_register_persons(tx) -> None:
    # issue 13: every person of every register the hub has held, kept when its
    # snapshot is deleted, so a pushed record naming a person is judged
    # against the registers workstations got (console.hub.push); filled from
    # the registers held now (a retired snapshot's bytes are gone: its persons
    # count only as far as a later register still has them)
    from console.core.register_format import check_register
    from console.hub.registers import keep_persons

    tx.execute("CREATE TABLE register_persons (person_id TEXT PRIMARY KEY, first_seq BIGINT NOT NULL)")
    for (seq,) in tx.all("SELECT seq FROM registers ORDER BY seq"):
        snapshot = bytes(tx.value("SELECT snapshot FROM registers WHERE seq = ?", [seq]))
        if snapshot:
            keep_persons(tx, seq, check_register(snapshot).rows["persons"])


@migrations
def m014_callback_attestations(tx) -> None:
    # attested callbacks (console/hub/attestations.py): operators' dial
    # intents, and the PBX's answered outbound calls matched to them
    types = TYPES[tx.backend]
    statements = [
        """CREATE TABLE dial_intents (
            intent_id TEXT PRIMARY KEY,
            callback_id TEXT NOT NULL,
            operator TEXT NOT NULL,
            workstation TEXT NOT NULL,
            at {sorted_text} NOT NULL,
            number_digest TEXT NOT NULL,
            body TEXT NOT NULL,
            received_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_dial_intents_operator ON dial_intents(operator, at)",
        """CREATE TABLE callback_attestations (
            pbx TEXT NOT NULL,
            call_id TEXT NOT NULL,
            callback_id TEXT NOT NULL,
            intent_id TEXT NOT NULL,
            operator TEXT NOT NULL,
            answered_at {sorted_text} NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (pbx, call_id)
        )""",
        "CREATE INDEX idx_callback_attestations_callback ON callback_attestations(callback_id)",
    ]
    for statement in statements:
        tx.execute(statement.format(**types))


@migrations
def m015_sealed_columns(tx) -> None:
    # personal data sealed by the hub itself (console/hub/sealing.py), so that
    # the database server, its disk and a pg_dump hold only ciphertext of it:
    # every row written before is sealed in place (the columns as of this
    # migration, frozen in sealing.SEALED_BY_M015). Runs after m011, so the
    # register snapshots it seals are the ones with hashed codes.
    serial = {"changes": "seq", "refused_pushes": "refusal_id", "cti_events": "event_id"}
    for table, (ids, columns) in sealing.SEALED_BY_M015.items():
        if table == "registers":
            continue  # blobs, below
        keys = (serial[table],) if table in serial else ids
        for row in tx.all(f"SELECT {', '.join(keys + ids + columns)} FROM {table}"):
            key, rid, clear = row[:len(keys)], row[len(keys):len(keys) + len(ids)], row[len(keys) + len(ids):]
            row_id = sealing.row_id(*rid)
            values = {c: tx.seal(table, row_id, c, v) for c, v in zip(columns, clear)}
            if table == "calls":  # the body's digest, keyed: no longer a check of a guessed body
                values["body_sha256"] = tx.sealer.digest(clear[0])
            tx.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in values)} WHERE "
                       + " AND ".join(f"{k} = ?" for k in keys), [*values.values(), *key])
    # numbers compared in SQL: their keyed digest instead of their E.164 form
    for (number_key,) in tx.all("SELECT DISTINCT number_key FROM cti_calls WHERE number_key IS NOT NULL"):
        tx.execute("UPDATE cti_calls SET number_key = ? WHERE number_key = ?", [tx.sealer.digest(number_key),
                                                                              number_key])
    for (number_key,) in tx.all("SELECT number_key FROM blocked_numbers"):
        tx.execute("UPDATE blocked_numbers SET number_key = ? WHERE number_key = ?", [tx.sealer.digest(number_key),
                                                                                   number_key])
    for (seq,) in tx.all("SELECT seq FROM registers ORDER BY seq"):
        for column in ("snapshot", "delta"):
            blob = tx.value(f"SELECT {column} FROM registers WHERE seq = ?", [seq])
            if blob is not None:
                tx.execute(f"UPDATE registers SET {column} = ? WHERE seq = ?",
                           [tx.sealer.seal_blob("registers", str(seq), column, bytes(blob)), seq])


BLOB_COLUMNS = ("snapshot", "delta")
MIGRATIONS_TABLE = "hub_migrations"
# Before the migrations were named, hub_meta's schema_version counted how
# many had run, in this order (frozen: these are the steps it counted).
LEGACY_SCHEMA_VERSIONS = ("m001_initial", "m002_escalation_acks", "m003_register_deltas")


class HubLedger:
    """The migrations a hub database has had: one row each in hub_migrations,
    written in the write transaction (writer lock included) that ran it."""

    def __init__(self, database):
        self.database = database

    def transaction(self):
        return self.database.write()

    def applied(self, tx) -> set[str]:
        return {name for (name,) in tx.all(f"SELECT name FROM {MIGRATIONS_TABLE}")}

    def record(self, tx, name: str) -> None:
        tx.execute(f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)",
                   [name, datetime.now(timezone.utc).isoformat()])


def _table_exists(tx, name: str) -> bool:
    if tx.backend == "postgresql":
        return tx.value("SELECT to_regclass(?) IS NOT NULL", [name])
    return tx.one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]) is not None


def _name_schema_version(tx, ledger: HubLedger) -> None:
    """A database still counting its migrations in hub_meta's schema_version
    gets their names recorded instead, once."""
    if not _table_exists(tx, "hub_meta"):
        return
    row = tx.one("SELECT value FROM hub_meta WHERE key = 'schema_version'")
    version = int(row[0]) if row else 0
    if version > len(LEGACY_SCHEMA_VERSIONS):
        raise DatabaseUnavailable(
            f"The hub database is at schema version {version}, newer than this hub understands "
            f"({len(LEGACY_SCHEMA_VERSIONS)}): run the newer hub, or point this one at another database.")
    recorded = ledger.applied(tx)
    for name in LEGACY_SCHEMA_VERSIONS[:version]:
        if name not in recorded:
            ledger.record(tx, name)
    tx.execute("DROP TABLE hub_meta")


def migrate(database) -> list[str]:
    """Bring the hub database's schema up to date, each migration in a write
    transaction of its own; the names of those run. A database a newer hub
    migrated is refused with a sentence."""
    ledger = HubLedger(database)
    with database.write() as tx:
        tx.execute(f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        _name_schema_version(tx, ledger)
        applied = ledger.applied(tx)
    unknown = migrations.unknown(applied)
    if unknown:
        raise DatabaseUnavailable(
            f"The hub database was brought up to date by a newer hub ({', '.join(unknown)}), newer than this hub "
            "understands: run the newer hub, or point this one at another database.")
    ran = migrations.apply(ledger) if migrations.pending(applied) else []
    for name in ran:
        log.info("hub database migrated: %s", name)
    return ran


# transactions


@lru_cache(maxsize=512)
def _psycopg_sql(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class Transaction:
    """One open transaction. SQL is written with `?` placeholders for either backend."""

    def __init__(self, conn, backend: str, sealer: Sealer | None = None):
        self.conn = conn
        self.backend = backend
        self.sealer = sealer

    def seal(self, table: str, row: str, column: str, text: str | None) -> str | None:
        """`text` sealed for a SEALED column (console/hub/sealing.py)."""
        assert column in SEALED[table][1], f"{table}.{column} is not a sealed column"
        return self.sealer.seal(table, str(row), column, text)

    def open(self, table: str, row: str, column: str, value: str | None) -> str | None:
        """The clear text of a SEALED column's value; DatabaseUnavailable if it does not open."""
        try:
            return self.sealer.open(table, str(row), column, value)
        except Unsealable as exc:
            raise DatabaseUnavailable(f"The hub database holds a record that does not open ({exc}): it was "
                                      "altered, or written with another key file.") from None

    def execute(self, sql: str, params=()):
        if self.backend == "postgresql":
            return self.conn.execute(_psycopg_sql(sql), list(params))
        return self.conn.execute(sql, list(params))

    def one(self, sql: str, params=()):
        return self.execute(sql, params).fetchone()

    def all(self, sql: str, params=()) -> list:
        return self.execute(sql, params).fetchall()

    def value(self, sql: str, params=(), default=None):
        row = self.one(sql, params)
        return default if row is None or row[0] is None else row[0]


def _connect_sqlite(path, key: bytes | None) -> Connection:
    """A SQLCipher connection to `path` keyed with the raw `key` (None: an unencrypted
    file), set up as the workstation's cache connections are (temporary data in memory)."""
    return connect_file(path, key)


def _encrypt_plain(path: Path, key: bytes) -> None:
    """Encrypt the unencrypted hub database at `path` in place: an encrypted copy is
    written beside it with sqlcipher_export, its rows counted against the original's,
    and only then renamed over it."""
    staging = path.with_name(path.name + ".encrypting")
    staging.unlink(missing_ok=True)
    fd = os.open(staging, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    plain = _connect_sqlite(path, None)
    try:
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        tables = [name for (name,) in plain.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        counts = {t: plain.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        plain.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key.hex()}'\"", [str(staging)])
        plain.execute("SELECT sqlcipher_export('encrypted')")
        plain.execute("DETACH DATABASE encrypted")
    finally:
        plain.close()
    check = _connect_sqlite(staging, key)
    try:
        copied = {t: check.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in counts}
    finally:
        check.close()
    if copied != counts:
        staging.unlink(missing_ok=True)
        raise DatabaseUnavailable(f"{path} could not be encrypted (the copy differs); it was left as it was.")
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    os.replace(staging, path)
    log.info("hub database encrypted in place: %s", path)


def _open_blob(sealer: Sealer, seq: int, column: str, stored) -> bytes:
    try:
        return sealer.open_blob("registers", str(seq), column, stored) or b""
    except Unsealable as exc:
        raise DatabaseUnavailable(f"Register {seq}'s {column} does not open ({exc}).") from None


class SQLiteDatabase:
    """The embedded hub database: `DIR/hub.db`, encrypted with SQLCipher, one connection per thread."""

    backend = "sqlite"

    def __init__(self, folder, key: HubKey):
        self.folder = Path(folder)
        self.path = self.folder / DATABASE_FILE
        self.key = key
        self.sealer = Sealer.for_hub(key)
        self._local = threading.local()
        self._opened: list[Connection] = []
        self._opened_lock = threading.Lock()
        self._blob: tuple = (None, b"")  # ((seq, column), bytes) of the snapshot last read in slices
        self._blob_lock = threading.Lock()
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
            with os.fdopen(fd, "rb") as f:
                plain = f.read(len(PLAIN_HEADER)) == PLAIN_HEADER
        except OSError as exc:
            raise DatabaseUnavailable(f"The hub's data folder {self.folder} cannot be used ({exc.strerror}).") from None
        if plain:
            _encrypt_plain(self.path, key.database_key)
        try:
            conn = self._connection()
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError:
            self.close()
            raise DatabaseUnavailable(f"{self.path} does not open with this key: it is not a hub database, or it "
                                      "was written with another key file.") from None
        try:
            if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                raise DatabaseUnavailable(f"{self.path} cannot be put in WAL mode; is the folder on a network share?")
        except sqlite3.DatabaseError as exc:
            raise DatabaseUnavailable(f"{self.path} is not a hub database, or is damaged ({exc}).") from None
        migrate(self)

    def describe(self) -> str:
        return str(self.path)

    def _connection(self) -> Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect_sqlite(self.path, self.key.database_key)
            # every acknowledged write must survive power loss, not only a crash
            conn.execute("PRAGMA synchronous = FULL")
            self._local.conn = conn
            with self._opened_lock:
                self._opened.append(conn)
        return conn

    @contextmanager
    def _transaction(self, begin: str):
        conn = self._connection()

        def start():
            try:
                conn.execute(begin)
            except sqlite3.OperationalError as exc:  # busy beyond the timeout
                raise DatabaseUnavailable(f"The hub database is busy ({exc}); try again shortly.") from None

        with transaction(conn, start):  # a failed COMMIT is rolled back too
            yield Transaction(conn, self.backend, self.sealer)

    def write(self):
        """BEGIN IMMEDIATE … COMMIT: the writer lock up front, saved when COMMIT returns."""
        return self._transaction("BEGIN IMMEDIATE")

    def read(self):
        """A read transaction: every query in it sees the same committed state."""
        return self._transaction("BEGIN")

    def backup(self, target) -> Path:
        """An encrypted, consistent copy of the database at `target` (a new file,
        owner-only), with the same key: sqlcipher_export inside one read transaction."""
        target = Path(target)
        try:
            fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except OSError as exc:
            raise DatabaseUnavailable(f"The backup {target} cannot be created ({exc.strerror}); "
                                      "it is never written over an existing file.") from None
        os.close(fd)
        key = self.key.database_key.hex()
        conn = _connect_sqlite(self.path, self.key.database_key)
        try:
            conn.execute(f"ATTACH DATABASE ? AS backup KEY \"x'{key}'\"", [str(target)])
            conn.execute("SELECT sqlcipher_export('backup')")
            conn.execute("DETACH DATABASE backup")
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        finally:
            conn.close()
        return target

    def snapshot_slice(self, seq: int, offset: int, length: int, column: str = "snapshot") -> bytes:
        """Bytes of a register snapshot (or delta). SQLCipher has no incremental
        blob reads, so the blob last asked for is kept in memory (a register's
        snapshot never changes once stored) and a workstation's consecutive
        chunk requests read it once, and opened once (console/hub/sealing.py)."""
        assert column in BLOB_COLUMNS
        with self._blob_lock:
            which, data = self._blob
            if which != (seq, column):
                with self.read() as tx:
                    row = tx.one(f"SELECT {column} FROM registers WHERE seq = ?", [seq])
                data = _open_blob(self.sealer, seq, column, row[0] if row else None)
                self._blob = ((seq, column), data)
        return data[offset:offset + length]

    def close(self) -> None:
        with self._opened_lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
        self._local = threading.local()
        self._blob = (None, b"")


# what may pass if the hub waits: no answer from the server (refused, timed out,
# unreachable), or its answer that it is starting up, shutting down, recovering
# (57P03) or full (53300). libpq gives a failed connection's error no SQLSTATE,
# so the server's answer is told by its words; one in another language is
# waited for, and still ends in a sentence when the wait is over.
SERVER_ANSWERED = "FATAL:"
PASSING_ANSWERS = ("the database system is starting up", "the database system is shutting down",
                   "the database system is in recovery mode", "the database system is not yet accepting connections",
                   "sorry, too many clients already", "remaining connection slots are reserved")


def _may_pass(exc: Exception) -> bool:
    """Whether waiting may mend this failure to connect (see PASSING_ANSWERS)."""
    text = str(exc)
    return SERVER_ANSWERED not in text or any(answer in text for answer in PASSING_ANSWERS)


def _unreachable(exc: Exception) -> "DatabaseUnavailable":
    """The sentence for a failed connection: the psycopg error's first line, which names
    host and database, never the password."""
    text = str(exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    return DatabaseUnavailable(f"The hub database cannot be reached ({reason}).")


class PostgresDatabase:
    """PostgreSQL through psycopg 3: each transaction on a connection of its own.

    A few idle connections are kept for the next transactions (connecting
    costs a PostgreSQL process start, several milliseconds); each is checked
    with one round trip before it is used again, so a connection the server
    dropped while idle (a restart, a failover) is replaced instead of failing
    a request. Nothing else is kept between transactions.
    """

    backend = "postgresql"
    IDLE_CONNECTIONS = 4

    def __init__(self, url: str, key: HubKey, wait: float = 0):
        import psycopg

        self._psycopg = psycopg
        self.url = url
        self.key = key
        self.sealer = Sealer.for_hub(key)
        self._idle: list = []
        self._idle_lock = threading.Lock()
        if wait:
            self._wait_for_server(wait)
        migrate(self)

    def describe(self) -> str:
        from psycopg.conninfo import conninfo_to_dict

        try:
            info = conninfo_to_dict(self.url)
        except self._psycopg.Error:
            return "PostgreSQL"
        return f"PostgreSQL database {info.get('dbname', '?')} on {info.get('host', 'localhost')}"

    def _connect(self):
        try:
            return self._psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except self._psycopg.Error as exc:
            raise _unreachable(exc) from None

    def _wait_for_server(self, seconds: float) -> None:
        """Connect, trying again for up to `seconds` while the server is out of
        reach, starting up or full (a hub started with, or just after, its
        database); a refusal that waiting cannot mend (a wrong password or
        database name) is a DatabaseUnavailable at once."""
        deadline = time.monotonic() + seconds
        pause = 0.5
        while True:
            try:
                self._checkin(self._connect())
                return
            except DatabaseUnavailable as unavailable:
                failure = unavailable.__context__  # psycopg's own error (the sentence is raised from None)
                if not (isinstance(failure, self._psycopg.OperationalError) and _may_pass(failure)) \
                        or time.monotonic() + pause > deadline:
                    raise
                log.warning("the hub database cannot be reached yet; trying again for up to %d s: %s",
                            seconds, unavailable)
                time.sleep(pause)  # the server is given time to come up: nothing here to wait on but the clock
                pause = min(2 * pause, 5.0)

    def _checkout(self):
        while True:
            with self._idle_lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._connect()
            try:
                conn.execute("SELECT 1")
                return conn
            except self._psycopg.Error:
                conn.close()

    def _checkin(self, conn) -> None:
        idle = (not conn.closed and not conn.broken
                and conn.info.transaction_status == self._psycopg.pq.TransactionStatus.IDLE)
        if idle:
            conn.read_only = None
            conn.isolation_level = None
            with self._idle_lock:
                if len(self._idle) < self.IDLE_CONNECTIONS:
                    self._idle.append(conn)
                    return
        conn.close()

    @contextmanager
    def _transaction(self, *, writing: bool):
        conn = self._checkout()
        try:
            try:
                if not writing:
                    conn.read_only = True
                    conn.isolation_level = self._psycopg.IsolationLevel.REPEATABLE_READ
                with conn.transaction():
                    tx = Transaction(conn, self.backend, self.sealer)
                    if writing:
                        tx.execute("SELECT pg_advisory_xact_lock(?)", [WRITE_LOCK])
                    yield tx
            except self._psycopg.OperationalError as exc:
                raise DatabaseUnavailable(f"The hub database failed during a request ({type(exc).__name__}); "
                                          "try again shortly.") from None
        finally:
            self._checkin(conn)

    def write(self):
        """A write transaction, serialised with every other by WRITE_LOCK (see the module's docstring)."""
        return self._transaction(writing=True)

    def read(self):
        """A read-only transaction on one snapshot of the database."""
        return self._transaction(writing=False)

    def snapshot_slice(self, seq: int, offset: int, length: int, column: str = "snapshot") -> bytes:
        """Bytes of a register snapshot (or delta): only the sealed segments
        that hold them are read (substr of an uncompressed, out-of-line
        column) and opened (console/hub/sealing.py)."""
        assert column in BLOB_COLUMNS
        start, size, first = self.sealer.stored_range(offset, length)
        with self.read() as tx:
            row = tx.one(f"SELECT substr({column}, 1, {sealing.BLOB_HEADER}), octet_length({column}), "
                         f"substr({column}, CAST(? AS INTEGER), CAST(? AS INTEGER)) FROM registers WHERE seq = ?",
                         [start + 1, size, seq])
        if not row or not row[1]:
            return b""
        try:
            key_id = self.sealer.blob_key_id(bytes(row[0]), "registers", column)
            data = self.sealer.open_segments("registers", str(seq), column, key_id, bytes(row[2]), first,
                                             self.sealer.segment_count(row[1]))
        except Unsealable as exc:
            raise DatabaseUnavailable(f"Register {seq}'s {column} does not open ({exc}).") from None
        skip = offset - first * sealing.SEGMENT
        return data[skip:skip + length]

    def close(self) -> None:
        with self._idle_lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


def open_database(*, data: str | os.PathLike | None = None, database_url: str | None = None,
                  key: HubKey | None = None, key_file: str | os.PathLike | None = None, wait: float = 0):
    """The hub database named by exactly one of `data` (a folder for the
    embedded SQLite file) or `database_url` (PostgreSQL), its schema brought
    up to date, opened with the hub's key: `key`, else the one read from
    `key_file` or the systemd credential (console/hub/crypto.py; KeyProblem
    when there is none). `wait`: seconds a PostgreSQL server out of reach is
    waited for (a hub starting with its database)."""
    if bool(data) == bool(database_url):
        raise ValueError("give exactly one of data and database_url")
    if database_url and not database_url.startswith(("postgresql://", "postgres://")):
        raise DatabaseUnavailable("The database URL must start with postgresql:// "
                                  "(for example postgresql://hub@db.example/helpline).")
    key = key or load_key(key_file)
    if database_url:
        return PostgresDatabase(database_url, key, wait)
    return SQLiteDatabase(data, key)
