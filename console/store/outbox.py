"""The outbox: what this workstation still has to give the hub.

A row is queued in the same transaction as what it carries (a call, a
callback revision, a failed attempt, an unlock), so nothing can be stored and
forgotten; it leaves only when the hub has acknowledged it (console.sync).
Audit entries are not copied here: the audit table is itself append-only, so
sync sends it from a cursor (meta `sync.audit_pushed_seq`).
"""

from console.core.timeutil import now, utc_text
from console.core.records import canonical


def queue_outbox(db, kind: str, entity_id: str, body: dict) -> None:
    db.execute(
        "INSERT OR IGNORE INTO outbox (kind, entity_id, body, queued_at) VALUES (?, ?, ?, ?)",
        [kind, entity_id, canonical(body), utc_text(now())],
    )


def outbox_count(db, kind: str | None = None) -> int:
    if kind:
        return db.execute("SELECT count(*) FROM outbox WHERE kind = ?", [kind]).fetchone()[0]
    return db.execute("SELECT count(*) FROM outbox").fetchone()[0]


def unpushed_audit(db) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'sync.audit_pushed_seq'").fetchone()
    pushed = int(row[0]) if row else 0
    return db.execute("SELECT count(*) FROM audit WHERE seq > ?", [pushed]).fetchone()[0]
