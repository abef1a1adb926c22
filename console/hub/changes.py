"""The change feed: what every workstation pulls, in seq order.

A change is appended in the same transaction as the state it announces (an
account, an unlock, a callback's newest revision, a register…), so the feed
never mentions anything the hub then forgets, and never misses anything it
keeps. Storage serialises the writers, so seqs become visible in order (see
console/hub/storage.py).
"""

import json

from console.core.timeutil import now, utc_text
from console.core.records import CHANGE_KINDS, canonical


def append_change(tx, kind: str, entity_id: str, body: dict) -> None:
    if kind not in CHANGE_KINDS:
        raise ValueError(f"unknown change kind {kind!r}")
    tx.execute("INSERT INTO changes (kind, entity_id, body, at) VALUES (?, ?, ?, ?)",
               [kind, str(entity_id), canonical(body), utc_text(now())])


def changes_after(db, after: int, limit: int) -> dict:
    """The page of changes with seq > after: {"changes", "cursor", "more"}."""
    with db.read() as tx:
        rows = tx.all("SELECT seq, kind, entity_id, body FROM changes WHERE seq > ? ORDER BY seq LIMIT ?",
                      [after, limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "changes": [{"seq": seq, "kind": kind, "id": entity_id, "body": json.loads(body)}
                    for seq, kind, entity_id, body in rows],
        "cursor": rows[-1][0] if rows else after,
        "more": more,
    }
