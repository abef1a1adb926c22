"""The workstation's side of sync, as SQL: what to push, what the hub
acknowledged, and applying what was pulled, each step one transaction.

Nothing here talks to the network (console.sync does); every function takes
the open cache and leaves it consistent if the process dies between any two
of them.
"""

import json

from console.core.timeutil import now, utc_text
from console.store import attempts, callbacks
from console.store.audit import _head
from console.store.connection import write_transaction
from console.core.records import canonical

AUDIT_COLUMNS = ("seq", "entry_id", "at", "operator", "workstation", "kind", "person_id", "detail", "prev_hash", "hash")


def _meta(db, key: str, default: str = "0") -> str:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return row[0] if row else default


def _set_meta(db, key: str, value) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, str(value)])


def change_cursor(db) -> int:
    return int(_meta(db, "sync.change_cursor"))


def register_seq(db) -> int:
    return int(_meta(db, "sync.register_seq"))


# push


def outbox_batch(db, limit: int) -> list[dict]:
    """The oldest queued items, as push items."""
    return [
        {"seq": seq, "kind": kind, "id": entity_id, "body": json.loads(body)}
        for seq, kind, entity_id, body in db.execute(
            "SELECT seq, kind, entity_id, body FROM outbox ORDER BY seq LIMIT ?", [limit]
        )
    ]


def audit_batch(db, limit: int) -> list[dict]:
    """Audit entries after the last one the hub acknowledged, in chain order."""
    pushed = int(_meta(db, "sync.audit_pushed_seq"))
    return [
        {"seq": row[0], "kind": "audit", "id": row[1], "body": dict(zip(AUDIT_COLUMNS, row))}
        for row in db.execute(
            f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", [pushed, limit]
        )
    ]


def audit_head(db) -> dict:
    seq, digest = _head(db)
    return {"seq": seq, "hash": digest}


LEAVE = ("stored", "duplicate", "stale")  # on the hub now (or superseded there): the item leaves the outbox
ASIDE = ("conflict", "refused")  # the hub will never take it: kept aside with its sentence, out of the outbox
REFUSED = "Refused by the hub: "  # how a refused item's sentence starts in sync_conflicts


def acknowledge(db, sent: list[dict], results: list[dict]) -> dict:
    """Take the hub's answer to a push: an item leaves the outbox (or advances
    the audit cursor) only on a result naming that item's kind and id with a
    status this workstation knows; conflicts and refusals are kept aside with
    the hub's sentence. Items with no such result stay queued. Counts by status."""
    answered = {}
    for result in results:
        if isinstance(result, dict) and result.get("status") in LEAVE + ASIDE:
            answered.setdefault((result.get("kind"), result.get("id")), result)
    counts: dict[str, int] = {}
    with write_transaction(db):
        audit_through = None
        for item in sent:
            result = answered.get((item["kind"], item["id"]))
            if result is None:
                if item["kind"] == "audit":
                    break  # the chain is pushed in order: stop at the first gap
                continue
            status = result["status"]
            counts[status] = counts.get(status, 0) + 1
            if status in ASIDE:
                message = result.get("message") if isinstance(result.get("message"), str) else None
                if status == "refused":
                    message = REFUSED + (message or "the hub gave no reason.")
                db.execute(
                    "INSERT OR REPLACE INTO sync_conflicts (kind, entity_id, body, message, at) VALUES (?, ?, ?, ?, ?)",
                    [item["kind"], item["id"], canonical(item["body"]),
                     message or "The hub holds a different entry under this id.", utc_text(now())],
                )
            if item["kind"] == "audit":
                audit_through = item["seq"]
            else:
                db.execute("DELETE FROM outbox WHERE seq = ?", [item["seq"]])
        if audit_through is not None:
            _set_meta(db, "sync.audit_pushed_seq", audit_through)
    return counts


def conflicts(db) -> list[dict]:
    """Items the hub holds differently (not those it refused: refused_counts)."""
    return [
        {"kind": k, "id": i, "message": m, "at": a}
        for k, i, m, a in db.execute("SELECT kind, entity_id, message, at FROM sync_conflicts "
                                     "WHERE message NOT LIKE ? ORDER BY at", [REFUSED + "%"])
    ]


# kinds whose count tells an operator nothing they may not know: their own calls
# and escalations. Attempts (one per name match of a check), unlocks and
# callbacks (whose revisions follow who matched) are never counted for them.
OPERATOR_KINDS = ("call", "escalation_ack")


def waiting(db, every_kind: bool) -> dict:
    """What waits for the hub and what conflicted, for `sync --status`.

    every_kind (a supervisor): the outbox counted by kind, the audit entries
    not pushed, and every conflict with the hub's sentence. Otherwise (an
    operator): only OPERATOR_KINDS counted and their conflicts listed; the
    rest is one yes or no (`other_waiting`, `other_conflicts`), and since
    every check adds an audit entry, it says nothing about any one check."""
    from console.store.outbox import outbox_count, unpushed_audit

    by_kind = dict(db.execute("SELECT kind, count(*) FROM outbox GROUP BY kind ORDER BY kind").fetchall())
    found = conflicts(db)
    if every_kind:
        return {"outbox": outbox_count(db), "outbox_by_kind": by_kind, "unpushed_audit": unpushed_audit(db),
                "conflicts": found}
    return {
        "outbox_by_kind": {kind: n for kind, n in by_kind.items() if kind in OPERATOR_KINDS},
        "other_waiting": unpushed_audit(db) > 0 or any(kind not in OPERATOR_KINDS for kind in by_kind),
        "conflicts": [c for c in found if c["kind"] in OPERATOR_KINDS],
        "other_conflicts": any(c["kind"] not in OPERATOR_KINDS for c in found),
    }


