"""The audit trail: append-only entries chained by SHA-256.

Each entry's hash covers its own fields and the previous entry's hash
(console.core.audit_chain, which the hub applies too), so an edit, a
deletion or a reordering breaks the chain at that point. The head
(last sequence number and hash) is also kept in `meta`, written in the same
transaction, so cutting entries off the end is detected too; the hub keeps
each workstation's head as well.

Entries carry ids and reasons, never what the caller said.
"""

import json
import uuid
from dataclasses import dataclass

from console.core.audit_chain import GENESIS, entry_hash
from console.core.timeutil import now, utc_text

__all__ = ["GENESIS", "KINDS", "ChainReport", "append_audit", "list_audit", "verify_chain"]
KINDS = (
    "search", "verification", "disclosure", "call_saved", "unlock", "export",
    "register_import", "callback_booked", "callback_completed", "callback_assigned", "callback_countersigned",
    "callback_dialled",
    "operator_added", "operator_disabled", "setting_changed", "sign_in", "sign_out",
    "escalation_acknowledged", "call_discarded", "password_changed", "password_reset", "sign_in_failed",
)


def _head(db) -> tuple[int, str]:
    row = db.execute("SELECT value FROM meta WHERE key='audit_head'").fetchone()
    if not row:
        return 0, GENESIS
    seq, digest = row[0].split(":", 1)
    return int(seq), digest


def append_audit(db, kind: str, *, operator=None, workstation: str, person_id=None, detail=None, at=None) -> str:
    """Append one entry; the caller holds the write transaction, so the entry
    commits (or rolls back) with what it records."""
    if kind not in KINDS:
        raise ValueError(f"unknown audit kind {kind!r}")
    if not db.conn.in_transaction:
        raise RuntimeError("append_audit must run inside the write transaction of what it records")
    seq, prev_hash = _head(db)
    entry_id = str(uuid.uuid4())
    at_text = utc_text(at or now())
    detail_text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = entry_hash(prev_hash, entry_id, at_text, operator, workstation, kind, person_id, detail_text)
    db.execute(
        "INSERT INTO audit (seq, entry_id, at, operator, workstation, kind, person_id, detail, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq + 1, entry_id, at_text, operator, workstation, kind, person_id, detail_text, prev_hash, digest],
    )
    db.execute("INSERT OR REPLACE INTO meta VALUES ('audit_head', ?)", [f"{seq + 1}:{digest}"])
    return entry_id


@dataclass
class ChainReport:
    ok: bool
    entries: int
    first_broken_seq: int | None = None
    problem: str | None = None

    def as_json(self) -> dict:
        return {"ok": self.ok, "entries": self.entries, "first_broken": self.first_broken_seq, "problem": self.problem}


def verify_chain(db) -> ChainReport:
    """Walk the chain from the start and report the first broken link."""
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    for seq, entry_id, at, operator, workstation, kind, person_id, detail, prev_hash, digest in db.execute(
        "SELECT seq, entry_id, at, operator, workstation, kind, person_id, detail, prev_hash, hash FROM audit ORDER BY seq"
    ):
        if seq != expected_seq:
            return ChainReport(False, count, expected_seq, f"entry {expected_seq} is missing (next is {seq})")
        if prev_hash != expected_prev:
            return ChainReport(False, count, seq, f"entry {seq} does not follow entry {seq - 1} (reordered or altered)")
        if entry_hash(prev_hash, entry_id, at, operator, workstation, kind, person_id, detail) != digest:
            return ChainReport(False, count, seq, f"entry {seq} was altered after it was written")
        expected_prev = digest
        expected_seq += 1
        count += 1
    has_head = db.execute("SELECT 1 FROM meta WHERE key='audit_head'").fetchone() is not None
    head_seq, head_hash = _head(db)
    if count and not has_head:
        return ChainReport(False, count, count + 1,
                           f"the chain has {count} entries but the record of its last entry is missing")
    if head_seq > count:
        return ChainReport(
            False, count, count + 1,
            f"the chain ends at entry {count} but entry {head_seq} was written: entries were cut off the end",
        )
    if head_seq < count:
        return ChainReport(
            False, head_seq, head_seq + 1,
            f"the chain was last written at entry {head_seq} but goes on to entry {count}: entries were added outside the console",
        )
    if count and head_hash != expected_prev:
        return ChainReport(False, count - 1, count, f"entry {count} is not the entry that was written last (replaced)")
    return ChainReport(True, count)


def list_audit(db, *, since=None, until=None, operator=None, person_id=None, kind=None, limit=None,
               newest_first: bool = False) -> list[dict]:
    clauses, params = [], []
    for column, op, value in (
        ("at", ">=", utc_text(since) if since else None),
        ("at", "<", utc_text(until) if until else None),
        ("operator", "=", operator),
        ("person_id", "=", person_id),
        ("kind", "=", kind),
    ):
        if value is not None:
            clauses.append(f"{column} {op} ?")
            params.append(value)
    sql = "SELECT seq, entry_id, at, operator, workstation, kind, person_id, detail, hash FROM audit"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY seq DESC" if newest_first else " ORDER BY seq"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [
        {"seq": seq, "entry_id": entry_id, "at": at, "operator": op, "workstation": ws, "kind": k,
         "person_id": pid, "detail": json.loads(detail), "hash": digest}
        for seq, entry_id, at, op, ws, k, pid, detail, digest in db.execute(sql, params)
    ]
