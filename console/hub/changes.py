"""The change feed: what every workstation pulls, in seq order.

A change is appended in the same transaction as the state it announces (an
account, an unlock, a callback's newest revision, a register…), so the feed
never mentions anything the hub then forgets, and never misses anything it
keeps. Storage serialises the writers, so seqs become visible in order (see
console/hub/storage.py).
"""

import json

from console.core.authorship import lock_state
from console.core.records import CHANGE_KINDS, canonical
from console.core.roles import ROLES
from console.core.timeutil import now, parse_instant, utc_text
from console.hub.sealing import row_id


def append_change(tx, kind: str, entity_id: str, body: dict) -> None:
    if kind not in CHANGE_KINDS:
        raise ValueError(f"unknown change kind {kind!r}")
    tx.execute("INSERT INTO changes (kind, entity_id, body, at) VALUES (?, ?, ?, ?)",
               [kind, str(entity_id), tx.seal("changes", row_id(kind, entity_id), "body", canonical(body)),
                utc_text(now())])


def feed_lock_state(tx, person_id: str) -> None:
    """Feed the person's lock state (console.core.authorship.lock_state) if it
    changed: when they are locked, never who made the attempts or where."""
    times = [parse_instant(at) for (at,) in tx.all("SELECT at FROM attempts WHERE person_id = ? AND cleared_by IS NULL",
                                                   [person_id])]
    stretch = lock_state(times)
    body = {"person_id": person_id, "locked_from": utc_text(stretch[0]) if stretch else None,
            "locked_until": utc_text(stretch[1]) if stretch else None}
    last = tx.one("SELECT body FROM changes WHERE kind = 'lock' AND entity_id = ? ORDER BY seq DESC LIMIT 1",
                  [person_id])
    previous = json.loads(tx.open("changes", row_id("lock", person_id), "body", last[0])) if last else {"person_id": person_id, "locked_from": None, "locked_until": None}
    if previous != body:
        append_change(tx, "lock", person_id, body)


UNLOCK_FED = ("unlock_id", "person_id", "at")  # what workstations need to clear their own attempts


def fed_body(kind: str, body: dict) -> dict:
    """What of a pushed record the feed carries: an unlock without who made it where."""
    return {key: body[key] for key in UNLOCK_FED} if kind == "unlock" else body


def _for(session, kind: str, body: dict) -> bool:
    """Whether this session's workstation is given the change: a callback goes
    to the operator assigned to it and to supervisors only, an attestation to
    the operator who dialled and to supervisors."""
    if kind not in ("callback", "attestation") or session is None or ROLES.index(session.role) >= ROLES.index(
            "supervisor"):
        return True
    return body.get("assigned_to" if kind == "callback" else "operator") == session.operator_id


def changes_after(db, after: int, limit: int, session=None) -> dict:
    """The page of changes with seq > after that `session` may have: {"changes",
    "cursor", "more"}. The cursor moves past changes held back as well."""
    with db.read() as tx:
        rows = tx.all("SELECT seq, kind, entity_id, body FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
                      [after, limit + 1])
        more = len(rows) > limit
        rows = [(seq, kind, entity_id, tx.open("changes", row_id(kind, entity_id), "body", text))
                for seq, kind, entity_id, text in rows[:limit]]
    changes = []
    for seq, kind, entity_id, text in rows:
        body = json.loads(text)
        if _for(session, kind, body):
            changes.append({"seq": seq, "kind": kind, "id": entity_id, "body": body})
    return {"changes": changes, "cursor": rows[-1][0] if rows else after, "more": more}