def refused_counts(db) -> dict[str, int]:
    """Items the hub refused, kept here, counted by kind (the reasons are for a supervisor, on the hub)."""
    return dict(db.execute("SELECT kind, count(*) FROM sync_conflicts WHERE message LIKE ? GROUP BY kind "
                           "ORDER BY kind", [REFUSED + "%"]).fetchall())


# pull


def _apply_account(db, body: dict) -> None:
    db.execute(
        "INSERT INTO operators (operator_id, role, password_hash, disabled, must_change, created_at, created_by) "
        "VALUES (:operator_id, :role, :password_hash, :disabled, :must_change, :created_at, 'hub') "
        "ON CONFLICT (operator_id) DO UPDATE SET role = excluded.role, password_hash = excluded.password_hash, "
        "disabled = excluded.disabled, must_change = excluded.must_change",
        {"created_at": utc_text(now()), **body, "disabled": 1 if body.get("disabled") else 0,
         "must_change": 1 if body.get("must_change") else 0},
    )


def _apply_content(db, body: dict) -> None:
    _set_meta(db, "sync.content", canonical(body))


def _apply_escalation_ack(db, body: dict) -> None:
    db.execute("INSERT OR IGNORE INTO escalation_acks (call_id, at, operator, workstation, note) "
               "VALUES (:call_id, :at, :operator, :workstation, :note)", body)


def _apply_register(db, body: dict) -> None:
    _set_meta(db, "sync.register_offer", canonical(body))


def _apply_message(db, body: dict) -> None:
    # the supervisors' live message (console.hub.live): the newest version wins, whatever order it comes in
    held = synced_message(db)
    if held is None or body["version"] > held["version"]:
        _set_meta(db, "sync.live_message", canonical(body))


def synced_message(db) -> dict | None:
    """The live message last pulled from the hub (the live channel's fallback), if any."""
    text = _meta(db, "sync.live_message", "")
    return json.loads(text) if text else None


APPLY = {
    "account": _apply_account,
    "attempt": attempts.apply_attempt,
    "unlock": attempts.store_unlock,
    "callback": callbacks.store_callback,
    "content": _apply_content,
    "register": _apply_register,
    "escalation_ack": _apply_escalation_ack,
    "lock": attempts.apply_lock_state,
    "attestation": callbacks.store_attestation,
    "message": _apply_message,
}


def apply_changes(db, changes: list[dict], cursor: int) -> dict:
    """Apply one page of the hub's change feed and move the cursor past it, in
    one transaction: a kill before COMMIT re-pulls the page, after it never."""
    counts: dict[str, int] = {}
    with write_transaction(db):
        if change_cursor(db) >= cursor and changes:
            return counts  # another sync of this cache got here first
        for change in changes:
            apply = APPLY.get(change["kind"])
            if apply is None:
                continue  # a kind from a newer hub: skipped, the cursor still moves
            apply(db, change["body"])
            counts[change["kind"]] = counts.get(change["kind"], 0) + 1
        _set_meta(db, "sync.change_cursor", cursor)
    return counts


def synced_content(db) -> dict | None:
    """The guidance scripts and services data last pulled from the hub, if any."""
    text = _meta(db, "sync.content", "")
    return json.loads(text) if text else None


# the register snapshot, downloaded into the encrypted file


def downloaded(db, seq: int) -> int:
    """Bytes of snapshot `seq` already held; a download of another seq is dropped."""
    with write_transaction(db):
        db.execute("DELETE FROM register_download WHERE seq != ?", [seq])
    row = db.execute("SELECT coalesce(sum(length(data)), 0) FROM register_download WHERE seq = ?", [seq]).fetchone()
    return row[0]


def store_chunk(db, seq: int, offset: int, data: bytes) -> None:
    with write_transaction(db):
        db.execute("INSERT OR REPLACE INTO register_download (seq, offset, data) VALUES (?, ?, ?)", [seq, offset, data])


def snapshot_bytes(db, seq: int) -> bytes:
    return b"".join(row[0] for row in db.execute(
        "SELECT data FROM register_download WHERE seq = ? ORDER BY offset", [seq]))


def no_delta_for(db) -> int | None:
    """A register whose delta once failed its check here: fetched whole."""
    value = _meta(db, "sync.register_no_delta", "")
    return int(value) if value else None


def finish_register(db, seq: int) -> None:
    """Inside the importer's swap transaction: the register and its cursor commit together."""
    _set_meta(db, "sync.register_seq", seq)
    db.execute("DELETE FROM register_download")


def drop_download(db) -> None:
    with write_transaction(db):
        db.execute("DELETE FROM register_download")


def record_sync(db, at) -> None:
    with write_transaction(db):
        _set_meta(db, "sync.last_success", utc_text(at))


def last_sync(db) -> str | None:
    value = _meta(db, "sync.last_success", "")
    return value or None
